"""The invoice document and its email.

The document is rendered from the invoice's frozen snapshot (never from the order as
it is now), in the confirmation's look: the same stylesheet, branding and layout, for
the PDF (WeasyPrint) and the browser's print view. Emailing goes through the outbox
like a confirmation: the email and its history event are written in one transaction,
then delivery is attempted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from flask import current_app, render_template
from sqlalchemy.orm import Session

from app.config import ROOT
from app.db.models import Invoice, OrderEvent, Organization, OutboxEmail, utcnow
from app.db.tx import run_in_transaction
from app.domain.errors import StateLocked
from app.domain.money import format_money
from app.domain.orders import full_name
from app.mail import outbox
from app.mail.context import accent_colour, address_lines, logo_data_uri
from app.mail.document import stylesheet
from app.mail.service import SendResult, deliver_queued, validate_recipients
from app.mail.smtp import SmtpSettings
from app.services import invoices as invoice_service
from app.services import orders as order_service
from app.services.context import Actor

TEMPLATE = "pdf/invoice.html"


def _date(value: date | datetime | None, locale: str) -> str:
    return format_date(value, format="medium", locale=locale) if value else ""


def has_document(invoice: Invoice) -> bool:
    """Invoices issued here have a document; numbers that came with imports do not."""
    return invoice.snapshot is not None


def invoice_values(invoice: Invoice, org: Organization) -> dict[str, Any]:
    """Everything the invoice shows, as plain strings, from its frozen snapshot."""
    snap = invoice.snapshot or {}
    order, customer, rep = snap.get("order", {}), snap.get("customer", {}), snap.get("rep", {})
    cur, loc = order.get("currency") or invoice.currency_code or "USD", org.locale or "en_US"

    def fmt(value: Any) -> str:
        return format_money(Decimal(str(value or 0)), cur, loc) or ""

    lines = snap.get("lines", [])
    issued_on = invoice_service.local_today(org, invoice.issued_at)
    frozen_org = snap.get("organization", {})
    order_date = datetime.fromisoformat(order["date"]) if order.get("date") else None
    return {
        "organization": {
            "name": frozen_org.get("name") or org.display_name,
            "address_lines": [line for line in (frozen_org.get("address") or "").splitlines() if line.strip()],
            "accent": accent_colour(org), "reply_to": org.reply_to_email or "",
        },
        "invoice": {
            "id": invoice.id, "number": invoice.invoice_number, "issued": _date(issued_on, loc),
            "due": _date(invoice.due_date, loc), "terms": invoice.terms or "", "void": invoice.is_void,
            "void_reason": invoice.void_reason or "", "voided": _date(invoice.voided_at, loc),
            "amount": fmt(invoice.amount),
        },
        "order": {
            "number": order.get("number", ""), "date": _date(order_date, loc), "po_number": order.get("po_number", ""),
            "currency": cur, "shipping_method": order.get("shipping_method", ""), "notes": order.get("notes", ""),
            "subtotal": fmt(order.get("subtotal")), "shipping": fmt(order.get("shipping")), "tax": fmt(order.get("tax")),
            "discount": fmt(order.get("discount")), "has_discount": Decimal(str(order.get("discount") or 0)) != 0,
            "total": fmt(order.get("total")),
            "has_line_discounts": any(Decimal(str(line.get("discount") or 0)) for line in lines),
        },
        "customer": {
            "number": customer.get("number", ""), "name": customer.get("name", ""), "email": customer.get("email", ""),
            "phone": customer.get("phone", ""), "billing_lines": address_lines(customer.get("billing_address")),
            "shipping_lines": address_lines(customer.get("shipping_address")),
        },
        "rep": {"name": full_name(rep.get("first_name"), rep.get("last_name")) or rep.get("number", ""),
                "email": rep.get("email", "")},
        "lines": [
            {"line": i, "sku": line["sku"], "name": line["name"], "quantity": str(line["quantity"]),
             "price": fmt(line["price"]),
             "discount": fmt(line["discount"]) if Decimal(str(line.get("discount") or 0)) else "",
             "subtotal": fmt(line["subtotal"])}
            for i, line in enumerate(lines, start=1)
        ],
    }


def render_html(invoice: Invoice, org: Organization, *, for_print_view: bool, logo_src: str | None = None,
                stylesheet_href: str | None = None, extra: dict[str, Any] | None = None) -> str:
    return render_template(TEMPLATE, doc=invoice_values(invoice, org), for_print_view=for_print_view,
                           logo_src=logo_src, stylesheet_href=stylesheet_href, **(extra or {}))


def pdf_filename(invoice: Invoice) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in invoice.invoice_number)
    return f"{safe or 'invoice'}.pdf"


def render_pdf(invoice: Invoice, org: Organization) -> bytes:
    """The invoice PDF with the confirmation's stylesheet (no network: the logo is a data: URI)."""
    from weasyprint import CSS, HTML

    if not has_document(invoice):
        raise StateLocked(f"Invoice {invoice.invoice_number} came with an imported order; it has no document here.")
    html = render_html(invoice, org, for_print_view=False, logo_src=logo_data_uri(org))
    return HTML(string=html, base_url=str(ROOT)).write_pdf(stylesheets=[CSS(string=stylesheet(org))])


def compose(invoice: Invoice, org: Organization) -> tuple[str, str, str]:
    """Subject, plain-text and HTML bodies of the invoice email."""
    doc = invoice_values(invoice, org)
    subject = f"Invoice {doc['invoice']['number']} from {doc['organization']['name']}"
    text = render_template("email/invoice.txt", doc=doc)
    html = render_template("email/invoice.html", doc=doc, subject=subject)
    return subject, text, html


def queue_invoice_email(session: Session, actor: Actor, invoice_id: str, recipients: Sequence[str]) -> str:
    """Write the email (PDF attached) and its ``email_queued`` event in one transaction."""

    def work() -> str:
        invoice = invoice_service.get_invoice(session, actor, invoice_id)
        if invoice.is_void:
            raise StateLocked(f"Invoice {invoice.invoice_number} is void; issue a new one to send.")
        org = order_service.load_org(session, actor.organization_id)
        subject, text, html = compose(invoice, org)
        now = utcnow()
        email = OutboxEmail(
            organization_id=org.id, order_id=invoice.order_id, recipients=list(recipients),
            reply_to=org.reply_to_email or None, subject=subject, html_body=html, text_body=text,
            attachment=render_pdf(invoice, org), attachment_name=pdf_filename(invoice), status=outbox.QUEUED,
            attempts=0, next_attempt_at=now, created_at=now, created_by=actor.name,
        )
        session.add(email)
        session.add(OrderEvent(
            organization_id=org.id, order_id=invoice.order_id, occurred_at=now, actor=actor.name,
            kind="email_queued", summary=f"Invoice {invoice.invoice_number} email queued for {', '.join(recipients)}",
            changes=[],
        ))
        session.flush()
        return email.id

    return run_in_transaction(session, work)


def send_invoice(session: Session, actor: Actor, invoice_id: str, addresses: Any,
                 settings: SmtpSettings | None = None) -> SendResult:
    """Managers and admins: validate, queue, then try to deliver now (as a confirmation)."""
    invoice_service.require_manager(actor, "email invoices")
    settings = settings or SmtpSettings.from_config(current_app.config)
    recipients = validate_recipients(addresses)
    email_id = queue_invoice_email(session, actor, invoice_id, recipients)
    return deliver_queued(session, email_id, recipients, settings)
