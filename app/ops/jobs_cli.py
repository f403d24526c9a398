"""``flask --app app jobs list|retry|cancel``: what an operator needs to see and unstick
background jobs across organizations."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli import operator_command

jobs_cli = AppGroup("jobs", help="Inspect and unstick background jobs.")


@jobs_cli.command("list")
@click.option("--state", type=click.Choice(["queued", "running", "succeeded", "failed", "cancelled"]), default=None)
@click.option("--limit", default=20, show_default=True)
@operator_command
def jobs_list(state: str | None, limit: int) -> None:
    """The latest jobs (of one state), newest first."""
    from app.extensions import db
    from app.services import jobs

    rows = jobs.recent_jobs(db.session, state=state, limit=max(1, limit))
    if not rows:
        click.echo("No jobs.")
    for job in rows:
        progress = f"{job.progress_done}/{job.progress_total}" if job.progress_total else str(job.progress_done)
        error = f"  {job.error.splitlines()[0][:100]}" if job.error else ""
        click.echo(f"{job.id}  {job.organization_id}  {job.kind:<24} {job.state:<9} {progress:>9}  "
                   f"attempt {job.attempts}  {job.created_at:%Y-%m-%d %H:%M:%S}{error}")


@jobs_cli.command("retry")
@click.argument("job_id")
@operator_command
def jobs_retry(job_id: str) -> None:
    """Queue a failed or cancelled job again (its attempts start over; progress is kept)."""
    from app.extensions import db
    from app.services import jobs

    job = jobs.retry_job(db.session, job_id)
    click.echo(f"Job {job.id} ({job.kind}) is {job.state}.")
