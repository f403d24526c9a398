"""Per-day summaries of the orders behind the managers' dashboard and rep performance,
kept in step with every write (like ``order_facet_counts``), so a period's figures are
sums over a few hundred summary rows instead of a scan of its orders.

A day is a local day of the zone the rows are keyed in, ``organizations.summary_time_zone``.
A change of the organization's time zone queues a background job (``summaries.rebuild``)
that counts the rows again in the new zone and switches ``summary_time_zone`` in the same
transaction; until it has run, writers and the dashboard keep using the old zone, so the
figures stay self-consistent. The job locks the organization's row (``FOR NO KEY UPDATE``)
and every writer of orders reads the zone under ``FOR SHARE``, which conflicts with it: a
write is either committed before the rebuild reads the orders, or waits and is counted
in the new zone after it. Other inserts that refer to the organization (sessions, audit
events, emails) take only ``FOR KEY SHARE`` and do not wait for the recount. On SQLite
writers are serialised by the database's write lock, which the writer and the job take
before reading the zone. Three tables:

- ``order_day_figures``: per (facet, currency, day, value), with facet "" (all orders of
  the currency), "status", "channel", "rep" (primary rep) or "type": orders, kept (not
  Cancelled), cancelled, revenue (total of the kept ones), overridden lines, approvals asked;
- ``order_day_customers``: per (currency, day, customer) over kept orders: orders, units, revenue;
- ``order_day_products``: per (currency, day, sku) over the lines of kept orders: orders
  with the sku, units, revenue (line subtotals).

Writers describe an order before and after (column values plus lines) and ``apply``
upserts the difference, in key order like the facet counts."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.db.models import Job, Order, OrderDayCustomer, OrderDayFigure, OrderDayProduct, Organization
from app.db.tx import run_in_transaction, upsert_adding
from app.domain import workflow
from app.services import jobs
from app.services.context import Actor

FACETS = {"status": "order_status", "channel": "channel", "rep": "primary_rep_number", "type": "order_type"}
FIGURES = ("orders", "kept", "cancelled", "revenue", "overridden_lines", "approvals_asked")
TOTALS = ("orders", "units", "revenue")
# What a writer's snapshot of an order needs.
COLUMNS = ("order_date", "order_status", "currency_code", "order_total", "units", "overridden_lines",
           "approval_state", "customer_number", "company_name", *FACETS.values())

Key = tuple  # (table, *key columns)


def zone_of(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_day(when: datetime, zone: zoneinfo.ZoneInfo) -> date:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(zone).date()


class Delta:
    """Summed changes per summary row, with the latest name seen for customer/product rows."""

    def __init__(self) -> None:
        self.sums: dict[Key, list] = {}
        self.names: dict[Key, str] = {}

    def add(self, key: Key, values: Sequence, sign: int, name: str | None = None) -> None:
        into = self.sums.setdefault(key, [0] * len(values))
        for i, v in enumerate(values):
            into[i] += sign * v
        if name is not None and (sign > 0 or key not in self.names):
            self.names[key] = name

    def order(self, row: Mapping[str, Any] | None, lines: Iterable[Mapping[str, Any]], zone: zoneinfo.ZoneInfo,
              sign: int = 1) -> None:
        """Count one order (column values and its lines) in (sign=1) or out (sign=-1)."""
        if row is None:
            return
        day = local_day(row["order_date"], zone)
        currency = row["currency_code"]
        kept = row["order_status"] != workflow.CANCELLED
        total = Decimal(row["order_total"] or 0)
        figures = (1, int(kept), int(not kept), total if kept else Decimal(0), int(row.get("overridden_lines") or 0),
                   int(row.get("approval_state") is not None))
        self.add(("f", "", currency, day, ""), figures, sign)
        for facet, column in FACETS.items():
            self.add(("f", facet, currency, day, row.get(column) or ""), figures, sign)
        if not kept:
            return
        self.add(("c", currency, day, row["customer_number"]), (1, int(row.get("units") or 0), total), sign,
                 row.get("company_name"))
        products: dict[str, list] = {}
        names: dict[str, str] = {}
        for line in lines:
            sums = products.setdefault(line["sku"], [1, 0, Decimal(0)])
            sums[1] += int(line["quantity"] or 0)
            sums[2] += Decimal(line["sub_total"] or 0)
            names[line["sku"]] = line.get("product_name")
        for sku, sums in products.items():
            self.add(("p", currency, day, sku), sums, sign, names[sku])

    def change(self, old: Mapping[str, Any] | None, old_lines: Iterable[Mapping[str, Any]],
               new: Mapping[str, Any] | None, new_lines: Iterable[Mapping[str, Any]],
               zone: zoneinfo.ZoneInfo) -> None:
        self.order(old, old_lines, zone, -1)
        self.order(new, new_lines, zone, 1)


def snapshot(order: Order) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A loaded order's summary-relevant values (before or after an edit)."""
    return ({c: getattr(order, c) for c in COLUMNS},
            [{"sku": i.sku, "quantity": i.quantity, "sub_total": i.sub_total, "product_name": i.product_name}
             for i in order.items])


