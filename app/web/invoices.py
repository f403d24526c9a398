"""Invoices on the order page: issue (managers and admins), the invoice's print view
and PDF (everyone who sees the order), email it through the outbox and void it with a
reason (managers and admins). Views call the same services as everything else; the
order page's invoices panel is swapped in place with htmx."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for

from app.db.models import Invoice
from app.db.tx import run_in_transaction
from app.domain.errors import Conflict, PermissionDenied, StateLocked, ValidationFailed
from app.extensions import db
from app.mail import invoice as invoice_mail
from app.mail.context import usable_logo
from app.services import invoices as invoice_service
from app.services import orders as order_service
from app.services.context import ADMIN, MANAGER
from app.web import bp
from app.web.auth import current_actor, role_required
from app.web.download import content_disposition
from app.web.htmx import is_fragment_request
from app.web.orders import order_context

HISTORY_EVENT = "order-history-changed"


def _panel(order_id: str, status: int = 200, **extra: Any) -> Response:
    if not is_fragment_request():
        if status >= 400:
            abort(status, extra.get("invoice_message") or "The invoice action was refused.")
        return redirect(url_for("web.order_page", order_id=order_id), code=303)
    html = render_template("orders/_invoices_changed.html", **order_context(order_id, **extra))
    return Response(html, status)


@bp.post("/orders/<order_id>/invoices")
@role_required(MANAGER, ADMIN)
def issue_invoice(order_id: str) -> Response:
    """Issue the order's invoice; refusals (status, a live invoice) answer in the panel."""
    try:
        invoice = invoice_service.issue_invoice(db.session, current_actor(), order_id)
    except (StateLocked, Conflict, PermissionDenied) as exc:
        return _panel(order_id, 409, invoice_message=exc.detail)
    return _panel(order_id, invoice_flash=f"Invoice {invoice.invoice_number} issued.")


@bp.post("/invoices/<invoice_id>/void")
@role_required(MANAGER, ADMIN)
def void_invoice(invoice_id: str) -> Response:
    actor = current_actor()
    invoice = invoice_service.get_invoice(db.session, actor, invoice_id)
    order_id = invoice.order_id
    try:
        voided = invoice_service.void_invoice(db.session, actor, invoice.id, request.form.get("reason", "")[:2000])
    except ValidationFailed as exc:
        return _panel(order_id, 422, invoice_message="Void " + invoice.invoice_number + ": the reason "
                      + "; ".join(e.message for e in exc.errors), void_open=invoice.id)
    except (Conflict, PermissionDenied) as exc:
        return _panel(order_id, 409, invoice_message=exc.detail)
    return _panel(order_id, invoice_flash=f"Invoice {voided.invoice_number} voided.")


def _document_invoice(invoice_id: str) -> Invoice:
    invoice = invoice_service.get_invoice(db.session, current_actor(), invoice_id)
    if not invoice_mail.has_document(invoice):
        abort(404, f"Invoice {invoice.invoice_number} came with an imported order; it has no document here.")
    return invoice


@bp.get("/invoices/<invoice_id>")
@role_required()
def invoice_print_view(invoice_id: str) -> str:
    """The invoice as an HTML page with the confirmation's print CSS (the PDF's template)."""
    invoice = _document_invoice(invoice_id)
    org = order_service.load_org(db.session, invoice.organization_id)
    return invoice_mail.render_html(
        invoice, org, for_print_view=True,
        logo_src=url_for("mail.brand_logo") if usable_logo(org) else None,
        stylesheet_href=url_for("mail.confirmation_css"),
        extra={"pdf_href": url_for("web.invoice_pdf", invoice_id=invoice.id),
               "back_href": url_for("web.order_page", order_id=invoice.order_id)},
    )


@bp.get("/invoices/<invoice_id>/pdf")
@role_required()
def invoice_pdf(invoice_id: str) -> Response:
    invoice = _document_invoice(invoice_id)
    org = order_service.load_org(db.session, invoice.organization_id)
    content = invoice_mail.render_pdf(invoice, org)
    response = Response(content, mimetype="application/pdf")
    download = request.args.get("download") == "1"
    response.headers["Content-Disposition"] = content_disposition(invoice_mail.pdf_filename(invoice),
                                                                  inline=not download)
    return response


def _email_form(invoice: Invoice, recipients: str, errors: list[str] | None = None, status: int = 200) -> Response:
    context = {"invoice": invoice, "recipients": recipients, "errors": errors or []}
    template = "invoices/_email_form.html" if is_fragment_request() else "invoices/email.html"
    return Response(render_template(template, **context), 200 if is_fragment_request() else status)


@bp.get("/invoices/<invoice_id>/email")
@role_required(MANAGER, ADMIN)
def invoice_email_form(invoice_id: str) -> Response:
    invoice = _document_invoice(invoice_id)
    order = order_service.get_order(db.session, current_actor(), invoice.order_id)
    return _email_form(invoice, order.company_email or "")


@bp.post("/invoices/<invoice_id>/email")
@role_required(MANAGER, ADMIN)
def invoice_email_send(invoice_id: str) -> Response:
    # Imported here: the confirmation views import this package's blueprint.
    from app.mail.web import _address_errors, parse_addresses

    actor = current_actor()
    invoice = _document_invoice(invoice_id)
    raw = (request.form.get("recipients") or "")[:10_000]
    addresses = parse_addresses(raw)
    try:
        result = invoice_mail.send_invoice(db.session, actor, invoice.id, addresses)
    except ValidationFailed as exc:
        return _email_form(invoice, raw, _address_errors(exc, addresses), status=422)
    except StateLocked as exc:
        return _email_form(invoice, raw, [exc.detail], status=409)
    invoice = run_in_transaction(db.session, lambda: invoice_service.get_invoice(db.session, actor, invoice_id))
    context = {"invoice": invoice, "result": result}
    if is_fragment_request():
        response = Response(render_template(
            "invoices/_email_sent.html", history_events=order_service.order_events(db.session, actor, invoice.order_id),
            org=order_service.load_org(db.session, actor.organization_id), **context))
        response.headers["HX-Trigger"] = HISTORY_EVENT
        return response
    return Response(render_template("invoices/email.html", **context))
