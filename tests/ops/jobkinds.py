"""Job kinds that exist only in the tests: registered when this module is imported
(by the tests, and by worker processes started with ``--app tests.ops.jobkinds``)."""

from __future__ import annotations

import time

from app import create_app as _create_app
from app.db.models import OutboxEmail, utcnow
from app.services import jobs


@jobs.handler("test.steps")
def queue_one_email_per_step(ctx: jobs.JobContext) -> dict:
    """Step i queues one email and records progress i+1 in the same commit; a resumed
    job starts after its last committed step."""
    steps = int(ctx.params["steps"])
    delay = float(ctx.params.get("delay", 0))
    for step in range(ctx.done, steps):
        time.sleep(delay)
        ctx.session.add(OutboxEmail(
            organization_id=ctx.organization_id, recipients=[f"step{step}@example.com"],
            subject=f"job {ctx.job_id} step {step}", html_body="", text_body=str(step), status="queued",
            attempts=0, next_attempt_at=utcnow(), created_at=utcnow(), created_by=f"attempt {ctx.attempt}",
        ))
        ctx.progress(step + 1, steps)
    return {"steps": steps, "finished_on_attempt": ctx.attempt}


@jobs.handler("test.fails")
def always_fail(ctx: jobs.JobContext) -> dict:
    raise RuntimeError(f"failing on purpose (attempt {ctx.attempt})")


def create_app():
    return _create_app()
