"""Orderdesk on a phone (390 × 844) and a tablet (820 × 1180), by touch: a rep signs in,
finds and opens an order, edits its shipping, emails the confirmation and builds a
three-line order with the steppers, the lookups and a paste from the clipboard. On every
page: no sideways scrolling of the page, tap targets of at least 44 × 44 px for the
primary controls, the right on-screen keyboards, no keyboard hints, and axe WCAG 2 A/AA
clean. Screenshots of each page at both sizes land in test-artifacts/mobile-*.png."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.db.models import Order
from app.services import accounts, imports, jobs
from app.services import builder as svc
from app.services.context import Actor
from app.services.orders import create_order
from tests.browser.conftest import START_PAGE
from tests.builder import conftest as builder_fixtures
from tests.builder.conftest import PASSWORD
from tests.ops import jobkinds  # noqa: F401  (registers test.steps)

pytestmark = pytest.mark.browser
catalog, rep_user = builder_fixtures.catalog, builder_fixtures.rep_user

AXE = Path(__file__).resolve().parent.parent / "builder" / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
SIZES = [pytest.param(PHONE, id="phone"), pytest.param(TABLET, id="tablet")]
TAP = 44


# --------------------------------------------------------------------------- checks


def assert_no_sideways_scroll(page: Page, width: int) -> None:
    """The page as a whole never scrolls sideways. A mobile browser widens the layout
    viewport to fit content that overflows, so innerWidth must also still be the screen's."""
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    if (scroll_width, inner_width) != (width, width):
        wide = page.evaluate("""w => [...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > w + 1)
            .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""", width)
        raise AssertionError(f"{page.url}: page is {scroll_width}px wide on a {width}px screen; too wide: {wide}")


def assert_tap_targets(page: Page, selectors: list[str]) -> None:
    """Every visible match of each selector is at least 44 × 44 CSS px."""
    small = []
    for selector in selectors:
        matches = page.locator(selector)
        assert matches.count() > 0, f"nothing matches {selector}"
        for i in range(matches.count()):
            item = matches.nth(i)
            if not item.is_visible():
                continue
            box = item.bounding_box()
            if box["width"] < TAP - 0.5 or box["height"] < TAP - 0.5:
                small.append((selector, i, round(box["width"]), round(box["height"])))
    assert small == [], f"tap targets under {TAP}px: {small}"


def assert_no_keyboard_hints(page: Page) -> None:
    hints = page.locator(".kbd-hint, kbd")
    visible = [hints.nth(i).inner_text() for i in range(hints.count()) if hints.nth(i).is_visible()]
    assert visible == [], f"keyboard hints shown on a touch screen: {visible}"


def assert_readable_text(page: Page) -> None:
    """No visible text smaller than 12 px, and form fields at 16 px (phones zoom into smaller ones)."""
    tiny, small_fields = page.evaluate("""() => {
        const tiny = new Set(), fields = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const el = walker.currentNode.parentElement;
            if (!walker.currentNode.nodeValue.trim() || !el || !el.checkVisibility() || el.closest('.visually-hidden')) continue;
            const size = parseFloat(getComputedStyle(el).fontSize);
            if (size < 12) tiny.add(el.tagName + '.' + el.className + ' ' + size);
        }
        document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]), select, textarea').forEach(el => {
            if (el.checkVisibility() && parseFloat(getComputedStyle(el).fontSize) < 16) fields.push(el.id || el.name);
        });
        return [[...tiny], fields];
    }""")
    assert tiny == [] and small_fields == [], (tiny, small_fields)


