"""flask --app app jobs list|retry: an operator sees failed jobs and queues them again."""

from __future__ import annotations

from datetime import timedelta

from app.services import jobs
from tests.ops import jobkinds  # noqa: F401

LEASE = timedelta(seconds=30)


def test_an_operator_lists_a_failed_job_and_queues_it_again(app, db_session, actor):
    from app.extensions import db

    failed = jobs.enqueue(db_session, actor, "test.fails", max_attempts=1)
    jobs.run_claimed(db_session, db.engine, jobs.claim_next(db_session, "w", LEASE))
    jobs.enqueue(db_session, actor, "test.steps", {"steps": 1})
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list", "--state", "failed"])
    assert listed.exit_code == 0
    [line] = listed.output.splitlines()
    assert failed.id in line and "test.fails" in line and "failing on purpose (attempt 1)" in line
    retried = runner.invoke(args=["jobs", "retry", failed.id])
    assert retried.exit_code == 0 and "is queued" in retried.output
    state = jobs.get_job(db_session, actor, failed.id)
    assert state.state == "queued" and state.attempts == 0
    again = runner.invoke(args=["jobs", "retry", failed.id])
    assert again.exit_code == 1 and "only a failed or cancelled job can be retried" in again.output
    assert runner.invoke(args=["jobs", "retry", "no-such-job"]).exit_code == 1