def record_edit(session: Session, order: Order, before: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    """Apply the change of one loaded order since ``before`` (a ``snapshot``)."""
    delta = Delta()
    delta.change(before[0], before[1], *snapshot(order), write_zone(session, order.organization_id))
    apply(session, order.organization_id, delta)


def keyed_zone(org: Organization) -> str:
    """The zone the organization's summary rows are keyed in (what the dashboard reads them by)."""
    return org.summary_time_zone or org.time_zone or "UTC"


def locked_zones(session: Session, organization_id: str, *, exclusive: bool) -> tuple[str, str]:
    """(summary zone, time zone) read under the lock that orders writers and the rebuild:
    on PostgreSQL ``FOR SHARE`` for a writer (writers do not wait for each other) and
    ``FOR NO KEY UPDATE`` for the rebuild; on SQLite a no-op update takes the database's write
    lock first, so the value read is the one the transaction commits against."""
    params = {"org": organization_id}
    if session.get_bind().dialect.name == "postgresql":
        lock = "FOR NO KEY UPDATE" if exclusive else "FOR SHARE"
        row = session.execute(text("SELECT summary_time_zone, time_zone FROM organizations WHERE id = :org "
                                   f"{lock}"), params).one()
    else:
        row = session.execute(text("UPDATE organizations SET summary_time_zone = summary_time_zone "
                                   "WHERE id = :org RETURNING summary_time_zone, time_zone"), params).one()
    zone = row[1] or "UTC"
    return row[0] or zone, zone


def write_zone(session: Session, organization_id: str) -> zoneinfo.ZoneInfo:
    """The zone a writer counts its change in (locks as ``locked_zones`` says, until commit)."""
    return zone_of(locked_zones(session, organization_id, exclusive=False)[0])


TABLES = {
    "f": (OrderDayFigure, ("facet", "currency_code", "day", "value"), FIGURES, None),
    "c": (OrderDayCustomer, ("currency_code", "day", "customer_number"), TOTALS, "company_name"),
    "p": (OrderDayProduct, ("currency_code", "day", "sku"), TOTALS, "product_name"),
}


def apply(session: Session, organization_id: str, delta: Delta) -> None:
    """Add ``delta`` to the stored rows (upserts in key order; rows are never deleted here)."""
    for kind, (model, keys, values, name_column) in TABLES.items():
        items = sorted((k[1:], v) for k, v in delta.sums.items() if k[0] == kind and any(v))
        rows = []
        for key, sums in items:
            row = {"organization_id": organization_id, **dict(zip(keys, key, strict=True)),
                   **dict(zip(values, sums, strict=True))}
            if name_column:
                row[name_column] = delta.names.get((kind, *key)) or key[-1]
            rows.append(row)
        upsert_adding(session, model.__table__, ("organization_id", *keys), rows, add=values,
                      replace=(name_column,) if name_column else ())


# --------------------------------------------------------------------------- rebuild

_KEPT = "CASE WHEN o.order_status <> 'Cancelled' THEN 1 ELSE 0 END"


def _day_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return "CAST(timezone(CAST(:zone AS TEXT), o.order_date) AS DATE)"
    return "local_day(o.order_date, :zone)"


def _sqlite_local_day(value: str | None, zone: str) -> str | None:
    if value is None:
        return None
    return local_day(datetime.fromisoformat(value), zone_of(zone)).isoformat()


def rebuild_sql(connection, organization_id: str, zone: str | None, step=None) -> None:
    """Recompute an organization's summaries from its orders with set-based SQL (after a
    time-zone change, a bulk load, or the migration that adds them). Plain SQL on table
    and column names, so the migration can run it as it stands."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.connection.driver_connection.create_function("local_day", 2, _sqlite_local_day,
                                                                deterministic=True)
    params = {"org": organization_id, "zone": zone_of(zone).key}
    for table in ("order_day_figures", "order_day_customers", "order_day_products"):
        connection.execute(text(f"DELETE FROM {table} WHERE organization_id = :org"), params)
    step = step or (lambda done: None)
    step(1)
    day = _day_sql(dialect)
    facts = (f"SELECT o.currency_code, {day} AS day, o.order_status, COALESCE(o.channel, '') AS channel, "
             f"o.primary_rep_number, o.order_type, {_KEPT} AS kept, "
             f"CASE WHEN o.order_status <> 'Cancelled' THEN o.order_total ELSE 0 END AS revenue, "
             f"o.overridden_lines, CASE WHEN o.approval_state IS NOT NULL THEN 1 ELSE 0 END AS asked "
             f"FROM orders o WHERE o.organization_id = CAST(:org AS VARCHAR)")
    facets = " UNION ALL ".join(
        f"SELECT '{facet}' AS facet, currency_code, day, {column} AS value, kept, revenue, overridden_lines, asked "
        f"FROM facts" for facet, column in (("", "''"), *FACETS.items()))
    connection.execute(text(
        f"WITH facts AS ({facts}) "
        "INSERT INTO order_day_figures (organization_id, facet, currency_code, day, value, orders, kept, cancelled, "
        "revenue, overridden_lines, approvals_asked) "
        f"SELECT CAST(:org AS VARCHAR), facet, currency_code, day, value, count(*), sum(kept), count(*) - sum(kept), sum(revenue), "
        f"sum(overridden_lines), sum(asked) FROM ({facets}) f GROUP BY facet, currency_code, day, value"), params)
    step(2)
    connection.execute(text(
        "INSERT INTO order_day_customers (organization_id, currency_code, day, customer_number, orders, units, "
        "revenue, company_name) "
        "SELECT CAST(:org AS VARCHAR), currency_code, day, customer_number, count(*), sum(units), sum(order_total), "
        f"max(company_name) FROM (SELECT o.currency_code, {day} AS day, o.customer_number, o.units, o.order_total, "
        "o.company_name FROM orders o WHERE o.organization_id = CAST(:org AS VARCHAR) "
        "AND o.order_status <> 'Cancelled') c GROUP BY currency_code, day, customer_number"), params)
    step(3)
    connection.execute(text(
        "INSERT INTO order_day_products (organization_id, currency_code, day, sku, orders, units, revenue, "
        "product_name) "
        "SELECT CAST(:org AS VARCHAR), currency_code, day, sku, count(DISTINCT order_id), sum(quantity), "
        f"sum(sub_total), max(product_name) FROM (SELECT o.currency_code, {day} AS day, l.sku, l.order_id, "
        "l.quantity, l.sub_total, l.product_name FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "WHERE o.organization_id = CAST(:org AS VARCHAR) AND o.order_status <> 'Cancelled') p "
        "GROUP BY currency_code, day, sku"), params)


def rebuild(session: Session, organization_id: str, zone: str | None, step=None) -> None:
    session.flush()
    rebuild_sql(session.connection(), organization_id, zone, step)


# --------------------------------------------------------------------------- the rebuild job

REBUILD = "summaries.rebuild"
REBUILD_STEPS = 4  # delete, figures, customers, products


def pending_rebuild(session: Session, organization_id: str) -> jobs.JobState | None:
    """The organization's newest queued or running rebuild, if any."""
    job = session.scalar(select(Job).where(Job.organization_id == organization_id, Job.kind == REBUILD,
                                           Job.state.in_((jobs.QUEUED, jobs.RUNNING)))
                         .order_by(Job.created_at.desc(), Job.id).limit(1)
                         .execution_options(populate_existing=True))
    return jobs.JobState.of(job) if job is not None else None


def recount(session: Session, org: Organization) -> dict[str, Any] | None:
    """While the figures are still keyed in an old time zone: the old and new zone and
    the recount's job (for the notice on the dashboard and the settings page)."""
    old = keyed_zone(org)
    if old == (org.time_zone or "UTC"):
        return None
    return {"old": old, "new": org.time_zone, "job": pending_rebuild(session, org.id)}


def request_rebuild(session: Session, actor: Actor) -> jobs.JobState:
    """Queue a recount in the organization's (new) time zone, in the caller's transaction,
    which holds the organization's row lock. A rebuild still queued reads the zone when
    it runs, so it serves this change too: no second job. A running one may have read
    the old zone already, so another is queued behind it."""
    queued = session.scalar(select(Job).where(Job.organization_id == actor.organization_id, Job.kind == REBUILD,
                                              Job.state == jobs.QUEUED).limit(1))
    if queued is not None:
        return jobs.JobState.of(queued)
    return jobs.add_job(session, actor, REBUILD, total=REBUILD_STEPS)


@jobs.handler(REBUILD)
def _rebuild_job(ctx: jobs.JobContext) -> dict[str, Any]:
    """Count the summaries again in the organization's current time zone and switch the
    zone they are keyed in, in one transaction under the organization's row lock (order
    writes of the organization wait for it; at a million orders about a minute)."""
    session = ctx.session

    def work() -> dict[str, Any]:
        current, target = locked_zones(session, ctx.organization_id, exclusive=True)
        if current == target:
            return {"time_zone": target, "recounted": "no"}
        rebuild(session, ctx.organization_id, target, lambda done: ctx.note_progress(done, REBUILD_STEPS))
        session.execute(text("UPDATE organizations SET summary_time_zone = :zone WHERE id = :org"),
                        {"zone": target, "org": ctx.organization_id})
        # Commits the rows, the zone and the progress together, guarded by the job's lease.
        ctx.progress(REBUILD_STEPS, REBUILD_STEPS)
        return {"time_zone": target, "previous_time_zone": current, "recounted": "yes"}

    return run_in_transaction(session, work)