def axe_violations(page: Page) -> list:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # through the devtools protocol: the CSP allows no inline script
    result = page.evaluate("o => axe.run(document, o)", {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    return [(v["id"], [n["target"] for n in v["nodes"]][:5]) for v in result["violations"]]


def snap(page: Page, path: Path) -> None:
    """A screenshot of the whole page as a touch screen shows it. (Playwright's full_page
    capture switches touch emulation off while it captures, which would show the desktop's
    keyboard hints, so the viewport is stretched to the page's height instead.)"""
    viewport = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": min(max(height, viewport["height"]), 8000)})
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    page.wait_for_function("([w, h]) => innerWidth === w && innerHeight === h", arg=[viewport["width"], viewport["height"]])


def check_page(page: Page, size: dict, name: str, artifacts: Path, targets: list[str] = (), axe: bool = True) -> None:
    # A tap on a link returns before the new page's stylesheets have loaded: measure the
    # page as it is shown, not a layout forced before its CSS arrived.
    page.wait_for_load_state("load")
    assert_no_sideways_scroll(page, size["width"])
    assert_no_keyboard_hints(page)
    assert_readable_text(page)
    assert_tap_targets(page, [".topbar nav a", ".topbar .link-button", *targets] if page.locator(".topbar nav").count() else list(targets))
    if axe:
        assert axe_violations(page) == []
    snap(page, artifacts / f"mobile-{name}-{size['width']}.png")


def settle(page: Page) -> None:
    expect(page.locator(".htmx-request")).to_have_count(0)
    page.wait_for_timeout(50)


# --------------------------------------------------------------------------- data


@pytest.fixture()
def rep_orders(db_session, catalog, rep_user, actor) -> list[str]:
    """Six orders of REP-1 for the orders list; the last one is Harbor's."""
    numbers = []
    for n, (number, company) in enumerate([("C-300", "Quayside Marine Supply"), ("C-301", "Northgate Fasteners"),
                                           ("C-302", "Lakeview Builders Cooperative"), ("C-303", "Ridge Tools"),
                                           ("C-304", "Summit Hardware Co."), ("C-100", "Harbor Industrial")]):
        draft = svc.Draft(customer_number=number, company_name=company, po_number=f"PO-M{n}", order_type="Direct",
                          price_tier="Wholesale", currency_code="USD", primary_rep="REP-1", company_email="buyer@harbor.example",
                          lines=[svc.DraftLine("a", "WID-RED", quantity=str(n + 1), price="10.00"),
                                 svc.DraftLine("b", "WID-GRN", quantity="2", price="7.00")])
        numbers.append(create_order(db_session, actor, svc.draft_payload(draft, actor)).order_number)
    return numbers


@pytest.fixture()
def touch_rep(open_page, live_server, rep_user) -> Iterator:
    """``touch_rep(size)``: a touch tab of that size on the sign-in page, clipboard allowed.
    A Content-Security-Policy violation fails the test."""
    violations: list[str] = []

    def make(size: dict) -> Page:
        page = open_page(viewport=size, touch=True)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
        page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
        return page

    yield make
    assert violations == [], violations


# --------------------------------------------------------------------------- journeys


@pytest.mark.parametrize("size", SIZES)
def test_a_rep_signs_in_finds_an_order_edits_shipping_and_emails_it_by_touch(
        touch_rep, size, rep_user, rep_orders, artifacts_dir, db_session):
    page = touch_rep(size)
    phone = size is PHONE

    # Sign in: an email keyboard, big fields and button.
    page.goto("/login")
    expect(page.locator("#email")).to_have_attribute("type", "email")
    check_page(page, size, "login", artifacts_dir, ["#email", "#password", ".login button[type=submit]", ".field.checkbox"])
    page.locator("#email").tap()
    page.fill("#email", rep_user.email)
    page.fill("#password", PASSWORD)
    page.locator(".login button[type=submit]").tap()
    page.wait_for_url(START_PAGE)  # managers and admins start on the dashboard

    # Orders: the search box on top, cards on a phone, filters folded behind "Filters".
    expect(page.locator("#result-count")).to_contain_text("6 orders")
    cards = page.locator("table.orders tbody tr")
    harbor = cards.filter(has_text="Harbor Industrial")
    if phone:
        toggle = page.get_by_role("button", name=re.compile("^Filters"))
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#status")).to_be_hidden()
        assert page.locator("#q").bounding_box()["y"] < toggle.bounding_box()["y"] + TAP
        for cell in ("c-number", "c-company", "c-date", "c-status", "c-total", "c-rep"):
            expect(harbor.locator(f"td.{cell}")).to_be_visible()
        expect(harbor.locator("td.c-customer")).to_be_hidden()
        expect(harbor.locator("td.c-rep")).to_contain_text("REP-1")
        card = harbor.bounding_box()
        assert card["width"] <= size["width"] and card["height"] >= TAP
        check_page(page, size, "orders", artifacts_dir, ["#q", "[data-filters-toggle]", "thead th a", "a[rel=next], .results-head .button"])
        toggle.tap()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(page.locator("#status")).to_be_visible()
        page.select_option("#status", "Pending")
        expect(toggle.locator("[data-filter-count]")).to_have_text("1 active")
        expect(page).to_have_url(re.compile(r"status=Pending"))
        assert_no_sideways_scroll(page, size["width"])
        snap(page, artifacts_dir / f"mobile-orders-filters-{size['width']}.png")
        page.select_option("#status", "")
        expect(toggle.locator("[data-filter-count]")).to_be_hidden()
    else:
        # A tablet: two cards to a row, with customer # and PO; every filter in view.
        expect(page.locator("table.orders thead th").first).to_be_visible()
        expect(page.locator("#status")).to_be_visible()
        expect(harbor.locator("td.c-customer")).to_have_text("C-100")
        expect(harbor.locator("td.c-po")).to_contain_text("PO-M5")
        first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
        assert second["x"] >= first["x"] + first["width"] - 1 and second["y"] == first["y"]
        check_page(page, size, "orders", artifacts_dir, ["#q", "#status", "thead th a", "td.c-number a"])

    page.locator("#q").tap()
    page.locator("#q").press_sequentially("harbor", delay=30)
    expect(page.locator("#result-count")).to_contain_text("1 order")
    # On a phone the whole card opens the order: a tap on the company name will do.
    if phone:
        company = harbor.locator("td.c-company").bounding_box()
        page.touchscreen.tap(company["x"] + company["width"] / 2, company["y"] + company["height"] / 2)
    else:
        harbor.locator("td.c-number a").tap()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))

    # Order: status and total first, then items, customer, shipping, history.
    expect(page.locator(".status-total")).to_be_visible()
    tops = [page.locator(s).bounding_box()["y"] for s in
            ("#status-actions", ".items-card", "#customer-panel", "#shipping-panel", "#history")]
    assert tops == sorted(tops), tops
    check_page(page, size, "order", artifacts_dir, ["a[aria-label='Edit shipping']", "a[aria-label='Edit customer']",
                                                      ".confirmation-actions__buttons .button", ".crumbs a"])

    page.locator("a[aria-label='Edit shipping']").tap()
    expect(page.locator("#method")).to_be_focused()
    expect(page.locator("#total")).to_have_attribute("inputmode", "decimal")
    assert_no_keyboard_hints(page)  # no "Esc cancels" without a keyboard
    page.fill("#method", "Courier")
    page.fill("#total", "12.50")
    check_page(page, size, "order-edit-shipping", artifacts_dir, ["#shipping-panel button[type=submit]", "#shipping-cancel", "#total", "#city"])
    page.locator("#shipping-panel button[type=submit]").tap()
    expect(page.locator("#shipping-cost")).to_have_text("$12.50")
    expect(page.locator("#status-order-total")).to_have_text(page.locator("#order-total").inner_text())
    expect(page.locator("#status-order-total")).to_have_text("$86.50")  # 6 × 10.00 + 2 × 7.00 + 12.50

    page.get_by_role("link", name="Email confirmation").tap()
    recipients = page.locator("input[name=recipients]")
    expect(recipients).to_have_value("buyer@harbor.example")
    expect(recipients).to_have_attribute("inputmode", "email")
    check_page(page, size, "order-email", artifacts_dir, ["input[name=recipients]", ".email-form button[type=submit]"])
    recipients.fill("buyer@harbor.example, ap@harbor.example")
    page.get_by_role("button", name="Send confirmation").tap()
    expect(page.locator(".email-result")).to_contain_text("buyer@harbor.example, ap@harbor.example")
    expect(page.locator("#history")).to_contain_text("Confirmation email queued for buyer@harbor.example")
    assert_no_sideways_scroll(page, size["width"])
    order = db_session.query(Order).filter_by(order_number=rep_orders[-1]).one()
    db_session.refresh(order)
    assert (order.shipping_method, order.shipping_total) == ("Courier", Decimal("12.50"))


