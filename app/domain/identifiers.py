"""Identifiers that look the same are the same: externalId, orderNumber, customerNumber,
repNumber and SKU are normalized before they are stored, matched or searched for.

NFKC folds compatibility forms (a fullwidth ``ａ`` is ``a``, a no-break space a space);
zero-width characters are removed and surrounding whitespace stripped. What is left may
not hold control or other invisible characters (bidirectional overrides, soft hyphens), nor characters beyond
U+FFFF (emoji, the rarer historic scripts), so that every character an identifier
may hold can be listed in the API's description,
nor mix Latin, Cyrillic and Greek letters, whose look-alikes (Latin ``a`` and Cyrillic
``а``) would make two identifiers that nobody can tell apart. One script of letters, or
Latin beside scripts that do not look like it (``ORD-日本-1``), is fine."""

from __future__ import annotations

import unicodedata

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u180e"), None)
LOOK_ALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def look_alike_script(ch: str) -> str | None:
    """LATIN, CYRILLIC or GREEK for a letter of those scripts, else None."""
    name = unicodedata.name(ch, "")
    for script in LOOK_ALIKE_SCRIPTS:
        if name.startswith(script + " "):
            return script
    return None


def normalize_identifier(value: str) -> tuple[str, str | None]:
    """The identifier as stored and matched, and why it is refused (None when it is fine)."""
    if value.isascii() and value.isprintable():
        # The usual case, which every rule below leaves as it is: NFKC changes no ASCII
        # character, none is zero-width, invisible or a control, and all letters are Latin.
        return value.strip(), None
    text = unicodedata.normalize("NFKC", value).translate(ZERO_WIDTH).strip()
    for ch in value:
        if ord(ch) > 0xFFFF:
            return text, f"must not contain characters beyond U+FFFF such as emoji (found U+{ord(ch):04X})"
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            return text, f"must not contain control characters (found U+{ord(ch):04X})"
        if category in ("Cf", "Zl", "Zp", "Co", "Cn") or (category == "Zs" and ch != " "):
            return text, f"must not contain invisible characters (found U+{ord(ch):04X})"
    scripts = sorted({s for ch in text if ch.isalpha() and (s := look_alike_script(ch))})
    if len(scripts) > 1:
        return text, (f"mixes {' and '.join(s.title() for s in scripts)} letters, which look alike; "
                      "use the letters of one of them")
    return text, None
