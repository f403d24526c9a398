"""The progress bar of background work in Chromium: it moves by itself, survives a
reload, stops polling when the job is done, and passes axe."""

from __future__ import annotations

import re

import pytest

from app.services import jobs
from app.services.context import Actor
from tests.browser.conftest import axe_violations
from tests.ops import jobkinds  # noqa: F401  (registers test.steps)
from tests.web.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_the_bar_moves_survives_a_reload_and_ends_with_the_result(open_page, db_session, org, worker):
    user = make_user(db_session, org, "manager", "boss@acme.example")
    actor = Actor(organization_id=org.id, name=user.display_name, role="manager", user_id=user.id)
    job = jobs.enqueue(db_session, actor, "test.steps", {"steps": 30, "delay": 0.1}, total=30)

    page = open_page("boss@acme.example", PASSWORD, bypass_csp=True)
    page.goto(f"/jobs/{job.id}")
    figures = page.locator(".job-progress-figures")
    figures.filter(has_text=re.compile(r"[1-9]\d* of 30 done")).wait_for(timeout=10_000)
    assert axe_violations(page) == []

    page.reload()  # the work goes on, and the page picks it up where it stands
    page.locator(".job-progress-title", has_text="Done").wait_for(timeout=20_000)
    assert "30 of 30 done (100%)" in page.locator(".job-progress").inner_text()
    assert page.locator("progress").get_attribute("value") == "30"
    assert page.locator("[hx-trigger]").count() == 0
    assert axe_violations(page) == []
