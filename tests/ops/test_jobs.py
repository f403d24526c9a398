"""The jobs table and its claiming, through the service functions (in one process)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Job, OutboxEmail, utcnow
from app.domain.errors import NotFound
from app.services import accounts, jobs
from app.services.context import Actor
from tests.ops import jobkinds  # noqa: F401  (registers test.steps and test.fails)

LEASE = timedelta(seconds=30)


def test_a_repeated_idempotency_key_returns_the_queued_job_instead_of_a_second(db_session, actor):
    first = jobs.enqueue(db_session, actor, "test.steps", {"steps": 2}, idempotency_key="bulk-42", total=2)
    again = jobs.enqueue(db_session, actor, "test.steps", {"steps": 9}, idempotency_key="bulk-42")
    other = jobs.enqueue(db_session, actor, "test.steps", {"steps": 1}, idempotency_key="bulk-43")
    assert again.id == first.id and again.progress_total == 2
    assert other.id != first.id
    assert db_session.scalar(select(Job.params).where(Job.id == first.id)) == {"steps": 2}
    assert len(db_session.scalars(select(Job)).all()) == 2


def test_the_same_key_in_another_organization_is_another_job(db_session, actor):
    other_org = accounts.create_organization(db_session, "Other Co", tiers=["Retail"])
    db_session.commit()
    theirs = Actor(organization_id=other_org.id, name="Them")
    mine = jobs.enqueue(db_session, actor, "test.steps", {"steps": 1}, idempotency_key="same")
    their_job = jobs.enqueue(db_session, theirs, "test.steps", {"steps": 1}, idempotency_key="same")
    assert mine.id != their_job.id
    with pytest.raises(NotFound):
        jobs.get_job(db_session, theirs, mine.id)


def test_an_unregistered_kind_cannot_be_enqueued(db_session, actor):
    with pytest.raises(ValueError):
        jobs.enqueue(db_session, actor, "no.such.kind")


def test_a_claimed_job_runs_to_success_with_its_progress_and_result(app, db_session, actor):
    from app.extensions import db

    job = jobs.enqueue(db_session, actor, "test.steps", {"steps": 3})
    claimed = jobs.claim_next(db_session, "worker-a", LEASE)
    assert claimed is not None and claimed.id == job.id and claimed.attempts == 1
    assert jobs.get_job(db_session, actor, job.id).state == jobs.RUNNING
    assert jobs.claim_next(db_session, "worker-b", LEASE) is None
    assert jobs.run_claimed(db_session, db.engine, claimed) == jobs.SUCCEEDED
    state = jobs.get_job(db_session, actor, job.id)
    assert (state.state, state.progress_done, state.progress_total, state.percent) == ("succeeded", 3, 3, 100)
    assert state.result == {"steps": 3, "finished_on_attempt": 1}
    assert state.created_by == actor.name and state.started_at and state.finished_at
    assert len(db_session.scalars(select(OutboxEmail)).all()) == 3


def test_a_failing_job_is_retried_later_then_fails_for_good(app, db_session, actor):
    from app.extensions import db

    job = jobs.enqueue(db_session, actor, "test.fails", max_attempts=2)
    first = jobs.claim_next(db_session, "w", LEASE)
    assert jobs.run_claimed(db_session, db.engine, first) == jobs.QUEUED
    state = jobs.get_job(db_session, actor, job.id)
    assert state.state == "queued" and "failing on purpose (attempt 1)" in state.error
    assert jobs.claim_next(db_session, "w", LEASE) is None  # not before its retry time
    second = jobs.claim_next(db_session, "w", LEASE, now=utcnow() + jobs.retry_delay(1) + timedelta(seconds=1))
    assert second.attempts == 2
    assert jobs.run_claimed(db_session, db.engine, second) == jobs.FAILED
    assert jobs.get_job(db_session, actor, job.id).state == "failed"


def test_a_queued_job_is_cancelled_at_once_and_a_running_one_at_its_next_progress(app, db_session, actor):
    from app.extensions import db

    queued = jobs.enqueue(db_session, actor, "test.steps", {"steps": 1})
    assert jobs.cancel_job(db_session, actor, queued.id).state == "cancelled"
    running = jobs.enqueue(db_session, actor, "test.steps", {"steps": 5})
    claimed = jobs.claim_next(db_session, "w", LEASE)
    assert claimed.id == running.id
    jobs.cancel_job(db_session, actor, running.id)
    assert jobs.run_claimed(db_session, db.engine, claimed) == jobs.CANCELLED
    state = jobs.get_job(db_session, actor, running.id)
    assert state.state == "cancelled" and state.progress_done == 1  # the step in hand was committed


def test_a_lapsed_lease_lets_another_worker_resume_and_fences_off_the_first(app, db_session, actor):
    """Worker A claims and commits one step, then goes silent (as if killed): after the
    lease lapses worker B claims the job, resumes after A's step, and A can no longer
    commit anything."""
    from app.extensions import db

    job = jobs.enqueue(db_session, actor, "test.steps", {"steps": 3})
    a = jobs.claim_next(db_session, "worker-a", LEASE)
    with Session(db.engine) as a_session:
        ctx_a = jobs.JobContext(a_session, a)
        a_session.add(OutboxEmail(organization_id=actor.organization_id, recipients=["x@example.com"],
                                  subject=f"job {job.id} step 0", html_body="", text_body="0", status="queued",
                                  attempts=0, next_attempt_at=utcnow(), created_at=utcnow()))
        ctx_a.progress(1, 3)
        assert jobs.claim_next(db_session, "worker-b", LEASE) is None  # A still holds it
        later = utcnow() + LEASE + timedelta(seconds=1)
        b = jobs.claim_next(db_session, "worker-b", LEASE, now=later)
        assert b is not None and b.id == job.id and b.attempts == 2 and b.progress_done == 1
        a_session.add(OutboxEmail(organization_id=actor.organization_id, recipients=["x@example.com"],
                                  subject="written by A after losing the job", html_body="", text_body="",
                                  status="queued", attempts=0, next_attempt_at=utcnow(), created_at=utcnow()))
        with pytest.raises(jobs.LeaseLost):
            ctx_a.progress(2, 3)
        assert jobs._finish(a_session, a, jobs.SUCCEEDED, result={}) == "lost"
    assert jobs.run_claimed(db_session, db.engine, b) == jobs.SUCCEEDED
    db_session.expire_all()
    subjects = Counter(db_session.scalars(select(OutboxEmail.subject)))
    assert subjects == Counter({f"job {job.id} step {n}": 1 for n in range(3)})
    assert jobs.get_job(db_session, actor, job.id).result == {"steps": 3, "finished_on_attempt": 2}


def test_a_job_whose_workers_keep_dying_fails_after_its_attempts(app, db_session, actor):
    from app.extensions import db

    job = jobs.enqueue(db_session, actor, "test.steps", {"steps": 1}, max_attempts=2)
    now = utcnow()
    for n in range(2):
        assert jobs.claim_next(db_session, f"dies-{n}", LEASE, now=now + (LEASE + timedelta(seconds=1)) * n)
    third = jobs.claim_next(db_session, "survivor", LEASE, now=now + (LEASE + timedelta(seconds=1)) * 2)
    assert jobs.run_claimed(db_session, db.engine, third) == jobs.FAILED
    assert "gave up after 2 attempts" in jobs.get_job(db_session, actor, job.id).error


def test_concurrent_claimers_take_each_job_exactly_once(app, db_session, actor):
    from app.extensions import db

    ids = {jobs.enqueue(db_session, actor, "test.steps", {"steps": 0}).id for _ in range(12)}
    claimed: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(3)
    engine = db.engine

    def claimer(name: str) -> None:
        with Session(engine) as session:
            try:
                barrier.wait()
                while (job := jobs.claim_next(session, name, LEASE)) is not None:
                    with lock:
                        claimed.append(job.id)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(claimed) == sorted(ids)
