"""The needs-attention queue: the orders that want a manager's look, each with its
reasons in words and its age. Each reason is its own SELECT over the index of the few
orders it can concern (a partial index of open orders, one of orders awaiting approval,
the outbox's status and order indexes); their UNION is the queue, counted for the
navigation or paged oldest first. The thresholds are the organization's review settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import String, and_, cast, exists, func, literal, literal_column, or_, select, union
from sqlalchemy.orm import Session, aliased, lazyload, load_only

from app.db.models import Order, Organization, OutboxEmail, utcnow
from app.domain import workflow
from app.domain.errors import PermissionDenied
from app.domain.money import format_money
from app.services import approvals
from app.services.context import Actor

OPEN = (workflow.PENDING, workflow.PROCESSING)


def _literal(value: str):
    """A constant written into the SQL, so PostgreSQL matches it to a partial index's
    condition even when it plans the statement once for any parameters."""
    return literal_column("'" + value + "'")


_IS_OPEN = Order.order_status.in_([_literal(s) for s in OPEN])
_AWAITING = Order.approval_state == _literal(approvals.PENDING)
EMAIL_LATE = timedelta(hours=1)
PAGE = 200
ROW_COLUMNS = ("id", "organization_id", "order_number", "order_date", "order_status", "currency_code", "order_total",
               "company_name", "customer_number", "po_number", "approval_state", "approval_reasons", "below_list_pct",
               "discount_pct", "shipping_address", "shipping_method", "version")


@dataclass
class Item:
    order: Order
    reasons: list[str]
    email_id: str | None

    @property
    def awaiting_approval(self) -> bool:
        return self.order.approval_state == approvals.PENDING


def _problem_emails(org_id: str, now: datetime):
    """Per order, its newest email that failed or is queued for more than an hour, with no
    later email of the same order sent (read through the outbox's status and order indexes)."""
    later = aliased(OutboxEmail)
    return (
        select(OutboxEmail.order_id.label("order_id"), func.max(OutboxEmail.id).label("email_id"))
        .where(OutboxEmail.organization_id == org_id, OutboxEmail.order_id.is_not(None),
               or_(OutboxEmail.status == "failed",
                   and_(OutboxEmail.status == "queued", OutboxEmail.created_at < now - EMAIL_LATE)),
               ~exists().where(later.order_id == OutboxEmail.order_id, later.status == "sent",
                               later.organization_id == org_id, later.created_at > OutboxEmail.created_at))
        .group_by(OutboxEmail.order_id)
    ).cte("problem_emails")


def _conditions(org: Organization, now: datetime, problems):
    """Each reason as a condition on an order row (``problems`` outer-joined for the email one)."""
    rules = approvals.settings_of(org)
    other = aliased(Order)
    is_open = _IS_OPEN
    return {
        "pending_long": and_(Order.order_status == _literal(workflow.PENDING),
                             Order.order_date < now - timedelta(days=rules.pending_days)),
        "below_list": and_(is_open, Order.below_list_pct > rules.below_list_percent),
        "discount": and_(is_open, Order.discount_pct > rules.discount_percent),
        "approval": _AWAITING,
        "email": problems.c.order_id.is_not(None),
        "incomplete": and_(Order.order_status == _literal(workflow.PROCESSING),
                           or_(Order.shipping_address.is_(None),
                               # a JSON null is stored as the text null
                               cast(Order.shipping_address, String).in_(("null", "{}")),
                               Order.shipping_method.is_(None),
                               Order.shipping_method == "")),
        "po_reused": and_(is_open, exists().where(
            other.organization_id == Order.organization_id, other.po_number == Order.po_number,
            other.customer_number == Order.customer_number, other.id != Order.id)),
    }, rules


def _hits(org: Organization, now: datetime, conds, problems):
    """The queue's orders (id, date): one SELECT per reason, each reading the index of the
    few orders it concerns (open orders, orders awaiting approval, problem emails), never
    a scan of every order."""
    mine = Order.organization_id == org.id
    per_reason = [select(Order.id, Order.order_date).where(mine, cond) for name, cond in conds.items() if name != "email"]
    per_reason.append(select(Order.id, Order.order_date).join(problems, problems.c.order_id == Order.id).where(mine))
    return union(*per_reason)


def _require_manager(actor: Actor) -> None:
    if not actor.is_manager:
        raise PermissionDenied("The needs-attention queue is for managers and admins.")


def count(session: Session, actor: Actor, org: Organization, now: datetime | None = None) -> int:
    """How many orders are in the queue (the number in the navigation)."""
    _require_manager(actor)
    now = now or utcnow()
    problems = _problem_emails(org.id, now)
    conds, _ = _conditions(org, now, problems)
    return session.scalar(select(func.count()).select_from(_hits(org, now, conds, problems).subquery())) or 0


def queue(session: Session, actor: Actor, org: Organization, *, order_id: str | None = None,
          now: datetime | None = None, limit: int = PAGE) -> list[Item]:
    """The queue, oldest first (or the one order ``order_id`` if it is still in it)."""
    return queue_and_count(session, actor, org, order_id=order_id, now=now, limit=limit, with_total=False)[0]


def queue_and_count(session: Session, actor: Actor, org: Organization, *, order_id: str | None = None,
                    now: datetime | None = None, limit: int = PAGE,
                    with_total: bool = True) -> tuple[list[Item], int]:
    """The queue's oldest ``limit`` orders with their reasons, and how many it holds, in one
    statement (the reasons' UNION is evaluated once). Without ``with_total`` the count is
    left out (0), so a one-row lookup does not build the whole queue."""
    _require_manager(actor)
    now = now or utcnow()
    problems = _problem_emails(org.id, now)
    conds, rules = _conditions(org, now, problems)
    hits = _hits(org, now, conds, problems).cte("hits")
    page = select(hits.c.id)
    if order_id is not None:
        page = page.where(hits.c.id == order_id)
    page = page.order_by(hits.c.order_date, hits.c.id).limit(limit)
    total = (select(func.count()).select_from(hits).scalar_subquery() if with_total else literal(0)).label("total")
    stmt = (select(Order, problems.c.email_id, total, *(cond.label(name) for name, cond in conds.items()))
            .outerjoin(problems, problems.c.order_id == Order.id)
            .where(Order.organization_id == org.id, Order.id.in_(page))
            .order_by(Order.order_date, Order.id)
            # The columns the queue shows and words its reasons with; lines are not needed.
            .options(load_only(*(getattr(Order, c) for c in ROW_COLUMNS)), lazyload(Order.items)))
    rows = session.execute(stmt).all()
    items = [Item(row[0], _words(row, conds, rules, org, now), row.email_id) for row in rows]
    return items, (rows[0].total if rows else 0)


def _words(row, conds, rules, org: Organization, now: datetime) -> list[str]:
    order: Order = row[0]
    out = []
    flags = {name: bool(getattr(row, name)) for name in conds}
    if flags["approval"]:
        out.append("Awaiting approval: " + "; ".join(order.approval_reasons or []))
    if flags["pending_long"]:
        out.append(f"Pending for {age_words(now - order.order_date)} (more than {rules.pending_days} days)")
    if flags["below_list"]:
        out.append(f"A line is priced {_pct(order.below_list_pct)} % below its list price "
                   f"(more than {_pct(rules.below_list_percent)} %)")
    if flags["discount"]:
        out.append(f"Discount is {_pct(order.discount_pct)} % of the subtotal (above {_pct(rules.discount_percent)} %)")
    if flags["email"]:
        out.append("The confirmation email failed or has been waiting to be sent for more than an hour")
    if flags["incomplete"]:
        missing = [name for name, value in (("ship-to address", order.shipping_address),
                                            ("shipping method", order.shipping_method)) if not value]
        out.append(f"Processing without a {' or '.join(missing)}")
    if flags["po_reused"]:
        out.append(f"PO {order.po_number} is also on another order of {order.company_name}")
    return out


def _pct(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def age_words(delta: timedelta) -> str:
    days = delta.days
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = delta.seconds // 3600
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours else "under an hour"


def money(order: Order, org: Organization) -> str | None:
    return format_money(order.order_total, order.currency_code, org.locale)
