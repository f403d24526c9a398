"""The orders pages in Chromium: sign-in, visibility by role, search as you type,
sorting and paging with the back button, in-place shipping edit checked through the
API, a status change in the history, and axe on the main pages."""

from __future__ import annotations

import copy
import re

import pytest
from playwright.sync_api import expect

from app import jsonutil
from app.services import accounts
from app.services.orders import import_orders
from tests.browser.conftest import START_PAGE, axe_violations
from tests.seed_examples import BULK
from tests.web.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def data(db_session, org, actor):
    make_user(db_session, org, "manager", "boss@acme.example")
    make_user(db_session, org, "rep", "rep1@acme.example", rep_number="REP-1")
    make_user(db_session, org, "rep", "rep2@acme.example", rep_number="REP-2")
    orders = []
    for n in range(30):
        o = copy.deepcopy(BULK["orders"][1])
        o.update(externalId=f"UI-{n}", orderNumber=f"UI-{n:05d}", poNumber=f"PO-{n:03d}",
                 orderDate=f"2026-03-{1 + n % 28:02d}T10:00:00Z",
                 primarySalesRep={"repNumber": "REP-1" if n % 3 else "REP-2"},
                 customer={"customerNumber": f"C-{n}", "companyName": "Harbor Industrial" if n < 4 else f"Company {n}"})
        orders.append(o)
    slots = import_orders(db_session, actor, orders)
    return {s.result.order_number: s.result.id for s in slots}


def test_sign_in_and_sign_out(open_page, data, artifacts_dir):
    page = open_page()
    page.goto("/orders")
    expect(page).to_have_url(re.compile(r".*/login.*"))
    page.fill("#email", "boss@acme.example")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("do not match")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#result-count")).to_contain_text("30 orders")
    page.screenshot(path=str(artifacts_dir / "orders.png"))
    page.click("text=Sign out")
    expect(page.locator("h1")).to_have_text("Sign in to Orderdesk")
    page.goto("/orders")
    expect(page.locator("h1")).to_have_text("Sign in to Orderdesk")


def test_a_rep_cannot_open_another_reps_order_but_a_manager_can(open_page, data):
    other = data["UI-00000"]  # REP-2's order
    rep = open_page("rep1@acme.example", PASSWORD)
    expect(rep.locator("#result-count")).to_contain_text("20 orders")
    response = rep.goto(f"/orders/{other}")
    assert response.status == 404
    expect(rep.locator("h1")).to_have_text("Not found")
    manager = open_page("boss@acme.example", PASSWORD)
    assert manager.goto(f"/orders/{other}").status == 200
    expect(manager.locator("h1")).to_have_text("Order UI-00000")


def test_search_as_you_type_narrows_results(open_page, data):
    page = open_page("boss@acme.example", PASSWORD)
    page.goto("/orders")  # managers start on the dashboard
    expect(page.locator("#result-count")).to_contain_text("30 orders")
    page.locator("#q").press_sequentially("Harbor", delay=40)
    expect(page.locator("#result-count")).to_contain_text("4 orders")
    expect(page).to_have_url(re.compile(r".*/orders\?q=Harbor$"))
    page.keyboard.press("Escape")
    page.locator("body").click()
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()


def test_sorting_and_paging_then_back_restores_each_view(open_page, data):
    page = open_page("boss@acme.example", PASSWORD)
    page.goto("/orders")  # managers start on the dashboard
    page.click("th a[data-sort=poNumber]")
    expect(page).to_have_url(re.compile(r".*/orders\?sort=poNumber&dir=asc$"))
    expect(page.locator("table.orders tbody tr").first).to_contain_text("PO-000")
    page.click("a[rel=next]")
    expect(page).to_have_url(re.compile(r".*/orders\?sort=poNumber&dir=asc&page=2$"))
    expect(page.locator("table.orders tbody tr").first).to_contain_text("PO-025")
    page.go_back()
    expect(page).to_have_url(re.compile(r".*/orders\?sort=poNumber&dir=asc$"))
    expect(page.locator("table.orders tbody tr").first).to_contain_text("PO-000")
    expect(page.locator("#result-count")).to_contain_text("page 1 of 2")
    page.go_back()
    expect(page).to_have_url(re.compile(r".*/orders$"))
    expect(page.locator("th[aria-sort=descending] a")).to_have_attribute("data-sort", "orderDate")
    page.reload()
    expect(page.locator("#result-count")).to_contain_text("30 orders")


