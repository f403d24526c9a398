"""The managers' dashboard and rep performance: figures for a period in the
organization's time zone, compared with the previous period of the same length.

Every figure is an SQL aggregate (GROUP BY) over the per-local-day summaries that every
write keeps in step (app/services/summaries.py): a period is a range of local days, so a
quarter sums a few thousand summary rows rather than scanning its orders, and nothing
loads orders into Python. Money is never
summed across currencies: each currency has its own figures. The definitions, which the
orders list links reproduce exactly:

- orders: every order dated in the period (cancelled ones included);
- revenue: the total of those orders that are not Cancelled; average = revenue / their number;
- cancelled share: cancelled orders / orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from app.db.models import OrderDayCustomer, OrderDayFigure, OrderDayProduct, SalesRep
from app.domain import workflow
from app.domain.errors import FieldError, PermissionDenied, ValidationFailed
from app.domain.money import round_amount
from app.services import summaries
from app.services.context import Actor
from app.services.summaries import zone_of

PERIODS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days", "quarter": "This quarter",
           "custom": "Custom range"}
MAX_DAYS = 366
TOP = 10


@dataclass(frozen=True)
class Period:
    key: str
    first: date  # first local day
    last: date  # last local day (inclusive)
    start: datetime  # UTC instants: [start, end)
    end: datetime
    zone: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"

    def previous(self) -> Period:
        last = self.first - timedelta(days=1)
        return make_period("previous", last - timedelta(days=self.days - 1), last, self.zone)


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone_of(zone)).astimezone(UTC)


def make_period(key: str, first: date, last: date, zone: str) -> Period:
    return Period(key, first, last, local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone), zone)


def today_in(zone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone_of(zone)).date()


def resolve_period(key: str | None, first: str | None, last: str | None, zone: str,
                   now: datetime | None = None) -> Period:
    """A named period (today, 7d, 30d, quarter) or a custom range of local dates."""
    today = today_in(zone, now)
    key = key or "30d"
    if key == "today":
        return make_period(key, today, today, zone)
    if key in ("7d", "30d"):
        return make_period(key, today - timedelta(days=int(key[:-1]) - 1), today, zone)
    if key == "quarter":
        return make_period(key, date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today, zone)
    if key != "custom":
        raise ValidationFailed([FieldError("period", f"must be one of {', '.join(PERIODS)}")])
    errors = []
    days = []
    for name, value in (("from", first), ("to", last)):
        try:
            days.append(date.fromisoformat(str(value or "").strip()))
        except ValueError:
            errors.append(FieldError(name, "must be a date such as 2026-03-31"))
    if not errors:
        if days[1] < days[0]:
            errors.append(FieldError("to", "must not be before the start"))
        elif (days[1] - days[0]).days + 1 > MAX_DAYS:
            errors.append(FieldError("to", f"a range covers at most {MAX_DAYS} days"))
        elif days[0].year < 1900 or days[1].year > 2200:
            errors.append(FieldError("from", "must be a date between the years 1900 and 2200"))
    if errors:
        raise ValidationFailed(errors)
    return make_period(key, days[0], days[1], zone)


def _require_manager(actor: Actor) -> None:
    if not actor.is_manager:
        raise PermissionDenied("The dashboard is for managers and admins.")


F = OrderDayFigure


def _days(model, period: Period):
    """The summary rows of the period's local days."""
    return (model.day >= period.first, model.day <= period.last)


def _figures(actor: Actor, facet: str, first: date, last: date):
    return (F.organization_id == actor.organization_id, F.facet == facet, F.day >= first, F.day <= last)


_ORDERS = func.sum(F.orders)
_REVENUE = func.sum(F.revenue)
_KEPT = func.sum(F.kept)
_CANCELLED = func.sum(F.cancelled)


# --------------------------------------------------------------------------- headline figures


@dataclass
class Headline:
    orders: int = 0
    kept: int = 0
    revenue: Decimal = Decimal(0)
    cancelled: int = 0
    currency: str | None = None  # None for counts over every currency (no money)

    @property
    def average(self) -> Decimal | None:
        """Revenue per kept order, rounded to the currency like any amount."""
        return _average(self.revenue, self.kept, self.currency)

    @property
    def cancelled_share(self) -> Decimal | None:
        return (Decimal(self.cancelled) * 100 / self.orders) if self.orders else None


@dataclass
class Comparison:
    current: Headline
    previous: Headline


