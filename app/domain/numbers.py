"""Numbers as people type them into a form, read with the organization's locale.

A typed amount is never guessed at: ``12,50`` in en_US could be twelve and a half or
one thousand two hundred and fifty, so it is refused with both readings named, and
``1_000``, ``١٢`` or ``5e-7`` (which Python's ``Decimal`` would accept) are refused as
not what a person types. Grouping separators are accepted only in the right places
(Babel's strict parser). The JSON API does not come through here: its numbers are JSON
numbers."""

from __future__ import annotations

from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, get_group_symbol
from babel.numbers import parse_decimal as babel_parse_decimal

MAX_TYPED_LENGTH = 40
_SPACES = (" ", "\u00a0", "\u202f", "\u2009")
_APOSTROPHES = ("'", "\u2019")


class TypedNumberError(ValueError):
    """What was typed cannot be read as a number; the message says why and what to type."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _symbols(locale: str) -> tuple[str, str]:
    try:
        return get_group_symbol(locale), get_decimal_symbol(locale)
    except (UnknownLocaleError, ValueError):
        return get_group_symbol("en_US"), get_decimal_symbol("en_US")


def locale_name(locale: str) -> str:
    try:
        return Locale.parse(locale).get_display_name("en") or locale
    except (UnknownLocaleError, ValueError):
        return locale


def example(locale: str, places: int = 2) -> str:
    """How a number is written in this locale, e.g. ``1,234.56`` or ``1.234,56``."""
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(Decimal("1234.56") if places >= 2 else Decimal(1234), format=pattern, locale=locale)


def _normalise(text: str, group: str) -> str:
    """Spaces typed for a space-like group symbol (fr_FR uses U+202F) and either
    apostrophe for de_CH's are read as that symbol."""
    if group in _SPACES:
        for space in _SPACES:
            text = text.replace(space, group)
    elif group in _APOSTROPHES:
        for mark in _APOSTROPHES:
            text = text.replace(mark, group)
    return text


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def read_decimal(text: str | None, locale: str, *, places: int | None = None,
                 what: str = "number") -> Decimal | None:
    """The number typed in ``text`` (None when blank), read in ``locale``; at most
    ``places`` decimal places when given. Raises TypedNumberError saying what was
    understood and what is expected."""
    raw = (text or "").strip()
    if not raw:
        return None
    group, decimal = _symbols(locale)
    shown = example(locale, places if places is not None else 2)
    if len(raw) > MAX_TYPED_LENGTH:
        raise TypedNumberError(f"is too long to be {_a(what)} (at most {MAX_TYPED_LENGTH} characters)")
    value = _normalise(raw, group)
    body = value[1:] if value[:1] in "+-" else value
    allowed = set("0123456789") | {group, decimal}
    if not body or any(ch not in allowed for ch in body) or not any(ch.isdigit() for ch in body):
        raise TypedNumberError(
            f"“{raw}” is not {_a(what)}: type digits 0–9 with “{decimal}” before the decimals, as in {shown}")
    try:
        number = babel_parse_decimal(value, locale=locale, strict=True)
    except NumberFormatError as exc:
        readings = [s for s in (exc.suggestions or []) if s]
        if readings:
            options = " or ".join(f"“{s}”" for s in readings)
            raise TypedNumberError(
                f"“{raw}” is ambiguous in {locale_name(locale)}: did you mean {options}? "
                f"Write it as in {shown}") from None
        raise TypedNumberError(f"“{raw}” is not {_a(what)} in {locale_name(locale)}: write it as in {shown}") from None
    if not number.is_finite() or (number != 0 and not -12 <= number.adjusted() <= 15):
        raise TypedNumberError(f"“{raw}” is too large or too small to be {_a(what)}")
    if places is not None and number.as_tuple().exponent < -places:
        digits = -number.normalize().as_tuple().exponent
        if digits > places:
            allowed_text = ("no decimal places are" if places == 0
                            else f"at most {places} decimal place{'s are' if places != 1 else ' is'}")
            raise TypedNumberError(
                f"“{raw}” has {digits} decimal place{'s' if digits != 1 else ''}; {allowed_text} allowed here")
        number = number.quantize(Decimal(1).scaleb(-places))
    return number


def read_whole_number(text: str | None, locale: str, *, what: str = "quantity") -> int | None:
    """A typed whole number (grouping allowed: ``1,000`` in en_US), None when blank."""
    number = read_decimal(text, locale, what=what)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise TypedNumberError(f"“{(text or '').strip()}” is not a whole number")
    return int(number)


def for_input(value: Decimal | None, locale: str, *, min_places: int = 2, max_places: int = 2) -> str:
    """A number as it goes back into a form field: the locale's decimal symbol, no
    grouping, between ``min_places`` and ``max_places`` decimals, so that reading it
    again gives the same value."""
    if value is None:
        return ""
    pattern = "0" + ("." + "0" * min_places + "#" * (max_places - min_places) if max_places else "")
    try:
        return format_decimal(value, format=pattern, locale=locale, group_separator=False,
                              decimal_quantization=True)
    except (UnknownLocaleError, ValueError):
        return format_decimal(value, format=pattern, locale="en_US", group_separator=False)
