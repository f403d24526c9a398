"""Order counts per list-filter value, kept in step with every write.

A search whose only condition is one of these (or none) reads its total from
``order_facet_counts`` instead of counting a million rows. Writers report what they
changed as a Counter of (facet, value) deltas; ``apply`` upserts them in a fixed order
(facet rows are the last locks a transaction takes, so they cannot deadlock)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any

from sqlalchemy import delete, func, select, union_all
from sqlalchemy.orm import Session

from app.db.models import Order, OrderFacetCount
from app.db.tx import upsert_adding

TOTAL = ("", "")
FACET_COLUMNS = {
    "orderStatus": "order_status", "orderType": "order_type", "channel": "channel",
    "priceTier": "price_tier", "currencyCode": "currency_code", "terms": "terms",
}
REP_FACET = "repNumber"
FACETS = (*FACET_COLUMNS, REP_FACET)

Delta = Counter


def _keys(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The facet keys one order (as column values) counts towards, each once."""
    keys = [TOTAL]
    keys += [(facet, value) for facet, column in FACET_COLUMNS.items() if (value := row.get(column)) is not None]
    primary, taken = row.get("primary_rep_number"), row.get("taken_by_rep_number")
    if primary is not None:
        keys.append((REP_FACET, primary))
    if taken is not None and taken != primary:
        keys.append((REP_FACET, taken))
    return keys


def keys_of(row: Mapping[str, Any]) -> Counter:
    return Counter(_keys(row))


def count_new(delta: Counter, rows: Iterable[Mapping[str, Any]]) -> None:
    """Add orders that did not exist before (an import's thousand new rows at once)."""
    delta.update(chain.from_iterable(map(_keys, rows)))


def change(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> Counter:
    """Delta for an order going from ``old`` to ``new`` (None: did not / does not exist)."""
    delta: Counter = Counter()
    if new is not None:
        delta.update(keys_of(new))
    if old is not None:
        delta.subtract(keys_of(old))
    return delta


def apply(session: Session, organization_id: str, delta: Counter) -> None:
    """Add ``delta`` to the stored counts (upsert, in key order)."""
    items = sorted((key, n) for key, n in delta.items() if n)
    upsert_adding(session, OrderFacetCount.__table__, ("organization_id", "facet", "value"), [
        {"organization_id": organization_id, "facet": facet, "value": value, "count": n}
        for (facet, value), n in items
    ], add=("count",))


def lookup(session: Session, organization_id: str, facet: str, values: Iterable[str]) -> int:
    """Stored number of orders whose ``facet`` is one of ``values`` ("" for all orders)."""
    values = list(values)
    total = session.scalar(
        select(func.coalesce(func.sum(OrderFacetCount.count), 0)).where(
            OrderFacetCount.organization_id == organization_id,
            OrderFacetCount.facet == facet,
            OrderFacetCount.value.in_(values),
        )
    )
    return int(total or 0)


def rebuild(session: Session, organization_id: str) -> None:
    """Recount everything from the orders table (after a bulk load outside the services)."""
    session.execute(delete(OrderFacetCount).where(OrderFacetCount.organization_id == organization_id))
    org_orders = Order.organization_id == organization_id
    counts: Counter = Counter()
    counts[TOTAL] = session.scalar(select(func.count()).select_from(Order).where(org_orders)) or 0
    for facet, column in FACET_COLUMNS.items():
        col = getattr(Order, column)
        for value, n in session.execute(select(col, func.count()).where(org_orders, col.is_not(None)).group_by(col)):
            counts[(facet, value)] = n
    reps = union_all(
        select(Order.primary_rep_number.label("rep")).where(org_orders),
        select(Order.taken_by_rep_number.label("rep")).where(
            org_orders, Order.taken_by_rep_number.is_not(None),
            Order.taken_by_rep_number != Order.primary_rep_number,
        ),
    ).subquery()
    for rep, n in session.execute(select(reps.c.rep, func.count()).group_by(reps.c.rep)):
        counts[(REP_FACET, rep)] = n
    apply(session, organization_id, counts)