def headlines(session: Session, actor: Actor, period: Period) -> dict[str, Comparison]:
    """Per currency: orders, revenue, average and cancelled share, now and in the
    previous period of the same length (one query over both periods)."""
    _require_manager(actor)
    prev = period.previous()
    is_current = case((F.day >= period.first, 1), else_=0).label("cur")
    rows = session.execute(
        select(F.currency_code, is_current, _ORDERS, _KEPT, _REVENUE, _CANCELLED)
        .where(*_figures(actor, "", prev.first, period.last))
        .group_by(F.currency_code, is_current)
        .having(_ORDERS != 0)
    )
    out: dict[str, Comparison] = {}
    for currency, cur, n, kept, revenue, cancelled in rows:
        comp = out.setdefault(currency, Comparison(Headline(currency=currency), Headline(currency=currency)))
        target = comp.current if cur else comp.previous
        target.orders, target.kept, target.cancelled = int(n), int(kept or 0), int(cancelled or 0)
        target.revenue = _dec(revenue, currency)
    return dict(sorted(out.items(), key=lambda kv: (-kv[1].current.orders, kv[0])))


def totals(comparisons: dict[str, Comparison]) -> tuple[Headline, Headline]:
    """Order counts over every currency (counts add up; money does not)."""
    cur, prev = Headline(), Headline()
    for comp in comparisons.values():
        for into, src in ((cur, comp.current), (prev, comp.previous)):
            into.orders += src.orders
            into.kept += src.kept
            into.cancelled += src.cancelled
    return cur, prev


def _dec(value: Any, currency: str | None = None) -> Decimal:
    """An SQL sum as a Decimal; SQLite sums amounts as floats, so rounded to the currency."""
    number = Decimal(str(value)) if value is not None else Decimal(0)
    return round_amount(number, currency) if currency else number


# --------------------------------------------------------------------------- breakdowns


@dataclass
class Row:
    key: str | None
    label: str
    orders: int
    revenue: Decimal
    kept: int = 0


BREAKDOWNS = tuple(summaries.FACETS)


def breakdown(session: Session, actor: Actor, period: Period, currency: str, by: str) -> list[Row]:
    """Orders and revenue in one currency by status, channel, primary rep or order type."""
    _require_manager(actor)
    if by not in BREAKDOWNS:
        raise ValueError(by)
    rows = session.execute(
        select(F.value, _ORDERS, _REVENUE, _KEPT)
        .where(*_figures(actor, by, period.first, period.last), F.currency_code == currency)
        .group_by(F.value)
        .having(_ORDERS != 0)
    ).all()
    names = rep_names(session, actor.organization_id) if by == "rep" else {}
    out = [Row(key or None, names.get(key) or key or "(none)", int(n), _dec(rev, currency), int(kept or 0))
           for key, n, rev, kept in rows]
    if by == "status":
        rank = {s: i for i, s in enumerate(workflow.STATUSES)}
        return sorted(out, key=lambda r: rank.get(r.key or "", 99))
    return sorted(out, key=lambda r: (-r.orders, r.label))


def rep_names(session: Session, org_id: str) -> dict[str, str]:
    rows = session.execute(select(SalesRep.rep_number, SalesRep.first_name, SalesRep.last_name)
                           .where(SalesRep.organization_id == org_id))
    return {num: " ".join(p for p in (first, last) if p) or num for num, first, last in rows}


@dataclass
class TopRow:
    key: str
    label: str
    orders: int
    units: int
    revenue: Decimal


def _tops(session: Session, actor: Actor, period: Period, currency: str, model, key, name) -> dict[str, list[TopRow]]:
    """The ten keys with the most revenue and the ten with the most units, from one
    aggregate over the period's summary rows (read from a covering index)."""
    totals = (select(key.label("key"), func.max(name).label("name"), func.sum(model.orders).label("orders"),
                     func.sum(model.units).label("units"), func.sum(model.revenue).label("revenue"))
              .where(model.organization_id == actor.organization_id, model.currency_code == currency,
                     *_days(model, period))
              .group_by(key).having(func.sum(model.orders) != 0).cte("totals"))
    ranked = [select(literal_column(f"'{by}'").label("by"), *totals.c)
              .order_by(totals.c[by].desc(), totals.c.key).limit(TOP).subquery() for by in ("revenue", "units")]
    out: dict[str, list[TopRow]] = {"revenue": [], "units": []}
    for r in session.execute(union_all(*(select(*r.c) for r in ranked))):
        out[r.by].append(TopRow(r.key, r.name or r.key, int(r.orders), int(r.units or 0), _dec(r.revenue, currency)))
    for by, rows in out.items():
        rows.sort(key=lambda t, by=by: (-(t.revenue if by == "revenue" else t.units), t.key))
    return out


def top_customers_both(session: Session, actor: Actor, period: Period, currency: str) -> dict[str, list[TopRow]]:
    """The ten customers with the most revenue and the ten with the most units in one
    currency, cancelled orders left out."""
    _require_manager(actor)
    return _tops(session, actor, period, currency, OrderDayCustomer, OrderDayCustomer.customer_number,
                 OrderDayCustomer.company_name)


def top_products_both(session: Session, actor: Actor, period: Period, currency: str) -> dict[str, list[TopRow]]:
    """The ten SKUs with the most revenue (line subtotals) and the ten with the most units
    in one currency, cancelled orders left out; ``orders`` counts the orders with that SKU."""
    _require_manager(actor)
    return _tops(session, actor, period, currency, OrderDayProduct, OrderDayProduct.sku, OrderDayProduct.product_name)


