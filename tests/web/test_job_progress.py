"""The progress of background work, as a page and as the fragment it polls."""

from __future__ import annotations

import time
from datetime import timedelta

from app.db.models import utcnow
from app.services import jobs
from app.services.context import Actor
from app.web.jobs import Pace, duration_words
from tests.ops import jobkinds  # noqa: F401  (registers test.steps)
from tests.web.helpers import login, make_user


def _signed_in(app, db_session, org, role: str, email: str):
    user = make_user(db_session, org, role, email, rep_number="R-1" if role == "rep" else None)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client, Actor(organization_id=org.id, name=user.display_name, role=role, user_id=user.id)


def test_a_queued_job_shows_a_bar_that_polls_and_a_finished_one_stops_the_polling(app, db_session, org, worker):
    client, actor = _signed_in(app, db_session, org, "manager", "boss@acme.example")
    job = jobs.enqueue(db_session, actor, "test.steps", {"steps": 3, "delay": 0.05}, total=3)

    page = client.get(f"/jobs/{job.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Background work" in html and f'hx-get="/jobs/{job.id}/progress"' in html
    assert 'hx-trigger="every 1s"' in html

    deadline = time.monotonic() + 20
    while True:
        fragment = client.get(f"/jobs/{job.id}/progress", headers={"HX-Request": "true"})
        if fragment.status_code == 286 or time.monotonic() > deadline:
            break
        assert fragment.status_code == 200
        time.sleep(0.05)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 286, html
    assert "Done" in html and "3</strong> of 3 done (100%)" in html
    assert "hx-trigger" not in html  # nothing polls a finished job
    assert "<dt>steps</dt><dd>3</dd>" in html  # the generic result summary


def test_reps_see_only_their_own_jobs_and_other_organizations_none(app, db_session, org):
    from app.services import accounts

    manager, boss = _signed_in(app, db_session, org, "manager", "boss@acme.example")
    rep, rep_actor = _signed_in(app, db_session, org, "rep", "rep@acme.example")
    theirs = jobs.enqueue(db_session, boss, "test.steps", {"steps": 1})
    mine = jobs.enqueue(db_session, rep_actor, "test.steps", {"steps": 1})
    assert rep.get(f"/jobs/{mine.id}").status_code == 200
    assert rep.get(f"/jobs/{theirs.id}").status_code == 404
    assert manager.get(f"/jobs/{mine.id}").status_code == 200

    other = accounts.create_organization(db_session, "Other Co", tiers=["Retail"])
    db_session.commit()
    foreign, _ = _signed_in(app, db_session, other, "admin", "admin@other.example")
    assert foreign.get(f"/jobs/{mine.id}").status_code == 404
    assert foreign.get(f"/jobs/{mine.id}/progress").status_code == 404


def test_pace_is_the_rate_so_far_and_the_time_left_at_that_rate():
    started = utcnow() - timedelta(seconds=10)
    state = jobs.JobState("j", "o", "k", "running", 500, 2000, None, None, 1, "x", started, started, None)
    pace = Pace.of(state, now=started + timedelta(seconds=10))
    assert round(pace.rate) == 50 and pace.seconds_left == 30
    assert Pace.of(state, now=started).rate is None  # no time has passed yet
    queued = jobs.JobState("j", "o", "k", "queued", 0, 10, None, None, 0, "x", started, None, None)
    assert Pace.of(queued) == Pace(None, None)
    assert duration_words(30) == "30 s" and duration_words(95) == "1 min 35 s" and duration_words(3725) == "1 h 02 min"
