"""Invoices: issued by a manager for a Shipped or Complete order, numbered from the
organization's own gapless sequence, frozen when issued, voided (never deleted).

The number comes from a per-organization counter row updated in the same transaction
as the invoice itself: the row stays locked (PostgreSQL) until commit, so concurrent
issuers queue on it, and a transaction that fails rolls its value back with it, so no
number is skipped. A number that already exists (one an imported order brought) is
passed over, never handed out twice. The order row is locked too, so two managers
issuing for the same order end with one invoice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import Invoice, InvoiceSequence, Order, OrderEvent, Organization, utcnow
from app.db.tx import run_in_transaction
from app.domain import workflow
from app.domain.errors import Conflict, FieldError, NotFound, PermissionDenied, StateLocked, ValidationFailed
from app.services import orders as order_service
from app.services.context import Actor
from app.services.summaries import zone_of

PAD = 5
INVOICEABLE = (workflow.SHIPPED, workflow.COMPLETE)
MAX_REASON = 500


def format_invoice_number(prefix: str, value: int) -> str:
    return f"{prefix}{value:0{PAD}d}"


def require_manager(actor: Actor, what: str) -> None:
    if actor.read_only:
        raise PermissionDenied("This API token may only read.")
    if not actor.is_manager:
        raise PermissionDenied(f"Only managers and admins {what}.")


def reserve_invoice_number(session: Session, org: Organization) -> str:
    """The next number of the organization's invoice sequence (caller commits)."""
    while True:
        value = session.execute(
            update(InvoiceSequence)
            .where(InvoiceSequence.organization_id == org.id)
            .values(last_value=InvoiceSequence.last_value + 1)
            .returning(InvoiceSequence.last_value)
        ).scalar_one_or_none()
        if value is None:
            # First invoice of the organization: a concurrent first insert of the same
            # row fails on its primary key and the whole transaction is retried.
            session.add(InvoiceSequence(organization_id=org.id, last_value=0))
            session.flush()
            continue
        number = format_invoice_number(org.invoice_number_prefix or "INV-", value)
        taken = session.scalar(select(Invoice.id).where(
            Invoice.organization_id == org.id, Invoice.invoice_number == number))
        if taken is None:
            return number


def local_today(org: Organization, now: datetime) -> date:
    return now.astimezone(zone_of(org.time_zone)).date()


def due_date_for(org: Organization, terms: str | None, issued_on: date) -> date:
    """The issue date plus the days of the order's terms (an unknown term: due on issue)."""
    days = org.settings_lists.term_days(terms) or 0
    return issued_on + timedelta(days=days)


def _money(value: Decimal | None) -> str:
    return format(Decimal(value or 0), "f")


def snapshot(order: Order, org: Organization) -> dict[str, Any]:
    """What the invoice bills, as plain JSON values, frozen at issue."""
    return {
        "organization": {"name": org.display_name, "address": org.brand_address or ""},
        "order": {
            "id": order.id, "number": order.order_number, "date": order.order_date.isoformat(),
            "po_number": order.po_number, "terms": order.terms or "", "currency": order.currency_code,
            "shipping_method": order.shipping_method or "", "notes": order.notes or "",
            "subtotal": _money(order.subtotal), "shipping": _money(order.shipping_total),
            "tax": _money(order.tax), "discount": _money(order.discount_amount), "total": _money(order.order_total),
        },
        "customer": {
            "number": order.customer_number, "name": order.company_name, "email": order.company_email or "",
            "phone": order.company_phone or "", "billing_address": order.billing_address or None,
            "shipping_address": order.shipping_address or None,
        },
        "rep": {"number": order.primary_rep_number, "first_name": order.primary_rep_first_name or "",
                "last_name": order.primary_rep_last_name or "", "email": order.primary_rep_email or ""},
        "lines": [
            {"sku": line.sku, "name": line.product_name, "quantity": line.quantity, "price": _money(line.price),
             "discount": _money(line.discount_amount), "subtotal": _money(line.sub_total)}
            for line in order.items
        ],
    }


def _live(session: Session, order: Order) -> Invoice | None:
    return session.scalar(select(Invoice).where(
        Invoice.organization_id == order.organization_id, Invoice.order_id == order.id,
        Invoice.voided_at.is_(None),
    ).order_by(Invoice.issued_at.desc()).limit(1))


def check_invoiceable(session: Session, order: Order) -> None:
    """Raise the reason this order cannot be invoiced now, if there is one."""
    if order.order_status == workflow.CANCELLED:
        raise StateLocked(f"Order {order.order_number} is Cancelled; a cancelled order cannot be invoiced.")
    if order.order_status not in INVOICEABLE:
        raise StateLocked(
            f"Order {order.order_number} is {order.order_status}; an invoice is issued once an order is "
            "Shipped or Complete."
        )
    live = _live(session, order)
    if live is not None:
        raise Conflict(
            f"Order {order.order_number} already has invoice {live.invoice_number}; void it first to issue "
            "a new one."
        )


