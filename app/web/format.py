"""Template filters: dates in the organization's locale, field names for people."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date, format_datetime

from app.shapes.orders import labels
from app.web import bp

# The short label of each field, as the order's shape declares it (``customer.companyName``: Company).
FIELD_LABELS = labels(short=True)


@bp.app_template_filter("localdate")
def localdate(value: datetime | None, locale: str = "en_US") -> str:
    if not value:
        return ""
    return _localdate(value.date() if isinstance(value, datetime) else value, locale)


@lru_cache(maxsize=8192)
def _localdate(day: date, locale: str) -> str:
    """Cached: a list shows many orders of the same few days, and babel reads the locale
    on every call."""
    return format_date(day, format="medium", locale=locale)


@bp.app_template_filter("localdatetime")
def localdatetime(value: datetime | None, locale: str = "en_US") -> str:
    return format_datetime(value, format="medium", tzinfo=None, locale=locale) + " UTC" if value else ""


@bp.app_template_filter("field_label")
def field_label(path: str) -> str:
    for prefix, label in FIELD_LABELS.items():
        if path == prefix or path.startswith(prefix + "."):
            rest = path[len(prefix) + 1:]
            return f"{label} ({rest})" if rest else label
    return path


@bp.app_template_filter("change_value")
def change_value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values())
    return str(value)


@bp.app_template_filter("money")
def money(value, currency: str, locale: str = "en_US") -> str:
    from app.domain.money import format_money

    return format_money(value, currency, locale) or ""