def test_inline_shipping_edit_with_an_error_then_a_save_the_api_reports(open_page, data, db_session, org, client, artifacts_dir):
    order_id = data["UI-00001"]
    page = open_page("boss@acme.example", PASSWORD)
    page.goto(f"/orders/{order_id}")
    page.click("a[aria-label='Edit shipping']")
    expect(page.locator("#method")).to_be_focused()
    page.fill("#method", "UPS Next Day Air")
    page.fill("#total", "-5")
    page.click("#shipping-panel button[type=submit]")
    expect(page.locator("#total-error")).to_contain_text("must not be negative")
    page.screenshot(path=str(artifacts_dir / "order-shipping-error.png"), full_page=True)
    page.keyboard.press("Escape")
    expect(page.locator("#shipping-method")).to_have_text("—")
    page.click("a[aria-label='Edit shipping']")
    page.fill("#method", "UPS Next Day Air")
    page.fill("#total", "42.00")
    page.fill("#city", "Salem")
    page.click("#shipping-panel button[type=submit]")
    expect(page.locator("#shipping-cost")).to_have_text("$42.00")
    expect(page.locator("#order-total")).to_have_text("$541.50")
    expect(page.locator("#history")).to_contain_text("Shipping details changed")
    page.screenshot(path=str(artifacts_dir / "order-shipping-saved.png"), full_page=True)
    token = accounts.create_token(db_session, org, "Browser test").secret
    db_session.commit()
    body = jsonutil.loads(client.get(f"/api/orders/{order_id}", headers={"Authorization": f"Bearer {token}"}).data)
    assert body["shippingDetails"]["method"] == "UPS Next Day Air"
    assert body["shippingDetails"]["totalFormatted"] == "$42.00"
    assert body["shippingDetails"]["shippingAddress"]["city"] == "Salem"
    assert body["orderTotalFormatted"] == "$541.50"


def test_focus_moved_as_soon_as_an_edit_form_appears_is_not_taken_back(open_page, data):
    """A fast typist (or a test) who moves to a field the moment the form arrives keeps it:
    the form's autofocus is applied while it is swapped in, not a settle delay later."""
    page = open_page("boss@acme.example", PASSWORD)
    page.goto(f"/orders/{data['UI-00003']}")
    page.evaluate("""() => new MutationObserver((_, observer) => {
        const total = document.getElementById("total");
        if (total) { total.focus(); observer.disconnect(); }
    }).observe(document.body, {childList: true, subtree: true})""")
    page.click("a[aria-label='Edit shipping']")
    expect(page.locator("#total")).to_be_focused()
    page.wait_for_timeout(150)
    expect(page.locator("#total")).to_be_focused()


def test_a_status_change_appears_in_the_history(open_page, data):
    page = open_page("boss@acme.example", PASSWORD)
    page.goto(f"/orders/{data['UI-00002']}")
    page.click("text=Mark Processing")
    expect(page.locator("#order-status")).to_have_text("Processing")
    expect(page.locator("#history")).to_contain_text("Status changed to Processing")
    expect(page.locator("#history")).to_contain_text("Pending")
    page.click("text=Mark Shipped")
    expect(page.locator("#order-status")).to_have_text("Shipped")
    expect(page.locator("#shipping-panel")).to_contain_text("Locked (Shipped)")


def test_axe_finds_no_wcag_violations_on_sign_in_orders_and_order_pages(open_page, data, artifacts_dir):
    page = open_page(bypass_csp=True)
    page.goto("/login")
    assert axe_violations(page) == []
    page.fill("#email", "boss@acme.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(START_PAGE)  # managers and admins start on the dashboard
    assert axe_violations(page) == []
    page.goto(f"/orders/{data['UI-00003']}")
    assert axe_violations(page) == []
    page.click("a[aria-label='Edit customer']")
    expect(page.locator("#companyName")).to_be_focused()
    assert axe_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "order-page.png"), full_page=True)
