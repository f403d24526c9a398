"""Playwright on Debian's Chromium: one browser per session, pages signed in through
the real sign-in form, and an axe-core check (WCAG 2 A and AA)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Where sign-in lands: reps on their orders, managers and admins on the dashboard.
START_PAGE = re.compile(r"/(orders|dashboard)$")
AXE = Path(__file__).resolve().parent.parent / "builder" / "vendor" / "axe.min.js"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One browser per test module (the sync API allows one Playwright at a time, and
    other modules start their own)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def open_page(chromium, live_server) -> Iterator[Callable[..., Page]]:
    """``open_page(email=None, password=None, bypass_csp=False, viewport=None, touch=False)``:
    a new tab (1366 × 900 with a mouse unless told otherwise; ``touch`` emulates a phone or
    tablet: touch events, coarse pointer, mobile viewport), signed in through /login when
    an email is given. Page errors fail the test."""
    contexts = []
    errors: list[str] = []

    def make(email: str | None = None, password: str | None = None, bypass_csp: bool = False,
             viewport: dict[str, int] | None = None, touch: bool = False) -> Page:
        context = chromium.new_context(viewport=viewport or {"width": 1366, "height": 900}, base_url=live_server,
                                       bypass_csp=bypass_csp, has_touch=touch, is_mobile=touch)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(8000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if email:
            page.goto("/login")
            page.fill("#email", email)
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_url(START_PAGE)  # managers and admins start on the dashboard
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], errors


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2 A/AA violations on the current page (needs a bypass_csp page)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "o => axe.run(document, o)", {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]
