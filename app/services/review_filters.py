"""Orders-list filters that the dashboard, the rep table and the queue link with, so that
a figure and the list it opens count exactly the same orders. They extend the list's
URL format (``/orders?status=…&from=…&to=…``); dates there are local days of the
organization's time zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from app.db.models import Order
from app.domain.errors import FieldError
from app.services.dashboard import local_midnight

KEYS = ("currency", "customer", "sku", "notstatus", "prep", "approval", "flag")
# Key → the orders API's own filter (field, operator).
API_FILTERS = {"currency": ("currencyCode", "eq"), "customer": ("customerNumber", "eq"), "sku": ("sku", "eq"),
               "notstatus": ("orderStatus", "ne")}
APPROVAL_VALUES = {"pending": "Awaiting approval", "approved": "Approved", "rejected": "Rejected",
                   "asked": "Approval asked"}
FLAG_VALUES = {"overridden": "With a line priced off list"}


def local_day_start(day: date, zone: str) -> datetime:
    return local_midnight(day, zone)


def api_filters(view: dict[str, str]) -> list[dict[str, Any]]:
    return [{"field": field, "operator": op, "value": view[key]}
            for key, (field, op) in API_FILTERS.items() if view.get(key)]


def conditions(view: dict[str, str], errors: list[FieldError]) -> list[ColumnElement[bool]]:
    """Conditions of the list filters the orders API does not have."""
    out: list[ColumnElement[bool]] = []
    if view.get("prep"):
        out.append(Order.primary_rep_number == view["prep"])
    approval = view.get("approval")
    if approval:
        if approval not in APPROVAL_VALUES:
            errors.append(FieldError("approval", f"must be one of {', '.join(APPROVAL_VALUES)}"))
        elif approval == "asked":
            out.append(Order.approval_state.is_not(None))
        else:
            out.append(Order.approval_state == approval)
    flag = view.get("flag")
    if flag:
        if flag not in FLAG_VALUES:
            errors.append(FieldError("flag", f"must be one of {', '.join(FLAG_VALUES)}"))
        else:
            out.append(Order.overridden_lines > 0)
    return out


def period_view(first: date, last: date, **filters: str | None) -> dict[str, str]:
    """The list's view state for orders dated in [first, last] (local days) plus filters."""
    view = {"from": first.isoformat(), "to": last.isoformat()}
    view.update({k: v for k, v in filters.items() if v})
    return view


__all__ = ["KEYS", "api_filters", "conditions", "local_day_start", "period_view"]