@pytest.mark.parametrize("size", SIZES)
def test_a_rep_builds_and_submits_a_three_line_order_by_touch(touch_rep, size, rep_user, catalog, artifacts_dir, db_session):
    page = touch_rep(size)
    page.goto("/login")
    page.fill("#email", rep_user.email)
    page.fill("#password", PASSWORD)
    page.locator(".login button[type=submit]").tap()
    page.wait_for_url(START_PAGE)  # managers and admins start on the dashboard
    page.locator(".topbar nav a", has_text="New order").tap()
    page.wait_for_url("**/orders/new")

    # The total and "Create order" are in reach at the bottom of the screen from the start.
    bar = page.locator(".action-bar")
    expect(page.locator("#submit-order")).to_be_hidden()
    bar_box = page.locator("#bar-submit").bounding_box()
    assert bar_box["y"] + bar_box["height"] <= size["height"], bar_box
    expect(page.locator("#customer-lookup-hint")).to_contain_text("tap a match")
    check_page(page, size, "builder-empty", artifacts_dir, ["#customer-lookup", "#product-lookup", "#bar-submit",
                                                              "[data-discard-draft]", ".quick-add summary"])

    # Customer lookup: a full-width list of matches, chosen by a tap.
    page.locator("#customer-lookup").tap()
    page.locator("#customer-lookup").press_sequentially("harbor", delay=30)
    options = page.locator("#customer-results [role=option]")
    expect(options.first).to_be_visible()
    list_box, combo_box = page.locator("#customer-results").bounding_box(), page.locator("#customer-lookup").bounding_box()
    assert list_box["width"] >= combo_box["width"] - 1 and list_box["x"] <= combo_box["x"] + 1
    assert_tap_targets(page, ["#customer-results [role=option]"])
    snap(page, artifacts_dir / f"mobile-builder-customer-lookup-{size['width']}.png")
    options.first.tap()
    expect(page.locator("#customer-status")).to_contain_text("Directory")
    expect(page.locator("#f-priceTier")).to_have_value("Retail")
    page.locator("#f-poNumber").fill("PO-TOUCH-1")

    # Line 1 from the product lookup, then the stepper: steps of 6 from the minimum of 12.
    page.locator("#product-lookup").tap()
    page.locator("#product-lookup").press_sequentially("WID-BLU", delay=30)
    product = page.locator("#product-results [role=option]").first
    expect(product).to_contain_text("WID-BLU")
    assert_tap_targets(page, ["#product-results [role=option]"])
    snap(page, artifacts_dir / f"mobile-builder-product-lookup-{size['width']}.png")
    product.tap()
    blue = page.locator("#lines-body tr", has_text="WID-BLU")
    qty = blue.locator("[data-line-qty]")
    expect(qty).to_have_value("12")
    expect(qty).to_have_attribute("inputmode", "numeric")
    fewer, more = blue.get_by_role("button", name="Fewer WID-BLU (minus 6)"), blue.get_by_role("button", name="More WID-BLU (plus 6)")
    expect(fewer).to_be_disabled()
    more.tap()
    more.tap()
    expect(qty).to_have_value("24")
    fewer.tap()
    expect(qty).to_have_value("18")
    expect(page.locator("#total-subtotal")).to_have_text("$54.00")  # 18 × 3.00 (Retail)

    # Line 2 likewise, one by one.
    page.locator("#product-lookup").tap()
    page.locator("#product-lookup").press_sequentially("WID-RED", delay=30)
    expect(page.locator("#product-results [role=option]").first).to_contain_text("WID-RED")
    page.locator("#product-results [role=option]").first.tap()
    red = page.locator("#lines-body tr", has_text="WID-RED")
    red.get_by_role("button", name="More WID-RED (plus 1)").tap()
    red.get_by_role("button", name="More WID-RED (plus 1)").tap()
    expect(red.locator("[data-line-qty]")).to_have_value("3")

    # Line 3 pasted from the phone's clipboard.
    page.evaluate("navigator.clipboard.writeText('WID-GRN\\t4\\n')")
    if page.locator("details.quick-add[open]").count() == 0:
        page.locator("details.quick-add summary").tap()
    paste = page.get_by_role("button", name="Paste from clipboard and add")
    expect(paste).to_be_visible()
    paste.tap()
    expect(page.locator("#quick-add-status")).to_contain_text("Added 1 line")
    expect(page.locator("#lines-body tr")).to_have_count(3)

    page.locator("#f-shippingDetails-total").fill("12.50")
    expect(page.locator("#f-shippingDetails-total")).to_have_attribute("inputmode", "decimal")
    expect(page.locator("#f-tax")).to_have_attribute("inputmode", "decimal")
    expect(page.locator("#f-customer-companyEmail")).to_have_attribute("type", "email")
    settle(page)
    # 18 × 3.00 + 3 × 14.50 + 4 × 9.00 = 133.50; + 12.50
    expect(page.locator("#total-total")).to_have_text("$146.00")
    expect(page.locator("#bar-total")).to_have_text("$146.00")
    expect(page.locator("#bar-lines")).to_have_text("3 lines")
    if size is PHONE:
        expect(page.locator("#lines-body tr").first).to_have_css("display", "grid")  # cards, not table rows
    check_page(page, size, "builder-lines", artifacts_dir, ["[data-step-qty]", "[data-remove-line]", "[data-line-qty]",
                                                              "#lines-body input.price", "#bar-submit", "#quick-add-button"])
    page.locator("body").evaluate("() => window.scrollTo(0, 0)")
    bar_box = bar.bounding_box()
    assert bar_box["y"] + bar_box["height"] <= size["height"] + 1, bar_box

    page.locator("#bar-submit").tap()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    order = db_session.query(Order).filter_by(id=page.url.rsplit("/", 1)[1]).one()
    assert [(i.sku, i.quantity) for i in sorted(order.items, key=lambda i: i.line_no)] == [
        ("WID-BLU", 18), ("WID-RED", 3), ("WID-GRN", 4)]
    assert (order.po_number, order.order_total) == ("PO-TOUCH-1", Decimal("146.00"))
    assert_no_sideways_scroll(page, size["width"])


