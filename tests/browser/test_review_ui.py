"""Chromium journeys of the managers' pages: a manager goes from the dashboard to the
matching list and approves in place from the queue; a rep's order awaits approval, the
rep cannot approve it and sees the outcome; the order page offers no move the approval
gate would refuse. Every new page is axe-clean."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from app.services import accounts, approvals, org_settings
from app.services.context import Actor
from app.services.orders import get_order, import_orders
from tests.browser.conftest import axe_violations
from tests.web.helpers import PASSWORD, order_for


@pytest.fixture()
def people(db_session, org, actor):
    org_settings.update_review(db_session, actor, {"pending_days": "3", "below_list_percent": "10",
                                                   "discount_percent": "15", "approval_total_USD": "400"})
    users = {role: accounts.create_user(db_session, org, email=f"{role}@acme.example", password=PASSWORD, role=role,
                                        rep_number="REP-1" if role == "rep" else None, first_name=role.title(),
                                        last_name="Tester")
             for role in ("rep", "manager", "admin")}
    db_session.commit()
    now = datetime.now(UTC)
    import_orders(db_session, actor, [{
        "externalId": f"B-{i}", "orderNumber": f"B-{i:03d}", "orderDate": (now - timedelta(days=i)).isoformat(),
        "orderStatus": ["Complete", "Shipped", "Cancelled"][i % 3], "orderType": "Direct", "poNumber": f"PO-B{i}",
        "priceTier": "Wholesale", "currencyCode": "USD", "channel": "Phone",
        "customer": {"customerNumber": f"C-{i % 2}", "companyName": f"Company {i % 2}"},
        "primarySalesRep": {"repNumber": "REP-1" if i % 2 else "REP-2"}, "user": {"userType": "SalesRep"},
        "items": [{"sku": "SKU-1", "quantity": 2, "price": 20}]} for i in range(8)])
    order_id = order_for(db_session, actor, "REP-1", "E-BIG")
    return users, order_id


def sign_in(open_page, email):
    page = open_page(bypass_csp=True)
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/(orders|dashboard)$"))
    return page


def test_a_manager_goes_from_a_figure_to_its_list_and_approves_in_place(open_page, people, db_session, org, actor):
    _, order_id = people
    page = sign_in(open_page, "manager@acme.example")
    assert page.url.endswith("/dashboard")
    expect(page.locator("#attention-count")).to_contain_text("1")
    assert axe_violations(page) == []
    shown = page.locator("[data-figure=orders]").inner_text()
    page.locator("[data-figure=orders]").click()
    page.wait_for_url(re.compile(r"/orders\?"))
    expect(page.locator("#result-count")).to_contain_text(f"{shown} order")
    page.goto("/dashboard/reps")
    assert axe_violations(page) == []
    page.goto("/attention")
    assert axe_violations(page) == []
    number = get_order(db_session, actor, order_id).order_number
    row = page.locator(f"tr[data-order='{number}']")
    row.get_by_label(f"Reason for {number}").fill("Long-standing customer")
    row.get_by_role("button", name="Approve").click()
    # Approved and otherwise fine: it leaves the queue, saying so in its place.
    expect(page.locator(f"tr[data-order='{number}']")).to_contain_text(f"Order {number} approved.")
    expect(page.locator(f"tr[data-order='{number}']")).to_contain_text("It no longer needs attention")
    page.goto("/attention")
    expect(page.locator(f"tr[data-order='{number}']")).to_have_count(0)
    page.emulate_media(media="print")
    page.goto("/dashboard")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("svg.chart").first).to_be_visible()


def test_a_rep_sees_the_wait_cannot_approve_and_sees_the_outcome(open_page, people, db_session, org):
    _, order_id = people
    page = sign_in(open_page, "rep@acme.example")
    assert page.url.endswith("/orders")
    expect(page.locator("text=Dashboard")).to_have_count(0)
    page.goto(f"/orders/{order_id}")
    expect(page.locator("#approval-state")).to_have_text("Awaiting approval")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    assert axe_violations(page) == []
    status = page.evaluate("""async (id) => {
        const token = document.querySelector('meta[name=csrf-token]').content;
        const body = new URLSearchParams({decision: 'approve', reason: 'my own', csrf_token: token});
        return (await fetch(`/orders/${id}/approval`, {method: 'POST', body})).status; }""", order_id)
    assert status == 403
    manager = Actor(organization_id=org.id, name="Manager Tester", role="manager", user_id="u-m")
    approvals.decide(db_session, manager, order_id, "reject", "Price below our floor")
    page.reload()
    expect(page.locator("#approval-state")).to_have_text("Rejected")
    expect(page.locator("#approval-outcome")).to_contain_text("Price below our floor")


def test_the_admin_settings_page_and_the_order_page_for_a_manager_are_axe_clean(open_page, people):
    _, order_id = people
    page = sign_in(open_page, "admin@acme.example")
    page.goto("/settings/review")
    assert axe_violations(page) == []
    page.goto(f"/orders/{order_id}")
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    assert axe_violations(page) == []
    # Awaiting approval: no move the gate would refuse, the wait said instead; approving
    # in place brings the move.
    expect(page.get_by_role("button", name="Mark Processing")).to_have_count(0)
    expect(page.locator("#status-held")).to_contain_text("Awaiting approval: it can move to Processing")
    expect(page.get_by_role("button", name="Cancel order")).to_be_visible()
    page.fill("#approval-reason", "Known customer")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("button", name="Mark Processing")).to_be_visible()
    expect(page.locator("#status-held")).to_have_count(0)


def test_two_managers_decide_the_same_order_and_the_later_one_is_shown_what_changed(open_page, people, db_session,
                                                                                     actor):
    _, order_id = people
    manager = sign_in(open_page, "manager@acme.example")
    admin = sign_in(open_page, "admin@acme.example")
    number = get_order(db_session, actor, order_id).order_number
    manager.goto("/attention")
    admin.goto(f"/orders/{order_id}")
    admin.get_by_label("Reason (kept in the history)").fill("Margin too thin")
    admin.get_by_role("button", name="Reject").click()
    expect(admin.locator("#approval-state")).to_have_text("Rejected")

    row = manager.locator(f"tr[data-order='{number}']")
    row.get_by_label(f"Reason for {number}").fill("Long-standing customer")
    row.get_by_role("button", name="Approve").click()
    alert = manager.locator(f"tr[data-order='{number}'] .conflict")
    expect(alert).to_contain_text("Changed by Admin Tester at")
    expect(alert).to_contain_text("here is what changed")
    expect(alert).to_contain_text("Rejected: Margin too thin")
    assert axe_violations(manager) == []
    db_session.expire_all()
    order = get_order(db_session, actor, order_id)
    assert (order.approval_state, order.approval_decided_by, order.approval_note) == (
        "rejected", "Admin Tester", "Margin too thin")


def test_a_manager_edits_shipping_then_approves_on_the_same_page_without_a_conflict(open_page, people, db_session,
                                                                                     actor):
    _, order_id = people
    page = sign_in(open_page, "manager@acme.example")
    page.goto(f"/orders/{order_id}")
    page.click("a[aria-label='Edit shipping']")
    page.get_by_label("Shipping method").fill("Freight")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#shipping-panel")).to_contain_text("Shipping details saved.")
    expect(page.locator("#approval input[name=version]")).to_have_value("2")
    page.get_by_label("Reason (kept in the history)").fill("Known customer")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#approval-state")).to_have_text("Approved")
    expect(page.locator("#approval .conflict")).to_have_count(0)
    db_session.expire_all()
    order = get_order(db_session, actor, order_id)
    assert (order.approval_state, order.shipping_method, order.version) == ("approved", "Freight", 3)
