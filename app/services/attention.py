"""The needs-attention queue: the orders that want a manager's look, each with its
reasons in words and its age. One SQL query finds them (candidates from the status,
approval and outbox indexes, then each reason as a condition); the thresholds are the
organization's review settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import String, and_, cast, exists, func, or_, select, union
from sqlalchemy.orm import Session, aliased

from app.db.models import Order, Organization, OutboxEmail, utcnow
from app.domain import workflow
from app.domain.errors import PermissionDenied
from app.domain.money import format_money
from app.services import approvals
from app.services.context import Actor

OPEN = (workflow.PENDING, workflow.PROCESSING)
EMAIL_LATE = timedelta(hours=1)
PAGE = 200


@dataclass
class Item:
    order: Order
    reasons: list[str]
    email_id: str | None

    @property
    def awaiting_approval(self) -> bool:
        return self.order.approval_state == approvals.PENDING


def _problem_emails(org_id: str, now: datetime):
    """Emails of the organization that failed, or are queued for more than an hour, with
    no later email of the same order sent."""
    later = aliased(OutboxEmail)
    return (
        select(OutboxEmail.order_id, OutboxEmail.id)
        .where(OutboxEmail.organization_id == org_id, OutboxEmail.order_id.is_not(None),
               or_(OutboxEmail.status == "failed",
                   and_(OutboxEmail.status == "queued", OutboxEmail.created_at < now - EMAIL_LATE)),
               ~exists().where(later.organization_id == org_id, later.order_id == OutboxEmail.order_id,
                               later.status == "sent", later.created_at > OutboxEmail.created_at))
    )


def _conditions(org: Organization, now: datetime):
    rules = approvals.settings_of(org)
    other = aliased(Order)
    is_open = Order.order_status.in_(OPEN)
    problems = _problem_emails(org.id, now).subquery()
    return {
        "pending_long": and_(Order.order_status == workflow.PENDING,
                             Order.order_date < now - timedelta(days=rules.pending_days)),
        "below_list": and_(is_open, Order.below_list_pct > rules.below_list_percent),
        "discount": and_(is_open, Order.discount_pct > rules.discount_percent),
        "approval": Order.approval_state == approvals.PENDING,
        "email": Order.id.in_(select(problems.c.order_id)),
        "incomplete": and_(Order.order_status == workflow.PROCESSING,
                           or_(Order.shipping_address.is_(None),
                               # a JSON null is stored as the text null
                               cast(Order.shipping_address, String).in_(("null", "{}")),
                               Order.shipping_method.is_(None),
                               Order.shipping_method == "")),
        "po_reused": and_(is_open, exists().where(
            other.organization_id == Order.organization_id, other.po_number == Order.po_number,
            other.customer_number == Order.customer_number, other.id != Order.id)),
    }, rules, problems


def _candidates(org_id: str, now: datetime):
    return union(
        select(Order.id).where(Order.organization_id == org_id, Order.order_status.in_(OPEN)),
        select(Order.id).where(Order.organization_id == org_id, Order.approval_state == approvals.PENDING),
        select(_problem_emails(org_id, now).subquery().c.order_id),
    ).subquery()


def _statement(actor: Actor, org: Organization, now: datetime, columns):
    conds, rules, problems = _conditions(org, now)
    candidates = _candidates(org.id, now)
    stmt = select(*columns(conds, problems)).where(
        Order.organization_id == org.id, Order.id.in_(select(candidates.c.id)), or_(*conds.values()))
    return stmt, conds, rules


def _require_manager(actor: Actor) -> None:
    if not actor.is_manager:
        raise PermissionDenied("The needs-attention queue is for managers and admins.")


def count(session: Session, actor: Actor, org: Organization, now: datetime | None = None) -> int:
    """How many orders are in the queue (the number in the navigation)."""
    _require_manager(actor)
    stmt, _, _ = _statement(actor, org, now or utcnow(), lambda conds, problems: [func.count()])
    return session.scalar(stmt) or 0


def queue(session: Session, actor: Actor, org: Organization, *, order_id: str | None = None,
          now: datetime | None = None, limit: int = PAGE) -> list[Item]:
    """The queue, oldest first (or the one order ``order_id`` if it is still in it)."""
    _require_manager(actor)
    now = now or utcnow()

    def columns(conds, problems):
        email = select(func.max(problems.c.id)).where(problems.c.order_id == Order.id).scalar_subquery()
        return [Order, email.label("email_id"), *(cond.label(name) for name, cond in conds.items())]

    stmt, conds, rules = _statement(actor, org, now, columns)
    if order_id is not None:
        stmt = stmt.where(Order.id == order_id)
    rows = session.execute(stmt.order_by(Order.order_date, Order.id).limit(limit)).all()
    return [Item(row[0], _words(row, conds, rules, org, now), row.email_id) for row in rows]


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
