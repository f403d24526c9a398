"""The order builder in Chromium: a whole order built with the keyboard only, quantity
checks with their offered fix, price overrides, the duplicate-PO warning, the draft
surviving a reload, screen totals equal to the API's, and no axe WCAG 2 A/AA violations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app import jsonutil
from app.db.models import Order
from app.services import accounts
from app.services import builder as svc
from app.services.orders import create_order
from tests.builder import conftest as builder_fixtures
from tests.builder.conftest import PASSWORD

pytestmark = pytest.mark.browser
# The builder's catalog, customers and signed-in rep, shared with its other tests.
catalog, rep_user = builder_fixtures.catalog, builder_fixtures.rep_user

AXE = Path(__file__).resolve().parent.parent / "builder" / "vendor" / "axe.min.js"


@pytest.fixture()
def builder(open_page, live_server, rep_user) -> Iterator[Page]:
    """A rep signed in through the sign-in form, on a fresh /orders/new. Any
    Content-Security-Policy violation on the page fails the test."""
    page = open_page(rep_user.email, PASSWORD)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto("/orders/new")
    expect(page.locator("#order-form")).to_be_visible()
    yield page
    assert violations == [], violations


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page: Page, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element has focus (keyboard only)."""
    for _ in range(limit):
        if focused_id(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}; focus is on #{focused_id(page)}")


def choose_customer(page: Page, text: str) -> None:
    page.keyboard.press("Alt+c")
    page.keyboard.type(text)
    expect(page.locator("#customer-results [role=option]").first).to_be_visible()
    expect(page.locator("#customer-lookup")).to_have_attribute("aria-activedescendant", "customer-opt-1")
    page.keyboard.press("Enter")
    expect(page.locator("#customer-status")).to_contain_text("Directory")


def add_product(page: Page, text: str, option_text: str) -> None:
    page.keyboard.press("Alt+l")
    page.keyboard.type(text)
    expect(page.locator("#product-results [role=option].active")).to_contain_text(option_text)
    page.keyboard.press("Enter")
    expect(page.locator(f"#lines-body tr:has-text('{option_text}') [data-line-qty]")).to_be_focused()


def settle(page: Page) -> None:
    """Wait until htmx has no request in flight."""
    expect(page.locator(".htmx-request")).to_have_count(0)
    page.wait_for_timeout(50)


def screen_totals(page: Page) -> dict[str, str]:
    return {k: page.locator(f"#total-{k}").inner_text() for k in ("subtotal", "shipping", "tax", "total")}


