"""A background job's progress, for every kind of long work (imports, bulk actions, …).

``GET /jobs/<id>`` is a page that survives a reload; ``GET /jobs/<id>/progress`` is the
fragment it polls every second. When the job has finished the fragment answers 286, which
tells htmx to stop polling, and shows the kind's own result template
(``templates/jobs/result/<kind with dots as underscores>.html``) or a generic summary.
Other pages embed the same bar with ``{% include "jobs/_progress.html" %}``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template

from app.db.models import utcnow
from app.domain.errors import NotFound
from app.extensions import db
from app.services import jobs as job_service
from app.services.context import Actor
from app.web import bp
from app.web.auth import current_actor, role_required

STOP_POLLING = 286


@dataclass(frozen=True)
class Pace:
    """How fast a running job goes and how long it still needs, from its own progress."""

    rate: float | None  # items a second
    seconds_left: int | None

    @classmethod
    def of(cls, job: job_service.JobState, now: datetime | None = None) -> Pace:
        if job.started_at is None or job.progress_done <= 0:
            return cls(None, None)
        end = job.finished_at or now or utcnow()
        elapsed = (end - job.started_at).total_seconds()
        if elapsed <= 0:
            return cls(None, None)
        rate = job.progress_done / elapsed
        left = None
        if job.progress_total and not job.finished:
            left = int(max(job.progress_total - job.progress_done, 0) / rate + 0.5)
        return cls(rate, left)


def duration_words(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def result_template(kind: str) -> str:
    return f"jobs/result/{kind.replace('.', '_')}.html"


def visible_job(actor: Actor, job_id: str) -> job_service.JobState:
    """A job of the actor's organization; a rep sees only the jobs they started."""
    job = job_service.get_job(db.session, actor, job_id)
    if not actor.is_manager and job.created_by != actor.name:
        raise NotFound("No such job.")
    return job


def progress_context(job: job_service.JobState) -> dict:
    """What ``jobs/_progress.html`` needs beside ``job`` (for pages that embed it)."""
    pace = Pace.of(job)
    return {"job": job, "pace": pace, "time_left": duration_words(pace.seconds_left),
            "result_template": result_template(job.kind), "result": job.result or {}}


def _render(template: str, job: job_service.JobState) -> str:
    return render_template(template, **progress_context(job))


@bp.get("/jobs/<job_id>")
@role_required()
def job_page(job_id: str):
    return _render("jobs/show.html", visible_job(current_actor(), job_id))


@bp.get("/jobs/<job_id>/progress")
@role_required()
def job_progress(job_id: str):
    job = visible_job(current_actor(), job_id)
    return _render("jobs/_progress.html", job), (STOP_POLLING if job.finished else 200)
