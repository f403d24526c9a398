"""The confirmation pages in Chromium: the email form sends in place through htmx, the
template editor previews as you type and explains a refused template, and the pages
have no axe WCAG 2 A/AA violations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.mail.conftest import make_order, make_user, sign_in

pytestmark = pytest.mark.browser
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).resolve().parent.parent / "builder" / "vendor" / "axe.min.js"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def admin_page(app, chromium, live_server, db_session, org) -> Iterator[Page]:
    client = app.test_client()
    sign_in(client, make_user(db_session, org, "admin", "admin@acme.example"))
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    # axe is injected as an inline script, which the site's CSP (rightly) refuses.
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server, bypass_csp=True)
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server}])
    page = context.new_page()
    page.set_default_timeout(8000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors


def axe_violations(page: Page) -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("o => axe.run(document, o)",
                           {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def test_email_form_sends_in_place_and_shows_the_result(admin_page, db_session, actor, smtp_server):
    order = make_order(db_session, actor)
    admin_page.goto(f"/orders/{order.id}/email")
    field = admin_page.get_by_label(f"Send the confirmation of {order.order_number} to")
    expect(field).to_have_value("orders@brightfield.example")
    assert axe_violations(admin_page) == []
    field.fill("buyer@example.com, nope")
    admin_page.get_by_role("button", name="Send confirmation").click()
    expect(admin_page.get_by_role("alert")).to_contain_text("nope is not a valid email address")
    admin_page.get_by_label(f"Send the confirmation of {order.order_number} to").fill("buyer@example.com, ap@example.com")
    with admin_page.expect_response(lambda r: r.url.endswith("/email") and r.request.method == "POST") as sent:
        admin_page.get_by_role("button", name="Send confirmation").click()
    assert sent.value.request.headers.get("hx-request") == "true"
    expect(admin_page.get_by_role("status")).to_contain_text("Confirmation sent to buyer@example.com, ap@example.com")
    assert len(smtp_server.messages) == 1


def test_template_editor_previews_as_you_type(admin_page, db_session, actor):
    order = make_order(db_session, actor)
    admin_page.goto("/settings/email-template")
    assert axe_violations(admin_page) == []
    body = admin_page.get_by_label("Message")
    body.fill("Hi {{ customer.name }}, order {{ order.number }} totals {{ order.total }}.")
    expect(admin_page.locator("#template-preview")).to_contain_text(
        f"Hi Brightfield Supply Co., order {order.order_number} totals $479.30.")
    body.fill("{{ order.__class__.__mro__ }}")
    expect(admin_page.locator("#template-preview")).to_contain_text("This template cannot be used")
    expect(admin_page.locator("#template-preview")).to_contain_text("__class__")


def test_outbox_and_print_view_pass_axe(admin_page, db_session, actor):
    from app.mail.service import send_confirmation

    order = make_order(db_session, actor)
    send_confirmation(db_session, actor, order.id, ["buyer@example.com"])
    admin_page.goto("/outbox")
    expect(admin_page.get_by_role("heading", name="Outbox")).to_be_visible()
    assert axe_violations(admin_page) == []
    admin_page.goto(f"/orders/{order.id}/print")
    expect(admin_page.get_by_role("heading", name=f"Order confirmation {order.order_number}")).to_be_visible()
    assert axe_violations(admin_page) == []