def test_a_three_line_order_built_with_the_keyboard_only_matches_the_api_to_the_cent(
        builder, app, db_session, catalog, artifacts_dir):
    page = builder
    choose_customer(page, "harbor")
    expect(page.locator("#f-customer-companyName")).to_have_value("Harbor Industrial")
    expect(page.locator("#f-priceTier")).to_have_value("Retail")
    expect(page.locator("#f-terms")).to_have_value("Net60")
    expect(page.locator("#f-primarySalesRep-repNumber")).to_have_value("REP-1")

    tab_to(page, "f-poNumber")
    page.keyboard.type("PO-KB-1")

    add_product(page, "WID-BLU", "WID-BLU")
    page.keyboard.press("Control+a")
    page.keyboard.type("18")
    page.keyboard.press("Enter")
    assert focused_id(page) == "product-lookup"

    page.evaluate("navigator.clipboard.writeText('WID-RED\\t4\\nwid-grn, 3\\n')")
    page.keyboard.press("Alt+q")
    assert focused_id(page) == "f-quick-add"
    page.keyboard.press("Control+v")
    expect(page.locator("#f-quick-add")).to_have_value(re.compile("WID-RED\t4"))
    page.keyboard.press("Tab")
    assert focused_id(page) == "quick-add-button"
    page.keyboard.press("Enter")
    expect(page.locator("#quick-add-status")).to_contain_text("Added 2 lines.")
    expect(page.locator("#lines-body tr")).to_have_count(3)

    tab_to(page, "f-shippingDetails-total")
    page.keyboard.type("12.50")
    page.keyboard.press("Tab")
    page.keyboard.type("4.07")
    expect(page.locator("#total-tax")).to_have_text("$4.07")
    settle(page)
    # 18 × 3.00 + 4 × 14.50 + 3 × 9.00 = 139.00; + 12.50 + 4.07
    expect(page.locator("#total-total")).to_have_text("$155.57")
    shown = screen_totals(page)
    page.screenshot(path=str(artifacts_dir / "builder-keyboard-order.png"), full_page=True)

    expect(page.locator("#submit-order")).to_contain_text("Ctrl")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    order_id = page.url.rsplit("/", 1)[1]

    secret = accounts.create_token(db_session, catalog, "Builder check").secret
    db_session.commit()
    response = app.test_client().get(f"/api/orders/{order_id}", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = jsonutil.loads(response.get_data())
    assert [(i["sku"], i["quantity"]) for i in body["items"]] == [("WID-BLU", 18), ("WID-RED", 4), ("WID-GRN", 3)]
    assert body["subtotal"] == Decimal("139.00") and body["orderTotal"] == Decimal("155.57")
    assert shown == {
        "subtotal": body["subtotalFormatted"], "shipping": body["shippingDetails"]["totalFormatted"],
        "tax": body["taxFormatted"], "total": body["orderTotalFormatted"],
    }
    assert (body["poNumber"], body["priceTier"], body["terms"], body["primarySalesRep"]["repNumber"]) == (
        "PO-KB-1", "Retail", "Net60", "REP-1")
    assert [k for k in page.evaluate("Object.keys(sessionStorage)") if k.startswith("orderdesk.")] == []


def test_a_quantity_below_the_minimum_shows_the_error_and_the_offered_fix(builder, artifacts_dir):
    page = builder
    add_product(page, "WID-BLU", "WID-BLU")
    qty = page.locator("[data-line-qty]")
    page.keyboard.press("Control+a")
    page.keyboard.type("5")
    message = page.locator(".qty-msg .field-error")
    expect(message).to_have_text(re.compile("Quantity 5 of WID-BLU must be at least the minimum order quantity of 12"))
    expect(qty).to_have_attribute("aria-invalid", "true")
    describedby = qty.get_attribute("aria-describedby")
    expect(page.locator(f"#{describedby}")).to_contain_text("minimum order quantity")
    fix = page.get_by_role("button", name="Use quantity 12 for WID-BLU")
    expect(fix).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "builder-quantity-fix.png"))
    fix.focus()
    page.keyboard.press("Enter")
    expect(qty).to_have_value("12")
    expect(message).to_have_count(0)
    expect(qty).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#total-subtotal")).to_have_text("$25.50")

    qty.fill("20")
    expect(page.get_by_role("button", name="Use quantity 18 for WID-BLU")).to_be_visible()
    expect(page.get_by_role("button", name="Use quantity 24 for WID-BLU")).to_be_visible()


def test_an_overridden_price_is_marked_and_survives_a_tier_change(builder, artifacts_dir):
    page = builder
    add_product(page, "WID-RED", "WID-RED")
    page.keyboard.press("Enter")
    add_product(page, "WID-GRN", "WID-GRN")
    red_price = page.locator("#lines-body tr:has-text('WID-RED') input.price")
    green_price = page.locator("#lines-body tr:has-text('WID-GRN') input.price")
    expect(red_price).to_have_value("10.00")
    red_price.fill("8.75")
    red_row = page.locator("#lines-body tr:has-text('WID-RED')")
    expect(red_row.locator(".badge-override")).to_have_text("Overridden")
    expect(red_row.locator(".price-src")).to_contain_text("list $10.00")
    expect(page.locator("#total-subtotal")).to_have_text("$15.75")

    page.select_option("#f-priceTier", "Retail")
    expect(green_price).to_have_value("9.00")
    expect(red_price).to_have_value("8.75")
    expect(red_row.locator(".badge-override")).to_be_visible()
    expect(red_row.locator(".price-src")).to_contain_text("list $14.50")
    expect(page.locator("#total-subtotal")).to_have_text("$17.75")
    page.screenshot(path=str(artifacts_dir / "builder-override.png"))

    red_row.get_by_role("button", name="Use list price").click()
    expect(red_price).to_have_value("14.50")
    expect(red_row.locator(".badge-override")).to_have_count(0)
    expect(red_price).to_be_focused()


def test_a_po_number_the_customer_already_used_shows_a_warning(builder, db_session, catalog, actor):
    d = svc.Draft(customer_number="C-100", company_name="Harbor Industrial", po_number="PO-REPEAT",
                  order_type="Direct", price_tier="Wholesale", currency_code="USD", primary_rep="REP-1",
                  lines=[svc.DraftLine("a", "WID-RED", quantity="1", price="10.00")])
    number = create_order(db_session, actor, svc.draft_payload(d, actor)).order_number
    page = builder
    choose_customer(page, "C-100")
    page.locator("#f-poNumber").fill("PO-REPEAT")
    warning = page.locator("#po-warning")
    expect(warning).to_contain_text("Duplicate PO?")
    expect(warning).to_contain_text(number)
    expect(warning).to_have_attribute("aria-live", "polite")
    page.locator("#f-poNumber").fill("PO-NEW")
    expect(warning).to_have_text("")


