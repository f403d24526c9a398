"""Invoices through the web: issue on the order page, the PDF and print view rendered
from the frozen snapshot, emailing through the outbox to a real SMTP server, voiding,
and who may do what."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.db.models import Invoice, Order, OutboxEmail
from app.services.invoices import local_today
from app.services.orders import change_status
from tests.mail.conftest import csrf_from, make_order, make_user, pdf_text, sign_in


def shipped_order(db_session, actor, **changes) -> Order:
    order = make_order(db_session, actor, **changes)
    for status in ("Processing", "Shipped"):
        change_status(db_session, actor, order.id, status)
    return order


def post(client, url: str, data: dict | None = None, page: str | None = None, htmx: bool = True):
    token = csrf_from(client.get(page or url.rsplit("/", 1)[0]).get_data(as_text=True))
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data={"csrf_token": token, **(data or {})}, headers=headers)


def test_manager_issues_prints_emails_and_voids(client, db_session, org, actor, smtp_server, tmp_path):
    manager = make_user(db_session, org, "manager", "dana@acme.example")
    order = shipped_order(db_session, actor)
    sign_in(client, manager)
    page_url = f"/orders/{order.id}"
    assert "Issue invoice" in client.get(page_url).get_data(as_text=True)

    issued = post(client, f"/orders/{order.id}/invoices", page=page_url)
    assert issued.status_code == 200
    html = issued.get_data(as_text=True)
    assert "Invoice INV-00001 issued." in html and 'id="history"' in html
    invoice = db_session.scalars(select(Invoice)).one()
    again = post(client, f"/orders/{order.id}/invoices", page=page_url)
    assert again.status_code == 409 and "already has invoice INV-00001" in again.get_data(as_text=True)

    # Frozen: a later change to the order does not reach the document.
    db_session.get(Order, order.id).company_name = "Renamed Afterwards Ltd."
    db_session.commit()
    pdf = client.get(f"/invoices/{invoice.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert 'filename="INV-00001.pdf"' in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.data, tmp_path)
    due = local_today(org, invoice.issued_at) + timedelta(days=30)
    assert "Invoice INV-00001" in text and f"{due:%b} {due.day}, {due.year}" in text
    assert "$" in text and str(invoice.amount).split(".")[0] in text.replace(",", "")
    assert "Brightfield Supply Co." in text and "Renamed Afterwards" not in text
    view = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Invoice INV-00001" in view and "Download PDF" in view

    form = client.get(f"/invoices/{invoice.id}/email", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'value="orders@brightfield.example"' in form
    sent = post(client, f"/invoices/{invoice.id}/email", {"recipients": "ap@brightfield.example"}, page=page_url)
    assert sent.status_code == 200 and "Invoice INV-00001 sent" in sent.get_data(as_text=True)
    [message] = smtp_server.messages
    assert message["Subject"] == "Invoice INV-00001 from Acme Wholesale"
    assert message["To"] == "ap@brightfield.example"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "INV-00001.pdf"
    assert "INV-00001" in pdf_text(attachment.get_content(), tmp_path)
    assert db_session.scalars(select(OutboxEmail.status)).one() == "sent"

    missing = post(client, f"/invoices/{invoice.id}/void", {"reason": " "}, page=page_url)
    assert missing.status_code == 422 and "reason" in missing.get_data(as_text=True)
    voided = post(client, f"/invoices/{invoice.id}/void", {"reason": "Billed the wrong entity"}, page=page_url)
    assert voided.status_code == 200 and "Invoice INV-00001 voided." in voided.get_data(as_text=True)
    assert "This invoice was voided" in pdf_text(client.get(f"/invoices/{invoice.id}/pdf").data, tmp_path)
    refused = post(client, f"/invoices/{invoice.id}/email", {"recipients": "ap@brightfield.example"}, page=page_url)
    assert "is void" in refused.get_data(as_text=True)
    second = post(client, f"/orders/{order.id}/invoices", page=page_url)
    assert "Invoice INV-00002 issued." in second.get_data(as_text=True)
    listing = client.get("/orders").get_data(as_text=True)
    assert "INV-00001, INV-00002" in listing


def test_reps_see_invoices_but_cannot_issue_void_or_email(client, db_session, org, actor):
    order = shipped_order(db_session, actor)
    from app.services.context import MANAGER, Actor
    from app.services.invoices import issue_invoice

    invoice = issue_invoice(db_session, Actor(organization_id=org.id, name="M", role=MANAGER), order.id)
    rep = make_user(db_session, org, "rep", "rep@acme.example", rep_number="REP-007")
    sign_in(client, rep)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "INV-00001" in page and "Issue invoice" not in page and "Void INV-00001" not in page
    assert client.get(f"/invoices/{invoice.id}/pdf").status_code == 200
    token = csrf_from(page)
    assert client.post(f"/orders/{order.id}/invoices", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/invoices/{invoice.id}/void", data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert client.get(f"/invoices/{invoice.id}/email").status_code == 403


def test_an_imported_invoice_number_shows_but_has_no_document(client, db_session, org, actor):
    order = shipped_order(db_session, actor)
    db_session.add(Invoice(organization_id=org.id, order_id=order.id, invoice_number="INV-2024-0193", amount=5))
    db_session.commit()
    invoice = db_session.scalars(select(Invoice)).one()
    sign_in(client, make_user(db_session, org, "manager", "m@acme.example"))
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "INV-2024-0193" in page and "came with an import" in page
    assert client.get(f"/invoices/{invoice.id}/pdf").status_code == 404
