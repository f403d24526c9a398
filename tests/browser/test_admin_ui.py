"""The admin pages in Chromium: a shipping method added in settings appears in the
builder; a retired channel leaves old orders as they were and stays findable; a token
revoked in the page fails its next call; a rep deactivated while signed in elsewhere is
signed out; and axe finds nothing on any admin page."""

from __future__ import annotations

import copy
import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from app.services import accounts
from app.services.orders import import_orders
from tests.browser.conftest import axe_violations
from tests.seed_examples import BULK
from tests.web.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def data(db_session, org, actor):
    make_user(db_session, org, "admin", "ada@acme.example")
    make_user(db_session, org, "rep", "rep@acme.example", rep_number="REP-1")
    orders = []
    for n in range(3):
        o = copy.deepcopy(BULK["orders"][1])
        o.update(externalId=f"ADM-{n}", orderNumber=f"ADM-{n:05d}", channel="EDI",
                 primarySalesRep={"repNumber": "REP-1"})
        orders.append(o)
    slots = import_orders(db_session, actor, orders)
    return [s.result.id for s in slots]


def _api_status(base: str, secret: str) -> int:
    request = urllib.request.Request(f"{base}/api/orders", headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def test_a_shipping_method_added_in_settings_is_offered_in_the_builder(open_page, data):
    page = open_page("ada@acme.example", PASSWORD)
    page.goto("/settings/lists")
    page.fill("#add-shippingMethod", "DHL Express")
    page.locator("#list-shippingMethod").get_by_role("button", name="Add shipping method").click()
    expect(page.locator("#list-shippingMethod")).to_contain_text("Shipping method “DHL Express” added.")
    page.goto("/orders/new")
    expect(page.locator('#shipping-methods option[value="DHL Express"]')).to_have_count(1)


def test_a_retired_channel_stays_on_old_orders_and_in_the_filter(open_page, data):
    page = open_page("ada@acme.example", PASSWORD)
    page.goto("/settings/lists")
    row = page.locator("#list-channel tr", has_text="EDI")
    expect(row).to_contain_text("3")
    row.get_by_role("button", name="Retire EDI").click()
    expect(page.locator("#list-channel")).to_contain_text("retired: it stays on existing orders")
    expect(page.locator("#list-channel tr", has_text="EDI")).to_contain_text("Retired")
    page.goto(f"/orders/{data[0]}")
    expect(page.locator("main")).to_contain_text("EDI")
    page.goto("/orders")
    page.select_option("select[name=channel]", "EDI")
    expect(page.locator("#result-count")).to_contain_text("3 orders")
    page.goto("/orders/new")
    expect(page.locator("select[name=channel] option[value=EDI]")).to_have_count(0)


def test_a_token_revoked_in_the_page_fails_its_next_call(open_page, data, live_server):
    page = open_page("ada@acme.example", PASSWORD)
    page.goto("/settings/tokens")
    page.fill("#f-name", "Nightly ERP sync")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-secret").input_value()
    assert secret.startswith("odk_")
    assert _api_status(live_server, secret) == 200
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Nightly ERP sync").click()
    expect(page.locator("#tokens")).to_contain_text("is revoked")
    assert _api_status(live_server, secret) == 401


def test_a_rep_deactivated_while_signed_in_elsewhere_is_signed_out(open_page, data):
    rep = open_page("rep@acme.example", PASSWORD)
    expect(rep.locator("#result-count")).to_contain_text("3 orders")
    admin = open_page("ada@acme.example", PASSWORD)
    admin.goto("/settings/users")
    admin.locator("tr", has_text="rep@acme.example").get_by_role("button", name=re.compile("Deactivate")).click()
    expect(admin.locator("#users")).to_contain_text("Deactivated and signed out everywhere")
    rep.goto("/orders")
    expect(rep).to_have_url(re.compile(r".*/login.*"))
    rep.fill("#email", "rep@acme.example")
    rep.fill("#password", PASSWORD)
    rep.click("button[type=submit]")
    expect(rep.locator("#login-error")).to_contain_text("do not match")


def test_the_last_admin_is_told_why_they_cannot_leave(open_page, data):
    page = open_page("ada@acme.example", PASSWORD)
    page.goto("/settings/users")
    page.locator("tr", has_text="ada@acme.example").get_by_role("button", name=re.compile("Deactivate")).click()
    expect(page.locator("#users")).to_contain_text("last active admin")


def test_the_accent_colour_check_and_preview_follow_the_picker(open_page, data):
    page = open_page("ada@acme.example", PASSWORD)
    page.goto("/settings/branding")
    before = page.locator("#pdf-preview").get_attribute("src")
    page.locator("#f-accent").evaluate(
        "el => { el.value = '#ffee00'; el.dispatchEvent(new Event('input', {bubbles: true}));"
        " el.dispatchEvent(new Event('change', {bubbles: true})); }")
    expect(page.locator("#contrast")).to_contain_text("below the 4.5:1")
    expect(page.locator("#pdf-preview")).not_to_have_attribute("src", before)
    assert "ffee00" in page.locator("#pdf-preview").get_attribute("src")
    page.get_by_role("button", name="Save colour").click()
    expect(page.locator("#accent-section")).to_contain_text("Accent colour saved.")


def test_admin_pages_pass_axe(open_page, data, db_session, org):
    accounts.create_token(db_session, org, "Existing")
    db_session.commit()
    page = open_page("ada@acme.example", PASSWORD, bypass_csp=True)
    for path in ("/settings/organization", "/settings/lists", "/settings/branding", "/settings/users",
                 "/settings/tokens", "/settings/audit", "/profile/password"):
        page.goto(path)
        assert axe_violations(page) == [], (path, json.dumps(axe_violations(page))[:2000])
