"""Money: Decimal arithmetic, currency minor units and locale formatting.

Unit prices keep up to four decimal places; every amount is rounded half-up to the
currency's minor units (USD 2, JPY 0, BHD 3) taken from the CLDR data in Babel.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

PRICE_PLACES = 4
PRICE_QUANTUM = Decimal(1).scaleb(-PRICE_PLACES)
# Largest amount stored; keeps every total exact in NUMERIC(19,4) and in SQLite's REAL.
MAX_AMOUNT = Decimal("99999999999")
MAX_QUANTITY = 1_000_000_000
DEFAULT_LOCALE = "en_US"

_CURRENCIES = frozenset(list_currencies())


def is_currency(code: object) -> bool:
    """True for a real ISO 4217 code known to CLDR (upper-case, three letters)."""
    return isinstance(code, str) and len(code) == 3 and code.isupper() and code in _CURRENCIES


def is_locale(name: object) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


@lru_cache(maxsize=512)
def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (USD 2, JPY 0, BHD 3)."""
    return get_currency_precision(currency)


@lru_cache(maxsize=512)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_amount(value: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor units."""
    return Decimal(value).quantize(_quantum(currency), rounding=ROUND_HALF_UP)


def round_price(value: Decimal) -> Decimal:
    """A unit price with exactly four decimal places (it never needs rounding once
    validated, so this only normalises its exponent)."""
    return Decimal(value).quantize(PRICE_QUANTUM, rounding=ROUND_HALF_UP)


def has_at_most_places(value: Decimal, places: int) -> bool:
    try:
        return value == value.quantize(_places_quantum(places))
    except InvalidOperation:
        return False


@lru_cache(maxsize=16)
def _places_quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def format_money(value: Decimal | None, currency: str, locale: str = DEFAULT_LOCALE) -> str | None:
    """Format an amount for display in the organization's locale (``$12.50``,
    ``CA$12.50``, ``¥1,200``). Amounts keep the currency's minor units; unit prices
    with more precision than the currency show it (``$0.1250``)."""
    if value is None:
        return None
    return _format_money(Decimal(value), currency, locale)


@lru_cache(maxsize=8192)
def _format_money(value: Decimal, currency: str, locale: str) -> str:
    """Cached: equal amounts format identically, and a page of orders repeats many."""
    digits = minor_units(currency)
    shown = value.normalize()
    exponent = shown.as_tuple().exponent
    places = max(digits, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    if places == digits:
        return format_currency(round_amount(value, currency), currency, locale=locale)
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    return format_currency(
        value, currency, format=pattern, locale=locale, currency_digits=False,
        decimal_quantization=False,
    )


def to_json_number(value: Decimal | None, currency: str | None = None) -> Decimal | None:
    """The Decimal as it goes on the wire: amounts with the currency's minor units,
    prices as entered (trailing zeros beyond two places trimmed)."""
    if value is None:
        return None
    if currency is not None:
        return round_amount(value, currency)
    value = Decimal(value)
    if value == value.to_integral_value():
        return value.quantize(Decimal("0.01"))
    trimmed = value.normalize()
    exp = trimmed.as_tuple().exponent
    if isinstance(exp, int) and exp > -2:
        return value.quantize(Decimal("0.01"))
    return trimmed
