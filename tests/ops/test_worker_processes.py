"""``flask --app app worker`` as real processes: kill -9 mid-job, SIGTERM, email delivery."""

from __future__ import annotations

import signal
from collections import Counter

from sqlalchemy import select

from app.db.models import Job, OutboxEmail, utcnow
from app.ops.worker import IdleBackoff
from app.services import jobs
from tests.ops import jobkinds  # noqa: F401  (registers the test job kinds here too)
from tests.ops.procs import base_env, wait_for

JOB_APP = "tests.ops.jobkinds:create_app"


def _job(db_session, job_id: str) -> Job:
    db_session.expire_all()
    job = db_session.scalar(select(Job).where(Job.id == job_id))
    db_session.commit()
    return job


def test_idle_backoff_doubles_up_to_its_maximum_and_resets_on_work():
    backoff = IdleBackoff(0.5, 3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.5


def test_a_worker_killed_mid_job_loses_nothing_and_another_worker_finishes_it(
        db_session, actor, database_url, procs):
    env = base_env(database_url, JOB_LEASE_SECONDS="2")
    first = procs.worker("worker-1", env, app=JOB_APP)
    second = procs.worker("worker-2", env, app=JOB_APP)
    job = jobs.enqueue(db_session, actor, "test.steps", {"steps": 8, "delay": 0.3}, idempotency_key="kill-9")
    running = wait_for(lambda: (j := _job(db_session, job.id)).progress_done >= 2 and j, timeout=60,
                       message="the job to make progress")
    owner_pid = int(running.lease_owner.rsplit(":", 1)[1])
    victim, survivor = (first, second) if owner_pid == first.pid else (second, first)
    assert owner_pid == victim.pid
    procs.kill(victim, signal.SIGKILL)
    victim.wait(timeout=10)
    done_before_kill = _job(db_session, job.id).progress_done

    finished = wait_for(lambda: (j := _job(db_session, job.id)).state in jobs.FINISHED and j, timeout=60,
                        message="another worker to finish the job")
    assert finished.state == "succeeded", finished.error
    assert finished.attempts == 2 and finished.progress_done == 8
    assert finished.result == {"steps": 8, "finished_on_attempt": 2}
    rows = db_session.execute(select(OutboxEmail.subject, OutboxEmail.created_by)).all()
    assert Counter(subject for subject, _ in rows) == Counter({f"job {job.id} step {n}": 1 for n in range(8)})
    by_step = {subject.rsplit(" ", 1)[1]: who for subject, who in rows}
    assert {by_step[str(n)] for n in range(done_before_kill)} == {"attempt 1"}
    assert by_step["7"] == "attempt 2"
    assert survivor.poll() is None


def test_sigterm_stops_the_worker_after_the_job_in_hand(db_session, actor, database_url, procs):
    worker = procs.worker("worker", base_env(database_url), app=JOB_APP)
    in_hand = jobs.enqueue(db_session, actor, "test.steps", {"steps": 4, "delay": 0.4})
    wait_for(lambda: _job(db_session, in_hand.id).state == "running", timeout=60, message="the job to start")
    later = jobs.enqueue(db_session, actor, "test.steps", {"steps": 1})
    procs.kill(worker, signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert _job(db_session, in_hand.id).state == "succeeded"
    assert _job(db_session, later.id).state == "queued"
    assert "stopping after the item in hand" in procs.log(worker)


def test_workers_deliver_due_emails_once_each_and_record_who_claimed_them(
        db_session, org, database_url, procs, smtp_inbox):
    inbox, port = smtp_inbox
    emails = [OutboxEmail(organization_id=org.id, recipients=[f"r{n}@example.com"], subject=f"Message {n}",
                          html_body=f"<p>{n}</p>", text_body=str(n), status="queued", attempts=0,
                          next_attempt_at=utcnow(), created_at=utcnow()) for n in range(12)]
    db_session.add_all(emails)
    db_session.commit()
    env = base_env(database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    workers = [procs.worker(f"mailer-{n}", env, extra=["--email-batch", "2"]) for n in range(2)]

    def all_sent() -> bool:
        db_session.expire_all()
        statuses = set(db_session.scalars(select(OutboxEmail.status)))
        db_session.commit()
        return statuses == {"sent"}

    wait_for(all_sent, timeout=60, message="every email to be sent")
    assert sorted(Counter(m["Subject"] for m in inbox.messages).values()) == [1] * 12
    pids = {int(owner.rsplit(":", 1)[1]) for owner in db_session.scalars(select(OutboxEmail.claimed_by))}
    assert pids <= {w.pid for w in workers}
