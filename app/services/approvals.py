"""Approvals: an organization may require a manager's approval for orders above a total
(per currency), with a discount above a share of the subtotal, or with a line priced
below its list price by more than a percentage.

Every write of an order's content is assessed here (create, import, re-import, shipping
edits); the gates that refuse moving an unapproved order to Processing or emailing it as
confirmed are here too, and the services call them, so every door (order page, crafted
POST, bulk actions, API import and re-import) is refused the same way. A change to the
lines, prices, discount or total after a decision makes the decision lapse and asks again."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Order, OrderEvent, Organization, Product, ProductPrice, utcnow
from app.db.tx import in_list, run_in_transaction
from app.domain import workflow
from app.domain.errors import FieldError, PermissionDenied, StateLocked, ValidationFailed
from app.domain.money import format_money
from app.domain.settings import ReviewSettings
from app.services.context import Actor

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATES = (PENDING, APPROVED, REJECTED)
LABELS = {PENDING: "Awaiting approval", APPROVED: "Approved", REJECTED: "Rejected"}
# Statuses an order not (yet) approved may be in; a new order in Shipped or Complete is
# history being imported and is not asked for approval.
UNAPPROVED_STATUSES = (workflow.PENDING, workflow.CANCELLED)
HISTORY_STATUSES = (workflow.SHIPPED, workflow.COMPLETE, workflow.CANCELLED)
MAX_REASON = 1000
DECISION_COLUMNS = ("approval_state", "approval_basis", "approval_decided_by", "approval_decided_at",
                    "approval_note")
_CENT = Decimal("0.01")


def settings_of(org: Organization) -> ReviewSettings:
    return ReviewSettings.from_json(org.review)


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    price: Decimal
    discount: Decimal


@dataclass(frozen=True)
class Figures:
    """What the review rules read from an order's content."""

    overridden_lines: int
    below_list_pct: Decimal
    discount_pct: Decimal
    units: int = 0


def list_prices(session: Session, org_id: str, skus: Iterable[str]) -> dict[tuple[str, str, str], Decimal]:
    """(sku, price tier, currency) → catalog list price, for the given SKUs at once."""
    skus = set(skus)
    if not skus:
        return {}
    rows = session.execute(
        select(Product.sku, ProductPrice.price_tier, ProductPrice.currency_code, ProductPrice.price)
        .join(ProductPrice, ProductPrice.product_id == Product.id)
        .where(Product.organization_id == org_id, in_list(Product.sku, skus))
    )
    return {(sku, tier, cur): price for sku, tier, cur, price in rows}


def figures(lines: Sequence[Line], tier: str, currency: str, order_discount: Decimal,
            prices: Mapping[tuple[str, str, str], Decimal]) -> Figures:
    """Lines priced other than the list price, the largest percentage below list, and the
    discounts (order and lines) as a percentage of the gross subtotal (Σ quantity × price)."""
    overridden, below = 0, Decimal(0)
    gross, discounts = Decimal(0), order_discount or Decimal(0)
    for line in lines:
        gross += line.quantity * line.price
        discounts += line.discount or Decimal(0)
        listed = prices.get((line.sku, tier, currency))
        if listed is None or line.price == listed:
            continue
        overridden += 1
        if listed > 0 and line.price < listed:
            below = max(below, (listed - line.price) * 100 / listed)
    share = discounts * 100 / gross if gross > 0 else Decimal(0)
    return Figures(overridden, _pct(below), _pct(min(share, Decimal(999))), sum(ln.quantity for ln in lines))