def test_a_reload_keeps_the_draft_and_leaving_asks_first(builder):
    page = builder
    choose_customer(page, "maple")
    page.locator("#f-poNumber").fill("PO-DRAFT")
    add_product(page, "WID-RED", "WID-RED")
    page.keyboard.press("Control+a")
    page.keyboard.type("7")
    settle(page)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.reload()
    expect(page.locator("#f-poNumber")).to_have_value("PO-DRAFT")
    assert dialogs == ["beforeunload"]
    expect(page.locator("#f-customer-companyName")).to_have_value("Maple Leaf Wholesale")
    expect(page.locator("#lines-body [data-line-qty]")).to_have_value("7")
    expect(page.locator("#total-subtotal")).to_have_text("CA$95.20")
    expect(page.locator("#builder-status")).to_contain_text("restored")


def test_a_rejected_order_shows_errors_beside_fields_and_focuses_the_summary(builder, db_session, artifacts_dir):
    page = builder
    add_product(page, "WID-BLU", "WID-BLU")
    page.keyboard.press("Control+a")
    page.keyboard.type("5")
    settle(page)
    page.keyboard.press("Control+Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Quantity 5 of WID-BLU must be at least the minimum order quantity of 12")
    expect(page.locator("#f-customer-customerNumber")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-customer-customerNumber-error1")).to_have_text(re.compile("is required"))
    expect(page.locator("#f-poNumber")).to_have_attribute("aria-describedby", "f-poNumber-error1")
    page.screenshot(path=str(artifacts_dir / "builder-errors.png"), full_page=True)
    summary.get_by_role("link", name=re.compile("Quantity 5")).click()
    expect(page.locator("#lines-body [data-line-qty]")).to_be_focused()
    assert db_session.query(Order).count() == 0


def test_axe_finds_no_wcag_a_or_aa_violations_on_the_builder(builder, db_session, catalog, actor, artifacts_dir):
    d = svc.Draft(customer_number="C-100", company_name="Harbor Industrial", po_number="PO-OLD",
                  order_type="Direct", price_tier="Wholesale", currency_code="USD", primary_rep="REP-1",
                  lines=[svc.DraftLine("a", "WID-RED", quantity="3", price="10.00")])
    create_order(db_session, actor, svc.draft_payload(d, actor))
    page = builder
    page.reload()
    choose_customer(page, "harbor")
    page.locator("#f-poNumber").fill("PO-OLD")
    expect(page.locator("#po-warning")).to_contain_text("Duplicate PO?")
    add_product(page, "WID-BLU", "WID-BLU")
    page.keyboard.press("Control+a")
    page.keyboard.type("5")
    expect(page.locator(".qty-msg .field-error")).to_be_visible()
    page.keyboard.press("Alt+l")
    page.keyboard.type("wid")
    expect(page.locator("#product-results [role=option]").first).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "builder-lookup.png"))
    page.evaluate(AXE.read_text())  # through the devtools protocol: the page's CSP allows no inline script
    result = page.evaluate(
        "o => axe.run(document, o)", {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    violations = [(v["id"], [(n["target"], n.get("failureSummary")) for n in v["nodes"]]) for v in result["violations"]]
    assert violations == []
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    result = page.evaluate(
        "o => axe.run(document, o)", {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == []


def test_a_frequently_ordered_product_is_added_with_one_key(builder, db_session, catalog, actor):
    for po in ("PO-A", "PO-B"):
        d = svc.Draft(customer_number="C-100", company_name="Harbor Industrial", po_number=po,
                      order_type="Direct", price_tier="Retail", currency_code="USD", primary_rep="REP-1",
                      lines=[svc.DraftLine("a", "WID-GRN", quantity="2", price="9.00")])
        create_order(db_session, actor, svc.draft_payload(d, actor))
    page = builder
    choose_customer(page, "harbor")
    context = page.locator("#customer-context")
    expect(context.get_by_role("link", name=re.compile("ORD-"))).to_have_count(2)
    expect(context.locator("[data-shortcut='1']")).to_contain_text("WID-GRN")
    page.keyboard.press("Shift+Tab")  # out of the lookup, onto a button: digits are shortcuts there
    page.keyboard.press("1")
    expect(page.locator("#lines-body tr")).to_have_count(1)
    expect(page.locator("#lines-body [data-line-qty]")).to_be_focused()
    expect(page.locator("#total-subtotal")).to_have_text("$9.00")
    expect(page.locator("#builder-status")).to_contain_text("Added WID-GRN")