@pytest.fixture()
def admin_with_mail(db_session, catalog, actor):
    """An admin, and an order whose confirmation waits in the outbox."""
    from app.mail.service import send_confirmation

    admin = accounts.create_user(db_session, catalog, email="admin@acme.example", password=PASSWORD, role="admin")
    draft = svc.Draft(customer_number="C-100", company_name="Harbor Industrial", po_number="PO-OUT", order_type="Direct",
                      price_tier="Wholesale", currency_code="USD", primary_rep="REP-1",
                      lines=[svc.DraftLine("a", "WID-RED", quantity="2", price="10.00")])
    order_id = create_order(db_session, actor, svc.draft_payload(draft, actor)).id
    db_session.commit()
    send_confirmation(db_session, actor, order_id, ["buyer@harbor.example"])
    return admin, order_id


def _an_invoice(db_session, actor) -> str:
    """A shipped order with an issued invoice (its print view and email page)."""
    from app.services.invoices import issue_invoice
    from app.services.orders import change_status

    draft = svc.Draft(customer_number="C-101", company_name="Harbor Industrial", po_number="PO-INV", order_type="Direct",
                      price_tier="Wholesale", currency_code="USD", primary_rep="REP-1",
                      lines=[svc.DraftLine("a", "WID-RED", quantity="2", price="10.00")])
    order_id = create_order(db_session, actor, svc.draft_payload(draft, actor)).id
    for status in ("Processing", "Shipped"):
        change_status(db_session, actor, order_id, status)
    return issue_invoice(db_session, actor, order_id).id


