"""Sending an order confirmation: the one use case behind the API endpoint and the
order page's "Email confirmation" form.

The email (subject and body from the organization's sandboxed template, HTML and
plain text, the PDF attached, Reply-To the organization's address) is written to the
outbox together with its ``email_queued`` history event in one transaction; only then
is delivery attempted. A delivery failure leaves it queued for retry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Order, OrderEvent, Organization, OutboxEmail, utcnow
from app.db.tx import run_in_transaction
from app.mail import outbox
from app.mail.context import confirmation_values
from app.mail.document import confirmation_pdf
from app.mail.smtp import SmtpSettings
from app.mail.templates import RenderedEmail, TemplateProblem, render_default, render_for
from app.services import approvals
from app.services import orders as order_service
from app.services.context import Actor
from app.shapes.base import read_or_fail
from app.shapes.orders import EmailRequest

FIELD = "emailAddresses"
RETRY_LATER_BATCH = 20
WORKER_DELIVERS = "The email is queued; a delivery worker sends it shortly."


@dataclass(frozen=True)
class SendResult:
    email_id: str
    status: str
    recipients: list[str]
    reason: str | None = None


def validate_recipients(value: Any) -> list[str]:
    """1–20 valid addresses (``app.shapes.orders.EmailRequest``); every bad one is reported
    with its index (``emailAddresses[1]``). Duplicates (ignoring case) are sent once."""
    return read_or_fail(EmailRequest, {FIELD: value}).email_addresses


def compose(order: Order, org: Organization) -> tuple[RenderedEmail, str, str]:
    """Subject, text and HTML bodies of the confirmation. A saved template that no
    longer renders falls back to the default one, so an email is never refused for it."""
    values = confirmation_values(order, org)
    try:
        rendered = render_for(org, values)
    except TemplateProblem as exc:
        current_app.logger.warning("Confirmation template of %s unusable (%s); using the default", org.id, exc)
        rendered = render_default(values)
    return rendered, *bodies(rendered, values)


def bodies(rendered: RenderedEmail, values: dict[str, Any]) -> tuple[str, str]:
    """The plain-text and branded HTML bodies around the template's message."""
    text = render_template("email/confirmation.txt", message=rendered.text, doc=values)
    html = render_template("email/confirmation.html", message=Markup(rendered.html_body), doc=values,
                           subject=rendered.subject)
    return text, html


def queue_confirmation(session: Session, actor: Actor, order_id: str, recipients: Sequence[str],
                       idempotency_key: str | None = None) -> str:
    """Write the email and its ``email_queued`` event in one transaction; returns its id.
    With ``idempotency_key``, an email already queued under that key is the answer and
    nothing new is queued (a unique index settles two writers racing with the same key)."""
    def work() -> str:
        order = order_service.get_order(session, actor, order_id)
        if idempotency_key is not None:
            queued = session.scalar(select(OutboxEmail.id).where(
                OutboxEmail.organization_id == order.organization_id, OutboxEmail.idempotency_key == idempotency_key))
            if queued is not None:
                return queued
        org = order_service.load_org(session, order.organization_id)
        approvals.check_may_email(order, org)
        pdf = confirmation_pdf(session, order, org)
        rendered, text, html = compose(order, org)
        now = utcnow()
        email = OutboxEmail(
            organization_id=org.id, order_id=order.id, recipients=list(recipients),
            reply_to=org.reply_to_email or None, subject=rendered.subject, html_body=html, text_body=text,
            attachment=pdf.content, attachment_name=pdf.filename, status=outbox.QUEUED, attempts=0,
            next_attempt_at=now, created_at=now, created_by=actor.name, idempotency_key=idempotency_key,
        )
        session.add(email)
        session.add(OrderEvent(
            organization_id=org.id, order_id=order.id, occurred_at=now, actor=actor.name, kind="email_queued",
            summary=f"Confirmation email queued for {', '.join(recipients)}", changes=[],
        ))
        session.flush()
        return email.id

    return run_in_transaction(session, work)


def send_confirmation(session: Session, actor: Actor, order_id: str, addresses: Any,
                      settings: SmtpSettings | None = None) -> SendResult:
    """Validate, queue, then try to deliver now; afterwards retry other due emails.
    Answers ``sent`` or ``queued`` (with the reason it is still waiting)."""
    settings = settings or SmtpSettings.from_config(current_app.config)
    recipients = validate_recipients(addresses)
    email_id = queue_confirmation(session, actor, order_id, recipients)
    return deliver_queued(session, email_id, recipients, settings)


def deliver_queued(session: Session, email_id: str, recipients: list[str], settings: SmtpSettings) -> SendResult:
    """Try to deliver a just-queued email now (then retry other due ones), unless delivery
    workers send mail: they do within a poll interval, and the request never waits on SMTP."""
    if settings.configured and current_app.config.get("MAIL_DELIVERY") == "worker":
        return SendResult(email_id, outbox.QUEUED, recipients, WORKER_DELIVERS)
    lease = timedelta(seconds=int(current_app.config.get("OUTBOX_LEASE_SECONDS") or 300))
    delivery = outbox.deliver_one(session, email_id, settings, lease=lease)
    if delivery.status == outbox.SENT:
        outbox.deliver_due(session, settings, limit=RETRY_LATER_BATCH, max_batches=1, lease=lease)
    status = outbox.SENT if delivery.status == outbox.SENT else outbox.QUEUED
    return SendResult(email_id, status, recipients, None if status == outbox.SENT else delivery.error)


def suggested_recipients(order: Order) -> list[str]:
    """The order's customer email, the form's starting point."""
    return [order.company_email] if order.company_email else []