def top_customers(session: Session, actor: Actor, period: Period, currency: str, by: str = "revenue") -> list[TopRow]:
    return top_customers_both(session, actor, period, currency)[by]


def top_products(session: Session, actor: Actor, period: Period, currency: str, by: str = "revenue") -> list[TopRow]:
    return top_products_both(session, actor, period, currency)[by]


# --------------------------------------------------------------------------- daily trend


@dataclass
class Day:
    day: date
    orders: int = 0
    revenue: Decimal = Decimal(0)


def daily(session: Session, actor: Actor, period: Period, currency: str) -> list[Day]:
    """Orders and revenue per local day of the period, in one currency."""
    _require_manager(actor)
    rows = session.execute(
        select(F.day, _ORDERS, _REVENUE)
        .where(*_figures(actor, "", period.first, period.last), F.currency_code == currency)
        .group_by(F.day)
    )
    days = {period.first + timedelta(days=i): Day(period.first + timedelta(days=i)) for i in range(period.days)}
    for day, n, revenue in rows:
        if day in days:
            days[day].orders += int(n or 0)
            days[day].revenue += _dec(revenue, currency)
    return list(days.values())


# --------------------------------------------------------------------------- rep performance


@dataclass
class RepRow:
    rep_number: str
    name: str
    orders: int = 0
    cancelled: int = 0
    overridden_lines: int = 0
    approvals_asked: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def average(self, currency: str) -> Decimal | None:
        return _average(self.revenue.get(currency, Decimal(0)), self.kept.get(currency, 0), currency)


def _average(revenue: Decimal, orders: int, currency: str | None) -> Decimal | None:
    if not orders or currency is None:
        return None
    return round_amount(revenue / orders, currency)


REP_SORTS = ("name", "orders", "revenue", "average", "overridden", "cancelled", "approvals")


def rep_performance(session: Session, actor: Actor, period: Period) -> list[RepRow]:
    """Per primary rep: orders, revenue and average per currency, overridden lines,
    cancellations and approvals asked for (one GROUP BY rep, currency)."""
    _require_manager(actor)
    rows = session.execute(
        select(F.value, F.currency_code, _ORDERS, _REVENUE, _KEPT, _CANCELLED, func.sum(F.overridden_lines),
               func.sum(F.approvals_asked))
        .where(*_figures(actor, "rep", period.first, period.last))
        .group_by(F.value, F.currency_code)
        .having(_ORDERS != 0)
    )
    names = rep_names(session, actor.organization_id)
    reps: dict[str, RepRow] = {}
    for rep, currency, n, revenue, kept, cancelled, overridden, asked in rows:
        row = reps.setdefault(rep, RepRow(rep, names.get(rep) or rep))
        row.orders += int(n)
        row.cancelled += int(cancelled or 0)
        row.overridden_lines += int(overridden or 0)
        row.approvals_asked += int(asked or 0)
        row.revenue[currency] = _dec(revenue, currency)
        row.kept[currency] = int(kept or 0)
    return list(reps.values())


def sort_reps(rows: list[RepRow], key: str, descending: bool, currency: str) -> list[RepRow]:
    def value(r: RepRow):
        return {
            "name": r.name.lower(), "orders": r.orders, "revenue": r.revenue.get(currency, Decimal(0)),
            "average": r.average(currency) or Decimal(0), "overridden": r.overridden_lines,
            "cancelled": r.cancelled, "approvals": r.approvals_asked,
        }[key if key in REP_SORTS else "revenue"]

    return sorted(sorted(rows, key=lambda r: r.rep_number), key=value, reverse=descending)


def currencies_seen(comparisons: dict[str, Comparison], default: str) -> list[str]:
    seen = [c for c, comp in comparisons.items() if comp.current.orders or comp.previous.orders]
    return seen or [default]


def summary(session: Session, actor: Actor, period: Period, currency: str,
            comps: dict[str, Comparison] | None = None) -> dict[str, Any]:
    """Everything the dashboard shows, for one period and one selected currency."""
    comps = headlines(session, actor, period) if comps is None else comps
    customers = top_customers_both(session, actor, period, currency)
    products = top_products_both(session, actor, period, currency)
    return {
        "headlines": comps, "totals": totals(comps),
        "by_status": breakdown(session, actor, period, currency, "status"),
        "by_channel": breakdown(session, actor, period, currency, "channel"),
        "by_rep": breakdown(session, actor, period, currency, "rep"),
        "by_type": breakdown(session, actor, period, currency, "type"),
        "top_customers": customers["revenue"], "top_customers_units": customers["units"],
        "top_products": products["revenue"], "top_products_units": products["units"],
        "trend": daily(session, actor, period, currency),
    }