def issue_invoice(session: Session, actor: Actor, order_id: str, idempotency_key: str | None = None) -> Invoice:
    """Issue the invoice of a Shipped or Complete order (managers and admins) and
    commit. Refused (domain errors) for a rep, a Cancelled or not yet shipped order,
    or an order that already has an invoice that is not void. With ``idempotency_key``,
    the invoice of this order already issued under that key is the answer (even if it
    has been voided since): running the same issue twice never makes two invoices."""

    def work() -> Invoice:
        require_manager(actor, "issue invoices")
        order = order_service.get_order(session, actor, order_id, for_update=True)
        if idempotency_key is not None:
            issued = session.scalar(select(Invoice).where(
                Invoice.organization_id == order.organization_id, Invoice.order_id == order.id,
                Invoice.idempotency_key == idempotency_key))
            if issued is not None:
                return issued
        check_invoiceable(session, order)
        org = order_service.load_org(session, order.organization_id)
        now = utcnow()
        issued_on = local_today(org, now)
        invoice = Invoice(
            organization_id=org.id, order_id=order.id, invoice_number=reserve_invoice_number(session, org),
            amount=order.order_total, issued_at=now, currency_code=order.currency_code, terms=order.terms,
            due_date=due_date_for(org, order.terms, issued_on), issued_by=actor.name,
            snapshot=snapshot(order, org), idempotency_key=idempotency_key,
        )
        session.add(invoice)
        # The order's representation (its invoiceNumbers) changed: a new version.
        order.version = (order.version or 1) + 1
        session.add(OrderEvent(
            organization_id=org.id, order_id=order.id, occurred_at=now, actor=actor.name, kind="invoice_issued",
            summary=f"Invoice {invoice.invoice_number} issued, due {invoice.due_date.isoformat()}",
            changes=[{"field": "invoiceNumbers", "old": None, "new": invoice.invoice_number}],
            order_version=order.version,
        ))
        session.flush()
        return invoice

    return run_in_transaction(session, work)


def void_invoice(session: Session, actor: Actor, invoice_id: str, reason: Any) -> Invoice:
    """Mark an invoice void with a reason (managers and admins). It stays, with its
    number, which is never handed out again; a new invoice may then be issued."""
    text = " ".join(str(reason or "").split()) if isinstance(reason, str | None) else ""
    if not text:
        raise ValidationFailed([FieldError("reason", "is required: say why the invoice is void")])
    if len(text) > MAX_REASON:
        raise ValidationFailed([FieldError("reason", f"must be at most {MAX_REASON} characters")])
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text):
        raise ValidationFailed([FieldError("reason", "must not contain control characters")])

    def work() -> Invoice:
        require_manager(actor, "void invoices")
        invoice = get_invoice(session, actor, invoice_id)
        order = order_service.get_order(session, actor, invoice.order_id, for_update=True)
        session.refresh(invoice)
        if invoice.is_void:
            raise Conflict(f"Invoice {invoice.invoice_number} is already void.")
        now = utcnow()
        invoice.voided_at, invoice.voided_by, invoice.void_reason = now, actor.name, text
        order.version = (order.version or 1) + 1
        session.add(OrderEvent(
            organization_id=order.organization_id, order_id=order.id, occurred_at=now, actor=actor.name,
            kind="invoice_voided", summary=f"Invoice {invoice.invoice_number} voided: {text}", changes=[],
            order_version=order.version,
        ))
        session.flush()
        return invoice

    return run_in_transaction(session, work)


def get_invoice(session: Session, actor: Actor, invoice_id: str) -> Invoice:
    """An invoice of the actor's organization on an order they may see; else NotFound."""
    if not isinstance(invoice_id, str) or len(invoice_id) > 36:
        raise NotFound("No invoice with this id.")
    invoice = session.scalar(select(Invoice).where(
        Invoice.id == invoice_id, Invoice.organization_id == actor.organization_id))
    if invoice is None:
        raise NotFound("No invoice with this id.")
    try:
        order_service.get_order(session, actor, invoice.order_id)
    except NotFound:
        raise NotFound("No invoice with this id.") from None
    return invoice


def invoices_for_order(session: Session, actor: Actor, order_id: str) -> list[Invoice]:
    """Every invoice of a visible order, newest first (void ones included)."""
    order = order_service.get_order(session, actor, order_id)
    return list(session.scalars(
        select(Invoice).where(Invoice.organization_id == order.organization_id, Invoice.order_id == order.id)
        .order_by(Invoice.issued_at.desc(), Invoice.invoice_number.desc())
    ))


@dataclass(frozen=True)
class InvoiceState:
    """What the order page shows about invoicing: the invoices, and whether (or why
    not) a new one can be issued now."""

    invoices: list[Invoice]
    can_issue: bool
    reason: str | None


def state_for_order(session: Session, actor: Actor, order: Order) -> InvoiceState:
    invoices = invoices_for_order(session, actor, order.id)
    try:
        check_invoiceable(session, order)
    except (StateLocked, Conflict) as exc:
        return InvoiceState(invoices, False, exc.detail)
    return InvoiceState(invoices, True, None)
