"""The orders workbench in Chromium: a bulk status change over a mixed selection picked
by mouse, shift-click and keyboard (the refusals shown with their reasons), a bulk job
over all 2,000 orders of a search with the progress bar and a reload in the middle, and
a saved view shared by a manager and opened by a rep who sees only their own orders."""

from __future__ import annotations

import copy
import re

import pytest
from playwright.sync_api import expect

from app.services.orders import import_orders
from tests.browser.conftest import axe_violations
from tests.seed_examples import BULK
from tests.web.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


def seed(db_session, actor, count: int, *, prefix: str, status=lambda n: "Pending", rep=lambda n: "REP-1") -> None:
    """``count`` orders through the bulk import (set-based writes, a thousand a call)."""
    orders = []
    for n in range(count):
        o = copy.deepcopy(BULK["orders"][1])
        o.update(externalId=f"{prefix}-{n}", orderNumber=f"{prefix}-{n:05d}", poNumber=f"PO-{prefix}",
                 orderStatus=status(n), orderDate=f"2026-03-{1 + n % 28:02d}T10:00:00Z",
                 primarySalesRep={"repNumber": rep(n)},
                 customer={"customerNumber": f"C-{prefix}-{n % 50}", "companyName": f"Company {n % 50}",
                           "companyEmail": "buyer@example.com"})
        orders.append(o)
    for start in range(0, count, 1000):
        import_orders(db_session, actor, orders[start:start + 1000])


@pytest.fixture()
def people(db_session, org):
    make_user(db_session, org, "manager", "boss@acme.example")
    make_user(db_session, org, "rep", "rep1@acme.example", rep_number="REP-1")


def test_a_mixed_selection_moves_what_it_may_and_shows_why_the_rest_was_refused(open_page, people, db_session,
                                                                                actor, worker, artifacts_dir):
    seed(db_session, actor, 6, prefix="MIX", status=lambda n: "Shipped" if n in (1, 4) else "Pending")
    page = open_page("boss@acme.example", PASSWORD, bypass_csp=True)
    page.goto("/orders?sort=orderNumber&dir=asc")
    expect(page.locator("[data-bulk-count]")).to_have_text("No orders selected")
    page.locator("input[aria-label='Select order MIX-00000']").click()                  # the mouse
    page.locator("input[aria-label='Select order MIX-00002']").click(modifiers=["Shift"])  # a range
    page.locator("input[aria-label='Select order MIX-00004']").focus()
    page.keyboard.press("Space")                                                        # the keyboard
    expect(page.locator("[data-bulk-count]")).to_have_text("4 orders selected")
    expect(page.locator("#bulk-reason")).to_be_hidden()  # only the fields the action needs
    page.select_option("#bulk-target", "Processing")
    assert axe_violations(page) == []
    page.locator("[data-bulk-apply]").click()
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]{36}$"))
    page.locator(".job-progress-title", has_text="Done").wait_for(timeout=20_000)
    result = page.locator(".job-result")
    expect(result.locator(".bulk-result-title")).to_have_text("Move to Processing: 4 orders")
    expect(result.locator(".bulk-result-counts")).to_contain_text("2 done")
    expect(result.locator(".bulk-result-counts")).to_contain_text("2 refused")
    refused = result.locator("table.bulk-refused tbody tr")
    expect(refused).to_have_count(2)
    expect(refused.first).to_contain_text("MIX-00001")
    expect(refused.first).to_contain_text("An order in status Shipped cannot move to Processing. Allowed next: Complete.")
    expect(result.locator("table.bulk-done tbody tr")).to_have_text([re.compile("MIX-00000"), re.compile("MIX-00002")])
    assert axe_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "bulk-result.png"), full_page=True)

    page.goto("/orders?sort=orderNumber&dir=asc")
    statuses = page.locator("table.orders tbody td.c-status").all_inner_texts()
    assert statuses == ["Processing", "Shipped", "Processing", "Pending", "Shipped", "Pending"]


def test_all_2000_orders_of_a_search_in_one_job_with_the_progress_bar_and_a_reload(open_page, people, db_session,
                                                                                  actor, worker):
    seed(db_session, actor, 2000, prefix="BIG")
    page = open_page("boss@acme.example", PASSWORD)
    page.goto("/orders?q=PO-BIG")
    expect(page.locator("#result-count")).to_contain_text("2,000 orders")
    page.get_by_label("All 2,000 orders matching this search").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("All 2,000 orders matching this search selected")
    page.select_option("#bulk-target", "Processing")
    page.locator("[data-bulk-apply]").click()
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]{36}$"))

    figures = page.locator(".job-progress-figures")
    figures.filter(has_text=re.compile(r"[1-9][\d,]* of 2,000 done")).wait_for(timeout=30_000)
    before = figures.inner_text()
    bar = page.locator(".job-progress progress")
    assert bar.get_attribute("max") == "2000" and int(bar.get_attribute("value")) > 0
    page.reload()  # the work goes on without the page
    expect(page.locator(".job-progress progress")).to_have_attribute("max", "2000")  # the bar is back
    page.locator(".job-progress-title", has_text="Done").wait_for(timeout=300_000)
    assert "of 2,000 done" in before and not before.startswith("2,000 of")
    expect(page.locator(".bulk-result-counts")).to_contain_text("2,000 done")
    expect(page.locator("table.bulk-done caption")).to_contain_text("the first 200 of 2,000")
    page.goto("/orders?q=PO-BIG&status=Processing")
    expect(page.locator("#result-count")).to_contain_text("2,000 orders")


def test_a_shared_view_made_by_a_manager_shows_a_rep_only_their_orders(open_page, people, db_session, actor):
    seed(db_session, actor, 8, prefix="SV", rep=lambda n: "REP-1" if n < 3 else "REP-2",
         status=lambda n: "Shipped" if n == 0 else "Pending")
    boss = open_page("boss@acme.example", PASSWORD)
    boss.goto("/orders")  # managers start on the dashboard
    boss.select_option("#status", "Pending")
    expect(boss.locator("#result-count")).to_contain_text("7 orders")
    boss.locator(".columns-menu summary").click()
    boss.get_by_role("link", name="Hide PO").click()
    expect(boss.locator("table.orders thead th.c-po")).to_have_count(0)
    boss.fill("#view-name", "Pending, no PO")
    boss.get_by_label("Share with everyone in the organization").check()
    boss.get_by_role("button", name="Save view").click()
    boss.wait_for_url(re.compile(r".*view=[0-9a-f-]{36}"))
    expect(boss.locator(".view-list a[aria-current=page]")).to_have_text("Pending, no PO")
    view_url = boss.url

    rep = open_page("rep1@acme.example", PASSWORD, bypass_csp=True)
    shared = rep.locator(".views").get_by_role("link", name="Pending, no PO")
    expect(rep.locator(".views")).to_contain_text("by Manager Tester")
    shared.click()
    expect(rep.locator("#result-count")).to_contain_text("2 orders")  # REP-1's pending ones, not the manager's 7
    expect(rep.locator("table.orders thead th.c-po")).to_have_count(0)
    expect(rep.locator("#status")).to_have_value("Pending")
    expect(rep.locator(".view-manage")).to_have_count(0)  # a rep does not manage someone else's shared view
    assert axe_violations(rep) == []

    boss.goto(view_url)
    boss.fill("#view-rename", "Open orders")
    boss.get_by_role("button", name="Rename").click()
    expect(boss.locator(".view-list a[aria-current=page]")).to_have_text("Open orders")
    rep.reload()
    expect(rep.locator(".views")).to_contain_text("Open orders")