@pytest.mark.parametrize("size", SIZES)
def test_the_outbox_settings_print_view_and_api_docs_fit_a_touch_screen(touch_rep, size, admin_with_mail, artifacts_dir):
    admin, order_id = admin_with_mail
    page = touch_rep(size)
    page.goto("/login")
    page.fill("#email", admin.email)
    page.fill("#password", PASSWORD)
    page.locator(".login button[type=submit]").tap()
    page.wait_for_url(START_PAGE)  # managers and admins start on the dashboard

    page.locator(".topbar nav a", has_text="Outbox").tap()
    expect(page.get_by_role("heading", name="Outbox")).to_be_visible()
    check_page(page, size, "outbox", artifacts_dir, [".outbox-filters a", ".outbox-table td > a"])
    page.locator(".outbox-table td > a").first.tap()
    expect(page.get_by_role("heading", name=re.compile("Order confirmation|ORD-"))).to_be_visible()
    check_page(page, size, "outbox-email", artifacts_dir, [".mail-page > p > a"])

    page.locator(".topbar nav a", has_text="Settings").tap()
    expect(page.get_by_role("heading", name="Organization")).to_be_visible()
    check_page(page, size, "settings", artifacts_dir, [".admin-nav a", "#f-brand_display_name"])
    page.locator(".admin-nav a", has_text="Email template").tap()
    expect(page.get_by_role("heading", name="Confirmation email template")).to_be_visible()
    check_page(page, size, "email-template", artifacts_dir, ["#template-order", "#template-subject", ".template-actions button"])

    page.goto(f"/orders/{order_id}/print")
    check_page(page, size, "print-view", artifacts_dir, [".print-toolbar a", ".print-toolbar button"])

    page.goto("/api/docs")
    check_page(page, size, "api-docs", artifacts_dir, [".toc a"])

    page.goto(f"/orders/{order_id}")
    page.locator(".topbar nav a", has_text="Products").tap()
    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    check_page(page, size, "products", artifacts_dir, ["#q", "td > a"])
    page.locator(".product-new summary").tap()
    expect(page.get_by_label("SKU")).to_be_visible()
    check_page(page, size, "product-new", artifacts_dir, ["#sku", ".product-new .price-grid input",
                                                          ".product-new button[type=submit]"])
    page.locator("td > a", has_text="WID-RED").tap()
    expect(page.get_by_role("heading", name="Widget Red")).to_be_visible()
    check_page(page, size, "product", artifacts_dir, [".price-grid input", ".product-form button[type=submit]"])
    page.locator(".topbar nav a", has_text="Customers").tap()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    check_page(page, size, "customers", artifacts_dir, ["#q", "td.stack-title > a"])
    page.locator("td.stack-title > a", has_text="Harbor Industrial").tap()
    expect(page.get_by_role("heading", name="Harbor Industrial")).to_be_visible()
    check_page(page, size, "customer", artifacts_dir, [".page-head .button", ".customer-edit summary"])


