"""Files sent to the browser: a Content-Disposition header that holds any file name.

An order number such as ``ЗАК-0001`` or ``ORD-日本-1`` cannot go into a header as it
is (headers are Latin-1; a non-Latin name broke the response). RFC 6266 with RFC 5987's
``filename*=UTF-8''…`` carries the real name, with an ASCII ``filename`` beside it for
clients that do not read the extended form."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote


def ascii_filename(filename: str, fallback: str = "download") -> str:
    """The name in plain ASCII letters, digits, dots, dashes and underscores."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", folded)
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-.")
    stem, dot, ext = filename.rpartition(".")
    if not cleaned or (dot and cleaned.lower() == ext.lower()):
        return fallback + (f".{ascii_filename(ext)}" if dot and ext.isascii() and ext.isalnum() else "")
    return cleaned


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment`` (or ``inline``) with the file name, safe for any characters."""
    kind = "inline" if inline else "attachment"
    plain = ascii_filename(filename)
    if plain == filename:
        return f'{kind}; filename="{plain}"'
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