def _pct(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def basis(lines: Sequence[Line], discount: Decimal, total: Decimal) -> str:
    """Fingerprint of what an approval approves: lines, prices, discount and total."""
    text = "|".join(f"{ln.sku}:{ln.quantity}:{_n(ln.price)}:{_n(ln.discount)}" for ln in lines)
    return hashlib.sha256(f"{text}#{_n(discount)}#{_n(total)}".encode()).hexdigest()


def _n(value: Decimal | None) -> str:
    return format((value or Decimal(0)).normalize(), "f")


def reasons_for(rules: ReviewSettings, currency: str, total: Decimal, fig: Figures, locale: str) -> list[str]:
    """The approval rules this order meets, in words."""
    reasons = []
    limit = rules.approval_totals.get(currency)
    if limit is not None and total > limit:
        reasons.append(f"Total {format_money(total, currency, locale)} is above "
                       f"{format_money(limit, currency, locale)}")
    if rules.approval_discount_percent is not None and fig.discount_pct > rules.approval_discount_percent:
        reasons.append(f"Discount is {_n(fig.discount_pct)} % of the subtotal (rule: above "
                       f"{_n(rules.approval_discount_percent)} %)")
    if rules.approval_below_list_percent is not None and fig.below_list_pct > rules.approval_below_list_percent:
        reasons.append(f"A line is priced {_n(fig.below_list_pct)} % below its list price (rule: more than "
                       f"{_n(rules.approval_below_list_percent)} %)")
    return reasons


# --------------------------------------------------------------------------- assessing a write


@dataclass
class Assessment:
    """The approval columns an order gets from a write, the event to record, and a
    refusal when the write would bypass the approval."""

    columns: dict[str, Any]
    event: tuple[str, str] | None = None
    refusal: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)


def assess(rules: ReviewSettings, *, locale: str, currency: str, total: Decimal, fig: Figures, new_basis: str,
           old: Mapping[str, Any] | None, old_status: str | None, new_status: str, number: str | None) -> Assessment:
    """The approval state after a write. A decision stands while the approved content
    (``basis``) is unchanged; any change to it asks again. A write may not move an
    unapproved order forward from Pending, nor create one in Processing."""
    columns: dict[str, Any] = {"overridden_lines": fig.overridden_lines, "below_list_pct": fig.below_list_pct,
                               "discount_pct": fig.discount_pct, "units": fig.units}
    reasons = reasons_for(rules, currency, total, fig, locale)
    old_state = old.get("approval_state") if old else None
    history = old is None and new_status in HISTORY_STATUSES
    if not reasons or history:
        columns.update(approval_state=None, approval_reasons=None, approval_basis=None,
                       approval_decided_by=None, approval_decided_at=None, approval_note=None)
        event = ("approval_cleared", "No longer needs approval") if old_state == PENDING else None
        return Assessment(columns, event)
    kept = old_state in (APPROVED, REJECTED) and old.get("approval_basis") == new_basis
    if kept:
        state = old_state
        columns.update({name: old.get(name) for name in DECISION_COLUMNS}, approval_reasons=reasons)
        event = None
    else:
        state = PENDING
        columns.update(approval_state=PENDING, approval_reasons=reasons, approval_basis=new_basis,
                       approval_decided_by=None, approval_decided_at=None, approval_note=None)
        if old_state in (APPROVED, REJECTED):
            event = ("approval_lapsed", f"The {old_state} decision lapsed: lines, prices, discount or total "
                                        f"changed. Awaiting approval again: {'; '.join(reasons)}")
        elif old_state == PENDING:
            event = None
        else:
            event = ("approval_requested", f"Awaiting approval: {'; '.join(reasons)}")
    refusal = None
    if state != APPROVED and new_status not in UNAPPROVED_STATUSES and (old_status or workflow.PENDING) != new_status:
        refusal = unapproved_message(number, state, reasons)
    return Assessment(columns, event, refusal)


def unapproved_message(number: str | None, state: str | None, reasons: Sequence[str]) -> str:
    label = f"Order {number}" if number else "This order"
    if state == REJECTED:
        return (f"{label} was rejected by a manager; it cannot move to Processing. Change its lines, "
                "prices or discount to ask for approval again, or cancel it.")
    why = f" ({'; '.join(reasons)})" if reasons else ""
    return f"{label} is awaiting a manager's approval{why}; it can move to Processing once approved."


def reassess_loaded(session: Session, org: Organization, order: Order, actor: Actor) -> None:
    """After an edit of a loaded order (shipping total, …): same rules as a write."""
    lines = [Line(i.sku, i.quantity, i.price, i.discount_amount) for i in order.items]
    fig = Figures(order.overridden_lines or 0, order.below_list_pct or Decimal(0), order.discount_pct or Decimal(0),
                  sum(line.quantity for line in order.items))
    result = assess(settings_of(org), locale=org.locale, currency=order.currency_code, total=order.order_total,
                    fig=fig, new_basis=basis(lines, order.discount_amount, order.order_total),
                    old=approval_columns(order), old_status=order.order_status, new_status=order.order_status,
                    number=order.order_number)
    for name, value in result.columns.items():
        setattr(order, name, value)
    if result.event:
        record(session, order, actor, *result.event)


