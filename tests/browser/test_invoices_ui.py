"""Invoices and concurrent edits in Chromium: a manager issues an invoice on the order
page, opens its print view and PDF (pdftotext shows number, due date and total),
emails it to a real SMTP server and voids it, then issues the next one; two managers
in two browser contexts save the same shipping panel and the second is told who
changed what instead of overwriting it."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.db.models import Invoice
from app.services import accounts
from app.services.invoices import local_today
from app.services.orders import change_status, create_order, get_order, load_org
from tests.browser.conftest import axe_violations
from tests.mail.conftest import pdf_text, smtp_server  # noqa: F401  (the SMTP fixture)
from tests.seed_examples import SINGLE_CREATE
from tests.web.helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture()
def managers(db_session, org):
    for first, email in (("Dana", "dana@acme.example"), ("Sam", "sam@acme.example")):
        accounts.create_user(db_session, org, email=email, password=PASSWORD, role="manager",
                             first_name=first, last_name="Lee")
    db_session.commit()
    return ("dana@acme.example", "sam@acme.example")


def an_order(db_session, actor, external_id: str, *steps: str) -> str:
    payload = copy.deepcopy(SINGLE_CREATE)
    payload["externalId"] = external_id
    order_id = create_order(db_session, actor, payload).id
    for status in steps:
        change_status(db_session, actor, order_id, status)
    return order_id


def test_issue_print_email_and_void_an_invoice(open_page, managers, db_session, actor, org, smtp_server,  # noqa: F811
                                               tmp_path):
    order_id = an_order(db_session, actor, "INV-UI-1", "Processing", "Shipped")
    order = get_order(db_session, actor, order_id)
    page = open_page(managers[0], PASSWORD, bypass_csp=True)
    page.goto(f"/orders/{order_id}")
    panel = page.locator("#invoices-panel")
    expect(panel).to_contain_text("No invoices yet.")
    panel.get_by_role("button", name="Issue invoice").click()
    expect(panel.get_by_role("status")).to_have_text("Invoice INV-00001 issued.")
    expect(panel.locator(".invoice")).to_contain_text("Issued")
    expect(page.locator("#history")).to_contain_text("Invoice INV-00001 issued")
    expect(panel.get_by_role("button", name="Issue invoice")).to_have_count(0)
    assert axe_violations(page) == []

    invoice = db_session.query(Invoice).one()
    due = local_today(load_org(db_session, org.id), invoice.issued_at) + timedelta(days=30)
    pdf = page.request.get(f"/invoices/{invoice.id}/pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body(), tmp_path)
    total = f"${order.order_total:,.2f}"
    assert "Invoice INV-00001" in text and f"{due:%b} {due.day}, {due.year}" in text and total in text

    panel.get_by_role("link", name="Print view of INV-00001").click()
    expect(page.get_by_role("heading", name="Invoice INV-00001")).to_be_visible()
    expect(page.locator("body")).to_contain_text(total)
    assert axe_violations(page) == []
    page.get_by_role("link", name="Back to order").click()

    panel.get_by_role("link", name="Email INV-00001").click()
    field = panel.get_by_label("Send invoice INV-00001 to")
    expect(field).to_have_value("orders@brightfield.example")
    field.fill("ap@brightfield.example")
    panel.get_by_role("button", name="Send invoice").click()
    expect(panel.locator(".email-result")).to_contain_text("Invoice INV-00001 sent to ap@brightfield.example")
    expect(page.locator("#history")).to_contain_text("Invoice INV-00001 email queued for ap@brightfield.example")
    [message] = smtp_server.messages
    assert message["Subject"] == "Invoice INV-00001 from Acme Wholesale"
    [attachment] = list(message.iter_attachments())
    assert total in pdf_text(attachment.get_content(), tmp_path)

    panel.locator("summary", has_text="Void INV-00001").click()
    panel.get_by_label("Reason").fill("Customer asked for a split invoice")
    panel.get_by_role("button", name="Void invoice").click()
    expect(panel.get_by_role("status")).to_have_text("Invoice INV-00001 voided.")
    expect(panel.locator(".invoice-void")).to_contain_text("Customer asked for a split invoice")
    panel.get_by_role("button", name="Issue invoice").click()
    expect(panel.get_by_role("status")).to_have_text("Invoice INV-00002 issued.")
    expect(page.locator("#history")).to_contain_text("Invoice INV-00001 voided: Customer asked for a split invoice")
    assert axe_violations(page) == []
    page.goto("/orders?q=" + order.order_number)
    expect(page.locator("#results")).to_contain_text("INV-00001, INV-00002")


def test_two_managers_edit_the_same_shipping_panel(open_page, managers, db_session, actor):
    order_id = an_order(db_session, actor, "INV-UI-2")
    dana = open_page(managers[0], PASSWORD, bypass_csp=True)
    sam = open_page(managers[1], PASSWORD)
    for page in (dana, sam):
        page.goto(f"/orders/{order_id}")
        page.click("a[aria-label='Edit shipping']")
        expect(page.get_by_label("Shipping method")).to_be_visible()

    sam.get_by_label("Shipping method").fill("Freight")
    sam.get_by_label("Shipping cost").fill("40.00")
    sam.get_by_role("button", name="Save").click()
    expect(sam.locator("#shipping-panel")).to_contain_text("Shipping details saved.")

    dana.get_by_label("Shipping method").fill("UPS Ground")
    dana.get_by_role("button", name="Save").click()
    alert = dana.locator("#shipping-panel .conflict")
    expect(alert).to_contain_text("Changed by Sam Lee at")
    expect(alert).to_contain_text("here is what changed")
    expect(alert.locator("ins").first).to_have_text("Freight")
    expect(dana.get_by_label("Shipping method")).to_have_value("UPS Ground")
    assert axe_violations(dana) == []
    db_session.expire_all()
    assert get_order(db_session, actor, order_id).shipping_method == "Freight"

    dana.get_by_role("button", name="Save").click()
    expect(dana.locator("#shipping-panel")).to_contain_text("Shipping details saved.")
    expect(dana.locator("#shipping-method")).to_have_text("UPS Ground")
    db_session.expire_all()
    assert get_order(db_session, actor, order_id).shipping_method == "UPS Ground"
