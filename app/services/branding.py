"""The organization's branding on its confirmations: logo, accent colour, display name.

A logo is a PNG or JPEG of at most 1 MB that Pillow decodes whole (a renamed text file,
a truncated image or a decompression bomb is refused with the reason); SVG is refused,
since it can carry scripts and external references. The accent colour is checked for
contrast against white (text on it, and it as text on the white page): below WCAG AA's
4.5:1 it is saved with a warning."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy.orm import Session

from app.domain.errors import FieldError, ValidationFailed
from app.services import audit
from app.services.context import Actor
from app.services.org_settings import _locked_org, require_admin

MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 25_000_000
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
AA_CONTRAST = 4.5


def checked_logo(data: bytes, filename: str = "") -> str:
    """The logo's MIME type, or ValidationFailed saying why it cannot be used."""
    size = len(data)
    if size == 0:
        raise ValidationFailed([FieldError("logo", "the file is empty")])
    if size > MAX_LOGO_BYTES:
        raise ValidationFailed([FieldError("logo", f"the file is {size / 1024 / 1024:.1f} MB; a logo may be at most 1 MB")])
    head = data[:512].lstrip().lower()
    if filename.lower().endswith(".svg") or head.startswith((b"<svg", b"<?xml", b"<!doctype svg")):
        raise ValidationFailed([FieldError("logo", "SVG logos are not accepted (an SVG can carry scripts and links);"
                                                   " export it as a PNG or JPEG")])
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            if image.width * image.height > MAX_LOGO_PIXELS:
                raise ValidationFailed([FieldError("logo", f"the image is {image.width}×{image.height} pixels;"
                                                           " use one of at most 25 megapixels")])
            image.load()
    except ValidationFailed:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationFailed([FieldError("logo", "the file is not a PNG or JPEG image that can be read")]) from None
    if kind not in FORMATS:
        raise ValidationFailed([FieldError("logo", f"the file is a {kind} image; upload a PNG or JPEG")])
    return FORMATS[kind]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(hex_colour: str) -> float:
    """WCAG contrast ratio between the colour and white (1 to 21)."""
    return round((1.0 + 0.05) / (_luminance(hex_colour) + 0.05), 2)


@dataclass(frozen=True)
class AccentCheck:
    colour: str
    ratio: float

    @property
    def warning(self) -> str | None:
        if self.ratio >= AA_CONTRAST:
            return None
        return (f"{self.colour} has a contrast of {self.ratio}:1 against white, below the {AA_CONTRAST}:1 that"
                " WCAG AA asks for: white text on it, and it as text, will be hard to read.")


def checked_accent(value: str) -> AccentCheck:
    colour = (value or "").strip().lower()
    if not HEX.match(colour):
        raise ValidationFailed([FieldError("accent", "must be a colour such as #1f4e79")])
    return AccentCheck(colour, contrast_with_white(colour))


def save_accent(session: Session, actor: Actor, value: str) -> AccentCheck:
    require_admin(actor)
    check = checked_accent(value)
    org = _locked_org(session, actor)
    before = org.brand_accent_color
    org.brand_accent_color = check.colour
    if before != check.colour:
        audit.record(session, actor, "branding.accent", "Accent colour", {"accent": [before, check.colour]})
    session.commit()
    return check


def save_logo(session: Session, actor: Actor, data: bytes, filename: str) -> None:
    require_admin(actor)
    mime = checked_logo(data, filename)
    org = _locked_org(session, actor)
    had = bool(org.brand_logo)
    org.brand_logo, org.brand_logo_mime = data, mime
    audit.record(session, actor, "branding.logo", "Logo",
                 {"logo": ["(hidden)", "(changed)"], "file": [None, f"{filename or 'logo'} ({len(data)} bytes, {mime})"],
                  "replaced": [None, had]})
    session.commit()


def remove_logo(session: Session, actor: Actor) -> None:
    require_admin(actor)
    org = _locked_org(session, actor)
    if org.brand_logo:
        org.brand_logo, org.brand_logo_mime = None, None
        audit.record(session, actor, "branding.logo.remove", "Logo", {"logo": ["(hidden)", "(changed)"]})
    session.commit()


def first_page_png(pdf: bytes, resolution: int = 60) -> bytes:
    """The first page of a PDF as a PNG (poppler's pdftoppm)."""
    with tempfile.TemporaryDirectory(prefix="orderdesk-preview-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", "1", "-l", "1", "-singlefile",
                        str(source), str(Path(tmp) / "page")], check=True, capture_output=True, timeout=30)
        return (Path(tmp) / "page.png").read_bytes()