def approval_columns(order: Order) -> dict[str, Any]:
    return {name: getattr(order, name) for name in DECISION_COLUMNS}


def record(session: Session, order: Order, actor: Actor, kind: str, summary: str,
           when: datetime | None = None, version: int | None = None) -> None:
    session.add(OrderEvent(organization_id=order.organization_id, order_id=order.id,
                           occurred_at=when or utcnow(), actor=actor.name, kind=kind, summary=summary,
                           changes=[], order_version=version))


# --------------------------------------------------------------------------- gates


def may_move(order: Order, target: str) -> bool:
    """Whether the approval gate lets the order move to ``target``."""
    return target in UNAPPROVED_STATUSES or order.approval_state in (None, APPROVED)


def offered_transitions(order: Order, targets: Sequence[str]) -> tuple[list[str], list[str]]:
    """The workflow's next statuses split into those the approval gate lets the order
    move to (offered as actions) and those it holds back until a manager approves."""
    return [t for t in targets if may_move(order, t)], [t for t in targets if not may_move(order, t)]


def check_may_move(order: Order, target: str) -> None:
    """An order awaiting approval, or rejected, cannot move forward (Cancelled is fine)."""
    if may_move(order, target):
        return
    raise StateLocked(unapproved_message(order.order_number, order.approval_state, order.approval_reasons or []))


def check_may_email(order: Order, org: Organization) -> None:
    """The confirmation of an unapproved order is not sent unless the organization allows it."""
    if order.approval_state in (None, APPROVED) or settings_of(org).approval_allows_email:
        return
    if order.approval_state == REJECTED:
        raise StateLocked(f"Order {order.order_number} was rejected by a manager; its confirmation cannot be "
                          "emailed.")
    raise StateLocked(f"Order {order.order_number} is awaiting a manager's approval; its confirmation can be "
                      "emailed once it is approved.")


# --------------------------------------------------------------------------- deciding


def decide(session: Session, actor: Actor, order_id: str, decision: str, reason: Any,
           expected_version: int | None = None) -> Order:
    """A manager or admin (signed in; never a rep, never an API token) approves or rejects
    an order awaiting approval, with a reason; the history records who, when and why.
    ``expected_version`` is the version the form was opened on: a decision on an order
    that changed since is refused (VersionConflict) and nothing is decided, since the
    manager decided on what they saw. A decision is a new version of the order."""
    from app.services import orders as order_service

    def work() -> Order:
        if not actor.is_manager or actor.token_id is not None or actor.user_id is None:
            raise PermissionDenied("Only a signed-in manager or admin can approve or reject an order.")
        order = order_service.get_order(session, actor, order_id, for_update=True)
        if decision not in ("approve", "reject"):
            raise ValidationFailed([FieldError("decision", "must be approve or reject")])
        text = " ".join(str(reason or "").split())
        if not text:
            raise ValidationFailed([FieldError("reason", "is required: say why (it goes into the order's history)")])
        if len(text) > MAX_REASON:
            raise ValidationFailed([FieldError("reason", f"must be at most {MAX_REASON} characters")])
        order_service.check_version(order, expected_version)
        if order.approval_state != PENDING:
            state = LABELS.get(order.approval_state or "", "not awaiting approval")
            raise StateLocked(f"Order {order.order_number} is {state.lower()}; there is nothing to decide.")
        now = utcnow()
        order.approval_state = APPROVED if decision == "approve" else REJECTED
        order.approval_decided_by = actor.name
        order.approval_decided_at = now
        order.approval_note = text
        order.version = (order.version or 1) + 1
        verb = "Approved" if decision == "approve" else "Rejected"
        record(session, order, actor, f"approval_{order.approval_state}", f"{verb}: {text}", now,
               version=order.version)
        session.flush()
        return order

    return run_in_transaction(session, work)


def approval_to_dict(order: Order) -> dict[str, Any] | None:
    """The order JSON's additive ``approval`` object (null when the order needs none)."""
    from app.domain.orders import format_datetime

    if order.approval_state is None:
        return None
    return {
        "state": order.approval_state,
        "reasons": list(order.approval_reasons or []),
        "decidedBy": order.approval_decided_by,
        "decidedAt": format_datetime(order.approval_decided_at) if order.approval_decided_at else None,
        "reason": order.approval_note,
    }