def rep_orders_ids(session) -> list[str]:
    return list(session.scalars(select(Order.id).order_by(Order.order_number)))


def _a_finished_bulk_job(session, admin, order_ids: list[str]) -> str:
    """A bulk status change run to its end (its result page is one of the swept pages)."""
    from app.extensions import db
    from app.services import bulk

    manager = Actor(organization_id=admin.organization_id, name=admin.display_name, role="admin", user_id=admin.id)
    job = bulk.start(session, manager, "status", key="width-sweep-bulk", order_ids=order_ids, target="Shipped")
    jobs.run_claimed(session, db.engine, jobs.claim_next(session, "sweep"))
    return job.id


def test_no_page_scrolls_sideways_at_any_width_from_360(touch_rep, admin_with_mail, rep_orders, artifacts_dir,
                                                        db_session, actor):
    admin, order_id = admin_with_mail
    bulk_job_id = _a_finished_bulk_job(db_session, admin, [order_id, rep_orders_ids(db_session)[0]])
    job_id = jobs.enqueue(db_session, Actor(organization_id=admin.organization_id, name=admin.display_name,
                                            role="admin"), "test.steps", {"steps": 100}, total=100).id
    invoice_id = _an_invoice(db_session, actor)
    admin_actor = Actor(organization_id=admin.organization_id, name=admin.display_name, role="admin", user_id=admin.id)
    checked = imports.store_upload(db_session, admin_actor, "customers", "a-long-customer-file-name-2026.csv", io.BytesIO(
        b"customerNumber,companyName,companyEmail\nC-1,A company with a rather long name Incorporated,x\nC-2,B,\n"))
    imports.run_phase(db_session, admin_actor, checked, imports.CHECK, progress=lambda done, total: db_session.commit())
    checked.state = "checked"
    db_session.commit()
    page = touch_rep({"width": 360, "height": 740})
    page.goto("/login")
    page.fill("#email", admin.email)
    page.fill("#password", PASSWORD)
    page.locator(".login button[type=submit]").tap()
    page.wait_for_url(START_PAGE)  # managers and admins start on the dashboard
    pages = ["/orders", "/orders?status=Pending&sort=companyName&dir=asc", f"/orders/{order_id}",
             f"/orders/{order_id}/shipping/edit", f"/orders/{order_id}/customer/edit", f"/orders/{order_id}/email",
             f"/orders/{order_id}/print", "/orders/new", "/outbox", "/settings/email-template", "/api/docs",
             "/settings/organization", "/settings/lists", "/settings/branding", "/settings/users",
             "/settings/tokens", "/settings/audit", "/profile/password", f"/jobs/{job_id}", f"/jobs/{bulk_job_id}",
             "/orders?cols=orderTotal,orderNumber,companyName", f"/invoices/{invoice_id}",
             f"/invoices/{invoice_id}/email", "/dashboard", "/dashboard/reps", "/attention", "/settings/review",
             "/imports", f"/imports/{checked.id}",
             "/products", "/products/WID-BLU", "/customers", "/customers/C-100"]
    for width in (360, 414, 600, 768, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        for path in pages:
            page.goto(path)
            assert_no_sideways_scroll(page, width)
        page.goto("/products")
        page.locator(".product-new summary").tap()  # the new product form, open
        expect(page.get_by_label("SKU")).to_be_visible()
        assert_no_sideways_scroll(page, width)
        # The builder with a line, its quantity error and an open lookup.
        page.goto("/orders/new")
        page.locator("#product-lookup").fill("WID-BLU")
        page.locator("#product-results [role=option]").first.tap()
        page.locator("#lines-body [data-line-qty]").fill("5")
        expect(page.locator(".qty-msg .field-error")).to_be_visible()
        page.locator("#product-lookup").fill("wid")
        expect(page.locator("#product-results [role=option]").first).to_be_visible()
        assert_no_sideways_scroll(page, width)
        if width == 360:
            snap(page, artifacts_dir / "mobile-builder-error-360.png")
        # Discard the draft (it reloads the builder) before the next width: leaving a
        # changed draft would otherwise ask first.
        page.evaluate("window.confirm = () => true")
        with page.expect_navigation(url="**/orders/new"):
            page.locator("[data-discard-draft]").tap()
        expect(page.locator("#lines-body tr")).to_have_count(0)


# --------------------------------------------------------------------------- desktop keeps what it had


def test_the_desktop_keeps_its_table_filters_keyboard_hints_and_steppers(open_page, rep_user, rep_orders, artifacts_dir):
    page = open_page(rep_user.email, PASSWORD)
    expect(page.locator("table.orders thead th")).to_have_count(9)
    expect(page.locator("table.orders tbody tr").first).to_have_css("display", "table-row")
    expect(page.locator("#status")).to_be_visible()
    expect(page.locator("[data-filters-toggle]")).to_be_hidden()
    expect(page.locator("#q-hint")).to_have_text("Press / to search from anywhere on this page.", use_inner_text=True)
    assert page.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [1366, 1366]
    page.screenshot(path=str(artifacts_dir / "desktop-orders.png"), full_page=True)

    page.locator("td.c-number a").first.click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(page.locator(".status-total")).to_be_hidden()
    items, customer = page.locator(".items-card").bounding_box(), page.locator("#customer-panel").bounding_box()
    assert customer["x"] > items["x"] + items["width"]  # two columns, as before
    page.screenshot(path=str(artifacts_dir / "desktop-order.png"), full_page=True)

    page.goto("/orders/new")
    expect(page.locator("#submit-order kbd").first).to_be_visible()
    expect(page.locator("#customer-lookup-hint kbd").first).to_be_visible()
    expect(page.locator(".action-bar")).to_be_hidden()
    expect(page.locator("#quick-add-paste")).to_be_hidden()
    page.keyboard.press("Alt+l")
    page.keyboard.type("WID-BLU")
    expect(page.locator("#product-results [role=option].active")).to_contain_text("WID-BLU")
    page.keyboard.press("Enter")
    qty = page.locator("#lines-body [data-line-qty]")
    expect(qty).to_be_focused()
    # Arrow keys step like the buttons: by the increment, never below the minimum.
    page.keyboard.press("ArrowUp")
    expect(qty).to_have_value("18")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(qty).to_have_value("12")
    expect(page.locator("#total-subtotal")).to_have_text("$25.50")  # 12 × 2.125 (Wholesale)
    # The steppers stay out of the Tab order: Tab goes from the quantity to the price.
    page.keyboard.press("Tab")
    expect(page.locator("#lines-body input.price")).to_be_focused()
    page.screenshot(path=str(artifacts_dir / "desktop-builder.png"), full_page=True)
