"""Confirmation pages: the PDF and print view of an order, the "Email confirmation"
form (htmx, in place on the order page), the outbox (managers and admins) and the
email template editor with a live preview (admins).

Every view reads the signed-in user as an actor and goes through the same services as
the API: ``get_order`` decides visibility, ``send_confirmation`` sends."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from app.db.models import Order, OrderLine, Organization, OutboxEmail, utcnow
from app.db.tx import run_in_transaction
from app.domain.errors import NotFound, ValidationFailed
from app.extensions import db
from app.mail import outbox
from app.mail.context import confirmation_values, usable_logo
from app.mail.document import confirmation_pdf, render_html, stylesheet
from app.mail.service import bodies, send_confirmation, suggested_recipients
from app.mail.smtp import SmtpSettings
from app.mail.templates import (
    DEFAULT_BODY,
    DEFAULT_SUBJECT,
    MAX_TEMPLATE_LENGTH,
    PLACEHOLDERS,
    TemplateProblem,
    render_email,
)
from app.services import audit
from app.services import orders as order_service
from app.services.context import ADMIN, MANAGER, REP, Actor
from app.web.auth import current_actor, role_required
from app.web.download import content_disposition
from app.web.htmx import is_fragment_request

bp = Blueprint("mail", __name__)

EVERYONE = (REP, MANAGER, ADMIN)
OUTBOX_PAGE_SIZE = 50
HISTORY_EVENT = "order-history-changed"
_SPLIT = re.compile(r"[\s,;]+")


def _org(actor: Actor) -> Organization:
    return order_service.load_org(db.session, actor.organization_id)


def _page(template: str, **context: Any) -> str:
    """A full page in the site layout (``base.html``)."""
    return render_template(template, **context)


# --------------------------------------------------------------------------- the document


@bp.get("/orders/<uuid:order_id>/confirmation.pdf")
@role_required(*EVERYONE)
def confirmation_pdf_view(order_id: UUID) -> Response:
    """The branded PDF, rendered once per order content and branding."""
    actor = current_actor()

    def work():
        order = order_service.get_order(db.session, actor, str(order_id))
        return confirmation_pdf(db.session, order, _org(actor))

    pdf = run_in_transaction(db.session, work)
    if request.if_none_match.contains(pdf.fingerprint):
        return Response(status=304, headers={"ETag": f'"{pdf.fingerprint}"'})
    response = Response(pdf.content, mimetype="application/pdf")
    download = request.args.get("download") == "1"
    response.headers["Content-Disposition"] = content_disposition(pdf.filename, inline=not download)
    response.set_etag(pdf.fingerprint)
    return response


@bp.get("/orders/<uuid:order_id>/print")
@role_required(*EVERYONE)
def print_view(order_id: UUID) -> str:
    """The confirmation as an HTML page with print CSS (the PDF's own template)."""
    actor = current_actor()
    order = order_service.get_order(db.session, actor, str(order_id))
    org = _org(actor)
    return render_html(
        order, org, for_print_view=True,
        logo_src=url_for("mail.brand_logo") if usable_logo(org) else None,
        stylesheet_href=url_for("mail.confirmation_css"),
        extra={"pdf_href": url_for("mail.confirmation_pdf_view", order_id=order.id),
               "back_href": f"/orders/{order.id}"},
    )


@bp.get("/confirmation/style.css")
@role_required(*EVERYONE)
def confirmation_css() -> Response:
    """The confirmation stylesheet with the organization's accent colour."""
    response = Response(stylesheet(_org(current_actor())), mimetype="text/css")
    return response


@bp.get("/confirmation/logo")
@role_required(*EVERYONE)
def brand_logo() -> Response:
    """The organization's logo (the print view links it; the PDF embeds it)."""
    org = _org(current_actor())
    if not org.brand_logo or not org.brand_logo_mime:
        abort(404)
    response = Response(org.brand_logo, mimetype=org.brand_logo_mime)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


# --------------------------------------------------------------------------- emailing an order


def parse_addresses(raw: str) -> list[str]:
    """Recipients typed into one field, separated by commas, semicolons or whitespace."""
    return [part for part in _SPLIT.split(raw or "") if part]


def _email_form(order: Order, recipients: str, errors: list[str] | None = None, status: int = 200) -> Response:
    context = {"order": order, "recipients": recipients, "errors": errors or []}
    if is_fragment_request():
        # htmx swaps only 2xx responses by default: the form with its errors is the answer.
        return Response(render_template("email/_form.html", **context))
    return Response(_page("email/compose.html", **context), status=status)


@bp.get("/orders/<uuid:order_id>/email")
@role_required(*EVERYONE)
def email_form(order_id: UUID) -> Response:
    """The form, recipients prefilled from the order's customer email."""
    order = order_service.get_order(db.session, current_actor(), str(order_id))
    return _email_form(order, ", ".join(suggested_recipients(order)))


@bp.post("/orders/<uuid:order_id>/email")
@role_required(*EVERYONE)
def email_send(order_id: UUID) -> Response:
    """Send through ``send_confirmation``; the result replaces the form and the order's
    history is told to refresh (``HX-Trigger: order-history-changed``)."""
    actor = current_actor()
    order = order_service.get_order(db.session, actor, str(order_id))
    raw = (request.form.get("recipients") or "")[:10_000]
    addresses = parse_addresses(raw)
    try:
        result = send_confirmation(db.session, actor, order.id, addresses)
    except ValidationFailed as exc:
        return _email_form(order, raw, _address_errors(exc, addresses), status=422)
    context = {"order": order, "result": result}
    if is_fragment_request():
        events = order_service.order_events(db.session, actor, order.id)
        response = Response(render_template("email/_sent.html", history_events=events, org=_org(actor), **context))
        response.headers["HX-Trigger"] = HISTORY_EVENT
        return response
    return Response(_page("email/compose.html", **context))


def _address_errors(exc: ValidationFailed, addresses: list[str]) -> list[str]:
    messages = []
    for error in exc.errors:
        match = re.fullmatch(r"emailAddresses\[(\d+)\]", error.field)
        if match and int(match.group(1)) < len(addresses):
            messages.append(f"{addresses[int(match.group(1))]} {error.message}")
        else:
            messages.append(f"Recipients {error.message}")
    return messages


# --------------------------------------------------------------------------- the outbox


def _outbox_email(actor: Actor, email_id: str) -> OutboxEmail:
    email = db.session.scalar(select(OutboxEmail).where(
        OutboxEmail.id == email_id, OutboxEmail.organization_id == actor.organization_id))
    if email is None:
        abort(404)
    return email


@bp.get("/outbox")
@role_required(MANAGER, ADMIN)
def outbox_list() -> str:
    """The organization's emails, newest first, filterable by status."""
    actor = current_actor()
    status = request.args.get("status") if request.args.get("status") in outbox.STATUSES else None
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    query = select(OutboxEmail).where(OutboxEmail.organization_id == actor.organization_id)
    count_query = select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.organization_id == actor.organization_id)
    if status:
        query = query.where(OutboxEmail.status == status)
        count_query = count_query.where(OutboxEmail.status == status)
    total = db.session.scalar(count_query) or 0
    emails = list(db.session.scalars(
        query.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id)
        .offset((page - 1) * OUTBOX_PAGE_SIZE).limit(OUTBOX_PAGE_SIZE)
        .options(defer(OutboxEmail.attachment), defer(OutboxEmail.html_body), defer(OutboxEmail.text_body))
    ))
    order_numbers = _order_numbers([e.order_id for e in emails if e.order_id])
    return _page("outbox/list.html", emails=emails, status=status, page=page, total=total,
                 pages=max(1, -(-total // OUTBOX_PAGE_SIZE)), order_numbers=order_numbers,
                 smtp_configured=SmtpSettings.from_config(current_app.config).configured,
                 statuses=outbox.STATUSES)


def _order_numbers(order_ids: list[str]) -> dict[str, str]:
    if not order_ids:
        return {}
    rows = db.session.execute(select(Order.id, Order.order_number).where(Order.id.in_(set(order_ids))))
    return {order_id: number for order_id, number in rows}


@bp.get("/outbox/<uuid:email_id>")
@role_required(MANAGER, ADMIN)
def outbox_detail(email_id: UUID) -> str:
    actor = current_actor()
    email = _outbox_email(actor, str(email_id))
    return _page("outbox/detail.html", email=email, order_numbers=_order_numbers([email.order_id] if email.order_id else []),
                 smtp_configured=SmtpSettings.from_config(current_app.config).configured)


@bp.get("/outbox/<uuid:email_id>/body.html")
@role_required(MANAGER, ADMIN)
def outbox_body(email_id: UUID) -> Response:
    """The email's HTML part, shown in a sandboxed frame: no scripts, nothing fetched."""
    email = _outbox_email(current_actor(), str(email_id))
    response = Response(email.html_body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/outbox/<uuid:email_id>/attachment.pdf")
@role_required(MANAGER, ADMIN)
def outbox_attachment(email_id: UUID) -> Response:
    email = _outbox_email(current_actor(), str(email_id))
    if not email.attachment:
        abort(404)
    response = Response(email.attachment, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(email.attachment_name or "confirmation.pdf")
    return response


@bp.post("/outbox/<uuid:email_id>/retry")
@role_required(MANAGER, ADMIN)
def outbox_retry(email_id: UUID) -> Response:
    """Make the email due now and try it once (when SMTP is configured)."""
    actor = current_actor()
    email = _outbox_email(actor, str(email_id))
    outbox.retry_now(db.session, actor.organization_id, email.id)
    delivery = outbox.deliver_one(db.session, email.id, SmtpSettings.from_config(current_app.config))
    email = _outbox_email(actor, email.id)
    db.session.refresh(email)
    if is_fragment_request():
        return Response(render_template("outbox/_row.html", email=email, delivery=delivery, smtp_configured=True,
                                        order_numbers=_order_numbers([email.order_id] if email.order_id else [])))
    return redirect(url_for("mail.outbox_detail", email_id=email.id), code=303)


# --------------------------------------------------------------------------- the template editor


def _preview_orders(actor: Actor) -> list[tuple[str, str, str]]:
    rows = db.session.execute(
        select(Order.id, Order.order_number, Order.company_name)
        .where(Order.organization_id == actor.organization_id)
        .order_by(Order.created_at.desc(), Order.id).limit(25)
    )
    return [tuple(row) for row in rows]


def sample_order(org: Organization) -> Order:
    """A made-up order (never stored) to preview with when the organization has none."""
    now = utcnow()
    order = Order(
        id="00000000-0000-0000-0000-000000000000", organization_id=org.id, order_number=f"{org.order_number_prefix}00001",
        order_date=now, updated_at=now, order_status="Pending", order_type="Direct", po_number="PO-12345",
        price_tier=(org.price_tiers or ["Wholesale"])[0], currency_code=org.default_currency or "USD",
        terms="Net30", channel="Phone", notes="", customer_number="CUST-1", company_name="Example Customer Inc.",
        company_email="buyer@example.com", primary_rep_number="REP-1", primary_rep_first_name="Jordan",
        primary_rep_last_name="Avery", shipping_method="Ground", shipping_total=10, tax=0, discount_amount=0,
        subtotal=100, order_total=110,
    )
    order.items = [OrderLine(line_no=1, sku="SKU-1", product_name="Example product", quantity=10, price=10,
                             discount_amount=0, sub_total=100)]
    return order


def _preview_order(actor: Actor, org: Organization, order_id: str | None) -> Order:
    if order_id:
        try:
            return order_service.get_order(db.session, actor, order_id)
        except NotFound:
            pass  # an unknown id falls back to the newest order
    newest = _preview_orders(actor)
    if newest:
        return order_service.get_order(db.session, actor, newest[0][0])
    return sample_order(org)


def _template_form(org: Organization, actor: Actor, *, subject: str, body: str, order_id: str | None,
                   saved: bool = False, status: int = 200) -> Response:
    order = _preview_order(actor, org, order_id)
    preview, problem = _preview(order, org, subject, body)
    html = _page("settings/email_template.html", subject=subject, body=body, preview=preview, problem=problem,
                 orders=_preview_orders(actor), preview_order_id=order.id, saved=saved,
                 placeholders=PLACEHOLDERS, max_length=MAX_TEMPLATE_LENGTH)
    return Response(html, status=status)


def _preview(order: Order, org: Organization, subject: str, body: str) -> tuple[dict[str, Any] | None, str | None]:
    values = confirmation_values(order, org)
    try:
        rendered = render_email(values, subject=subject or DEFAULT_SUBJECT, body=body or DEFAULT_BODY)
    except TemplateProblem as exc:
        return None, str(exc)
    text, _ = bodies(rendered, values)
    return {"subject": rendered.subject, "html": rendered.html_body, "text": text,
            "order_number": values["order"]["number"]}, None


@bp.get("/settings/email-template")
@role_required(ADMIN)
def template_editor() -> Response:
    actor = current_actor()
    org = _org(actor)
    return _template_form(org, actor, subject=org.email_subject_template or DEFAULT_SUBJECT,
                          body=org.email_body_template or DEFAULT_BODY, order_id=request.args.get("order"),
                          saved=request.args.get("saved") == "1")


@bp.post("/settings/email-template")
@role_required(ADMIN)
def template_save() -> Response:
    """Save only a template that renders against the preview order; else show why."""
    actor = current_actor()
    org = _org(actor)
    subject = (request.form.get("subject") or "").strip()
    body = (request.form.get("body") or "").replace("\r\n", "\n").strip()
    if request.form.get("action") == "reset":
        subject, body = "", ""
    order = _preview_order(actor, org, request.form.get("order"))
    _, problem = _preview(order, org, subject, body)
    if problem:
        return _template_form(org, actor, subject=subject, body=body, order_id=request.form.get("order"),
                              status=422)
    before = {"subject": org.email_subject_template, "body": org.email_body_template}
    org.email_subject_template = None if subject in ("", DEFAULT_SUBJECT) else subject
    org.email_body_template = None if body in ("", DEFAULT_BODY) else body
    changes = audit.diff(before, {"subject": org.email_subject_template, "body": org.email_body_template})
    if changes:
        audit.record(db.session, actor, "template.email", "Confirmation email template", changes)
    db.session.commit()
    return redirect(url_for("mail.template_editor", saved="1", order=request.form.get("order") or None), code=303)


@bp.post("/settings/email-template/preview")
@role_required(ADMIN)
def template_preview() -> Response:
    """The live preview fragment (htmx): rendered subject and bodies, or the template's problem."""
    actor = current_actor()
    org = _org(actor)
    order = _preview_order(actor, org, request.form.get("order"))
    preview, problem = _preview(order, org, (request.form.get("subject") or "").strip(),
                                (request.form.get("body") or "").replace("\r\n", "\n").strip())
    return Response(render_template("settings/email_template_preview.html", preview=preview, problem=problem))
