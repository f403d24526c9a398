"""The confirmation pages for signed-in users: PDF, print view, the email form,
the outbox and the template editor."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.db.models import OrderEvent, OutboxEmail
from tests.mail.conftest import csrf_from, make_order, make_user, pdf_text, sign_in

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def order(db_session, actor):
    return make_order(db_session, actor, notes="Ring <b>twice</b>", companyName="Bright <i>field</i>")


@pytest.fixture()
def admin_client(client, db_session, org):
    sign_in(client, make_user(db_session, org, "admin", "admin@acme.example"))
    return client


@pytest.fixture()
def rep_client(client, db_session, org):
    sign_in(client, make_user(db_session, org, "rep", "rep@acme.example", rep_number="REP-007"))
    return client


def test_pdf_and_print_view_follow_order_visibility(client, db_session, org, actor, order, tmp_path):
    other = make_order(db_session, actor, primarySalesRep={"repNumber": "REP-555", "firstName": "Al", "lastName": "B"})
    anonymous = client.get(f"/orders/{order.id}/confirmation.pdf")
    assert anonymous.status_code in (302, 401) and anonymous.mimetype != "application/pdf"
    sign_in(client, make_user(db_session, org, "rep", "rep@acme.example", rep_number="REP-007"))
    response = client.get(f"/orders/{order.id}/confirmation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert order.order_number in pdf_text(response.data, tmp_path)
    again = client.get(f"/orders/{order.id}/confirmation.pdf", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/orders/{other.id}/confirmation.pdf").status_code == 404
    assert client.get(f"/orders/{other.id}/print").status_code == 404
    page = client.get(f"/orders/{order.id}/print")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and order.order_number in html and "$479.30" in html
    assert "Ring &lt;b&gt;twice&lt;/b&gt;" in html and "Bright &lt;i&gt;field&lt;/i&gt;" in html
    assert "<script>" not in html and 'style="' not in html
    css = client.get("/confirmation/style.css")
    assert css.mimetype == "text/css" and "table-header-group" in css.get_data(as_text=True)


def test_email_form_is_prefilled_and_sending_records_history(rep_client, db_session, order, smtp_down):
    form = rep_client.get(f"/orders/{order.id}/email", headers=HTMX)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and 'value="orders@brightfield.example"' in html and "<html" not in html
    token = csrf_from(html)
    assert rep_client.post(f"/orders/{order.id}/email", data={"recipients": "a@example.com"},
                           headers=HTMX).status_code == 400  # no CSRF token
    bad = rep_client.post(f"/orders/{order.id}/email", headers=HTMX,
                          data={"csrf_token": token, "recipients": "ok@example.com, nope"})
    assert bad.status_code == 200 and "nope is not a valid email address" in bad.get_data(as_text=True)
    assert rep_client.post(f"/orders/{order.id}/email", data={"csrf_token": token, "recipients": "nope"}).status_code == 422
    sent = rep_client.post(f"/orders/{order.id}/email", headers=HTMX,
                           data={"csrf_token": token, "recipients": "a@example.com, b@example.com"})
    body = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "Confirmation queued" in body and "connect" in body
    assert sent.headers["HX-Trigger"] == "order-history-changed"
    assert 'id="history"' in body and 'hx-swap-oob="true"' in body and "Confirmation email queued" in body
    kinds = [e.kind for e in db_session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id))]
    assert "email_queued" in kinds and "email_failed" in kinds


def test_email_form_sends_over_smtp(rep_client, order, smtp_server):
    token = csrf_from(rep_client.get(f"/orders/{order.id}/email").get_data(as_text=True))
    sent = rep_client.post(f"/orders/{order.id}/email", headers=HTMX,
                           data={"csrf_token": token, "recipients": "a@example.com"})
    assert "Confirmation sent" in sent.get_data(as_text=True)
    assert len(smtp_server.messages) == 1


def test_outbox_lists_emails_for_managers_and_retries_them(client, db_session, org, actor, order, smtp_down,
                                                           request, tmp_path):
    from app.mail.service import send_confirmation

    send_confirmation(db_session, actor, order.id, ["buyer@example.com"])
    sign_in(client, make_user(db_session, org, "rep", "rep@acme.example", rep_number="REP-007"))
    assert client.get("/outbox").status_code == 403
    sign_in(client, make_user(db_session, org, "manager", "manager@acme.example"))
    listing = client.get("/outbox").get_data(as_text=True)
    email = db_session.scalars(select(OutboxEmail)).one()
    assert email.subject in listing and "Queued" in listing and "Retry now" in listing
    detail = client.get(f"/outbox/{email.id}").get_data(as_text=True)
    assert "Bright &lt;i&gt;field&lt;/i&gt;" in detail and "Reply-To" in detail
    body = client.get(f"/outbox/{email.id}/body.html")
    assert "sandbox" in body.headers["Content-Security-Policy"] and order.order_number in body.get_data(as_text=True)
    attachment = client.get(f"/outbox/{email.id}/attachment.pdf")
    assert order.order_number in pdf_text(attachment.data, tmp_path)
    inbox = request.getfixturevalue("smtp_server")
    token = csrf_from(listing)
    row = client.post(f"/outbox/{email.id}/retry", data={"csrf_token": token}, headers=HTMX)
    assert row.status_code == 200 and "Sent" in row.get_data(as_text=True)
    assert len(inbox.messages) == 1


def test_template_editor_previews_saves_and_explains_errors(client, db_session, org, order):
    sign_in(client, make_user(db_session, org, "manager", "manager@acme.example"))
    assert client.get("/settings/email-template").status_code == 403
    sign_in(client, make_user(db_session, org, "admin", "admin@acme.example"))
    page = client.get("/settings/email-template")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and order.order_number in html
    token = csrf_from(html)
    preview = client.post("/settings/email-template/preview", headers=HTMX, data={
        "csrf_token": token, "order": order.id, "subject": "Order {{ order.number }}",
        "body": "Hi {{ customer.name }}"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and f"Order {order.order_number}" in text
    assert "Hi Bright &lt;i&gt;field&lt;/i&gt;" in text
    hostile = client.post("/settings/email-template/preview", headers=HTMX, data={
        "csrf_token": token, "order": order.id, "subject": "x", "body": "{{ order.__class__.__mro__ }}"})
    assert hostile.status_code == 200 and "cannot be used" in hostile.get_data(as_text=True)
    assert "__class__" in hostile.get_data(as_text=True)
    refused = client.post("/settings/email-template", data={
        "csrf_token": token, "order": order.id, "subject": "x", "body": "{% for %}", "action": "save"})
    assert refused.status_code == 422 and "syntax error" in refused.get_data(as_text=True)
    saved = client.post("/settings/email-template", data={
        "csrf_token": token, "order": order.id, "subject": "Your order {{ order.number }}",
        "body": "Thanks {{ customer.name }}", "action": "save"})
    assert saved.status_code == 303
    db_session.expire_all()
    assert org.email_subject_template == "Your order {{ order.number }}"
    assert re.search(r"The template was saved", client.get(saved.headers["Location"]).get_data(as_text=True))


def test_confirmation_actions_partial_has_both_buttons(app, order):
    with app.test_request_context():
        from flask import render_template

        html = render_template("orders/_confirmation_actions.html", order=order, org=None, current_user=None)
    assert "Email confirmation" in html and "Print" in html
    assert f"/orders/{order.id}/email" in html and f"/orders/{order.id}/confirmation.pdf" in html
