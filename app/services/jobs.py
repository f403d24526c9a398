"""Background jobs: one table and one claiming scheme for every kind of background
work (bulk actions, file imports, …), run by ``flask --app app worker`` processes.

- **Enqueue** (:func:`enqueue`) with an idempotency key unique per organization: a
  repeated click or a retried request returns the job already queued instead of a
  second one.
- **Claim** (:func:`claim_next`) like the outbox: ``SELECT … FOR UPDATE SKIP LOCKED``
  on PostgreSQL so workers on many hosts take different rows, then a conditional
  ``UPDATE`` that sets a lease (``lease_owner``, ``lease_expires_at``) and counts the
  attempt. A queued job whose ``run_after`` has come, or a running job whose lease
  lapsed (its worker died, even by ``kill -9``), is claimable.
- **Run** (:func:`run_claimed`): the handler registered for the job's kind gets a
  :class:`JobContext`. ``ctx.progress(done, total)`` commits the handler's session
  together with the new progress, guarded by the lease: work and progress land
  together or not at all, and a worker that lost its lease cannot commit over the
  one that took the job over. A resumed job starts from its recorded progress. A
  heartbeat renews the lease while the handler runs.
- **Read** (:func:`get_job`) a job's state and progress, for a progress bar.

Handlers register with :func:`handler` (``@jobs.handler("orders.bulk_status")``) in the
module that owns the use case; only kinds registered in this process may be enqueued."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app import metrics
from app.db.models import Job, utcnow
from app.db.tx import insert_ignoring_duplicates, run_in_transaction
from app.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.services.context import Actor

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=30)
MAX_KEY_LENGTH = 200


class JobCancelled(Exception):
    """Raised inside a handler (by ``ctx.progress``) when cancellation was requested."""


class LeaseLost(Exception):
    """Raised inside a handler when another worker has taken the job over."""


Handler = Callable[["JobContext"], "dict[str, Any] | None"]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of ``kind`` (one handler a kind)."""

    def register(fn: Handler) -> Handler:
        if HANDLERS.get(kind, fn) is not fn:
            raise ValueError(f"job kind {kind!r} already has a handler")
        HANDLERS[kind] = fn
        return fn

    return register


@dataclass(frozen=True)
class JobState:
    """What a progress bar or an API needs to know about a job."""

    id: str
    organization_id: str
    kind: str
    state: str
    progress_done: int
    progress_total: int | None
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.state == SUCCEEDED else None
        return min(100, self.progress_done * 100 // self.progress_total)

    @classmethod
    def of(cls, job: Job) -> JobState:
        return cls(job.id, job.organization_id, job.kind, job.state, job.progress_done, job.progress_total,
                   job.result, job.error, job.attempts, job.created_by, job.created_at, job.started_at,
                   job.finished_at)


# --------------------------------------------------------------------------- enqueue and read


def enqueue(session: Session, actor: Actor, kind: str, params: dict[str, Any] | None = None, *,
            idempotency_key: str | None = None, total: int | None = None,
            max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> JobState:
    """Queue a job of a registered ``kind`` for the actor's organization. With an
    ``idempotency_key`` already used in the organization, the existing job is returned
    and nothing is queued (even when two requests race: the key is unique)."""
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        raise ValidationFailed([FieldError("idempotencyKey", f"must be 1 to {MAX_KEY_LENGTH} characters")])

    return run_in_transaction(session, lambda: add_job(session, actor, kind, params, idempotency_key=idempotency_key,
                                                        total=total, max_attempts=max_attempts))


def add_job(session: Session, actor: Actor, kind: str, params: dict[str, Any] | None = None, *,
            idempotency_key: str | None = None, total: int | None = None,
            max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> JobState:
    """Like :func:`enqueue`, inside the caller's transaction (the job is queued when the
    caller commits, together with its work)."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler is registered for job kind {kind!r}")
    if idempotency_key is not None:
        existing = _by_key(session, actor.organization_id, idempotency_key)
        if existing is not None:
            return JobState.of(existing)
    now = utcnow()
    row = {
        "organization_id": actor.organization_id, "id": _new_id(), "kind": kind, "state": QUEUED,
        "idempotency_key": idempotency_key, "params": params or {}, "progress_done": 0,
        "progress_total": total, "attempts": 0, "max_attempts": max_attempts, "cancel_requested": False,
        "run_after": now, "created_by": actor.name, "created_at": now, "updated_at": now,
    }
    insert_ignoring_duplicates(session, Job.__table__, [row])
    job = (_by_key(session, actor.organization_id, idempotency_key) if idempotency_key is not None
           else session.get(Job, (actor.organization_id, row["id"])))
    return JobState.of(job)


def _new_id() -> str:
    from app.db.types import guid

    return guid()


def _by_key(session: Session, organization_id: str, key: str) -> Job | None:
    return session.scalar(select(Job).where(Job.organization_id == organization_id, Job.idempotency_key == key)
                          .execution_options(populate_existing=True))


def get_job(session: Session, actor: Actor, job_id: str) -> JobState:
    """A job of the actor's organization; another organization's looks like none."""
    job = session.get(Job, (actor.organization_id, job_id), populate_existing=True)
    if job is None:
        raise NotFound("No such job.")
    return JobState.of(job)


def cancel_job(session: Session, actor: Actor, job_id: str) -> JobState:
    """A queued job is cancelled at once; a running one when its handler next reports progress."""

    def work() -> JobState:
        job = session.get(Job, (actor.organization_id, job_id), populate_existing=True, with_for_update=True)
        if job is None:
            raise NotFound("No such job.")
        now = utcnow()
        if job.state == QUEUED:
            job.state, job.finished_at, job.lease_owner, job.lease_expires_at = CANCELLED, now, None, None
        elif job.state == RUNNING:
            job.cancel_requested = True
        job.updated_at = now
        session.flush()
        return JobState.of(job)

    return run_in_transaction(session, work)


# --------------------------------------------------------------------------- claim


@dataclass(frozen=True)
class Claimed:
    organization_id: str
    id: str
    kind: str
    params: dict[str, Any]
    attempts: int
    max_attempts: int
    progress_done: int
    progress_total: int | None
    owner: str
    lease: timedelta


def _claimable(now: datetime):
    return (((Job.state == QUEUED) & (Job.run_after <= now))
            | ((Job.state == RUNNING) & (Job.lease_expires_at < now)))


def _claim_values(now: datetime, owner: str, lease: timedelta) -> dict[str, Any]:
    return {"state": RUNNING, "lease_owner": owner, "lease_expires_at": now + lease,
            "attempts": Job.attempts + 1, "updated_at": now}


def claim_next(session: Session, owner: str, lease: timedelta = DEFAULT_LEASE,
               now: datetime | None = None) -> Claimed | None:
    """Take the next due job (or one whose worker's lease lapsed), or None."""
    now = now or utcnow()
    query = (select(Job.organization_id, Job.id).where(_claimable(now))
             .order_by(Job.run_after, Job.created_at, Job.id).limit(1 if _is_postgres(session) else 5))
    if _is_postgres(session):
        candidates = session.execute(query.with_for_update(skip_locked=True)).all()
    else:
        candidates = session.execute(query).all()
    for org_id, job_id in candidates:
        result = session.execute(
            update(Job).where(Job.organization_id == org_id, Job.id == job_id, _claimable(now))
            .values(**_claim_values(now, owner, lease)).execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            job = session.get(Job, (org_id, job_id), populate_existing=True)
            if job.started_at is None:
                job.started_at = now
            claimed = Claimed(org_id, job_id, job.kind, dict(job.params or {}), job.attempts, job.max_attempts,
                              job.progress_done, job.progress_total, owner, lease)
            session.commit()
            return claimed
    session.commit()
    return None


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _mine(claimed: Claimed):
    return ((Job.organization_id == claimed.organization_id) & (Job.id == claimed.id)
            & (Job.lease_owner == claimed.owner) & (Job.state == RUNNING))


def renew_lease(engine: Engine, claimed: Claimed) -> bool:
    """Extend the lease (the heartbeat); False when the job is no longer this worker's."""
    with engine.begin() as conn:
        result = conn.execute(update(Job).where(_mine(claimed))
                              .values(lease_expires_at=utcnow() + claimed.lease))
    return result.rowcount == 1


# --------------------------------------------------------------------------- run


class JobContext:
    """What a handler sees: the job's parameters and progress, and a session to work in."""

    def __init__(self, session: Session, claimed: Claimed) -> None:
        self.session = session
        self.claimed = claimed
        self.organization_id = claimed.organization_id
        self.job_id = claimed.id
        self.params = claimed.params
        self.attempt = claimed.attempts
        self.done = claimed.progress_done
        self.total = claimed.progress_total

    def progress(self, done: int, total: int | None = None) -> None:
        """Commit the handler's pending work together with the new progress (and a
        renewed lease). Raises :class:`LeaseLost` (the work is rolled back) when another
        worker took the job over, :class:`JobCancelled` when cancellation was asked."""
        values: dict[str, Any] = {"progress_done": done, "updated_at": utcnow(),
                                  "lease_expires_at": utcnow() + self.claimed.lease}
        if total is not None:
            values["progress_total"] = total
        result = self.session.execute(
            update(Job).where(_mine(self.claimed)).values(**values)
            .returning(Job.cancel_requested).execution_options(synchronize_session=False)
        )
        cancel = result.scalar_one_or_none()
        if cancel is None:
            self.session.rollback()
            raise LeaseLost(self.job_id)
        self.session.commit()
        self.done = done
        self.total = total if total is not None else self.total
        if cancel:
            raise JobCancelled(self.job_id)

    def note_progress(self, done: int, total: int | None = None) -> None:
        """Show progress without committing the handler's pending work (a handler that
        keeps one transaction open to the end): written from a connection of its own,
        guarded by the lease. On SQLite the open write transaction holds the only write
        lock, so the bar moves when the work commits."""
        engine = self.session.get_bind()
        if engine.dialect.name == "sqlite":
            return
        values: dict[str, Any] = {"progress_done": done, "updated_at": utcnow()}
        if total is not None:
            values["progress_total"] = total
        with engine.begin() as conn:
            conn.execute(update(Job).where(_mine(self.claimed)).values(**values))


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1, 2, 4 … minutes after the n-th failed attempt, at most 30 minutes."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def run_claimed(session: Session, engine: Engine, claimed: Claimed) -> str:
    """Run one claimed job to its end (or hand it back for a retry); returns the state
    it was left in ("lost" when another worker had taken it over)."""
    fn = HANDLERS.get(claimed.kind)
    if fn is None:
        return _finish(session, claimed, FAILED, error=f"no handler is registered for job kind {claimed.kind!r}")
    if claimed.attempts > claimed.max_attempts:
        return _finish(session, claimed, FAILED,
                       error=f"gave up after {claimed.max_attempts} attempts (the last worker stopped mid-way)")
    ctx = JobContext(session, claimed)
    stop = threading.Event()
    heartbeat = threading.Thread(target=_heartbeat, args=(engine, claimed, stop), daemon=True,
                                 name=f"job-heartbeat-{claimed.id[:8]}")
    heartbeat.start()
    try:
        result = fn(ctx)
    except JobCancelled:
        session.rollback()
        return _finish(session, claimed, CANCELLED)
    except LeaseLost:
        session.rollback()
        log.warning("job %s (%s) was taken over by another worker; its work here stopped", claimed.id, claimed.kind)
        return "lost"
    except Exception as exc:  # noqa: BLE001 - a failing handler must not stop the worker
        session.rollback()
        log.exception("job %s (%s) failed on attempt %d", claimed.id, claimed.kind, claimed.attempts)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if claimed.attempts >= claimed.max_attempts:
            return _finish(session, claimed, FAILED, error=error)
        return _requeue(session, claimed, error)
    finally:
        stop.set()
        heartbeat.join(timeout=5)
    return _finish(session, claimed, SUCCEEDED, result=result or {})


def _heartbeat(engine: Engine, claimed: Claimed, stop: threading.Event) -> None:
    interval = max(claimed.lease.total_seconds() / 3, 0.2)
    while not stop.wait(interval):
        try:
            if not renew_lease(engine, claimed):
                return
        except Exception:  # noqa: BLE001 - the next beat tries again; the lease is generous
            log.warning("could not renew the lease of job %s", claimed.id, exc_info=True)


def _finish(session: Session, claimed: Claimed, state: str, *, result: dict[str, Any] | None = None,
            error: str | None = None) -> str:
    now = utcnow()
    values: dict[str, Any] = {"state": state, "finished_at": now, "updated_at": now,
                              "lease_owner": None, "lease_expires_at": None, "error": error}
    if result is not None:
        values["result"] = result
    updated = session.execute(update(Job).where(_mine(claimed)).values(**values)
                              .execution_options(synchronize_session=False))
    session.commit()
    if updated.rowcount != 1:
        log.warning("job %s (%s) finished here as %s, but another worker had taken it over", claimed.id,
                    claimed.kind, state)
        return "lost"
    metrics.JOBS_FINISHED.labels(claimed.kind, state).inc()
    return state


def _requeue(session: Session, claimed: Claimed, error: str) -> str:
    now = utcnow()
    updated = session.execute(
        update(Job).where(_mine(claimed))
        .values(state=QUEUED, run_after=now + retry_delay(claimed.attempts), lease_owner=None,
                lease_expires_at=None, error=error, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if updated.rowcount != 1:
        return "lost"
    metrics.JOBS_FINISHED.labels(claimed.kind, "retry").inc()
    return QUEUED


def release(session: Session, claimed: Claimed) -> None:
    """Hand a claimed job back untouched (a stopping worker that had not started it)."""
    session.execute(update(Job).where(_mine(claimed))
                    .values(state=QUEUED, lease_owner=None, lease_expires_at=None, attempts=Job.attempts - 1)
                    .execution_options(synchronize_session=False))
    session.commit()


# --------------------------------------------------------------------------- operators


def recent_jobs(session: Session, *, state: str | None = None, limit: int = 20) -> list[JobState]:
    """The newest jobs of every organization (an operator's view), optionally of one state."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
    if state is not None:
        query = query.where(Job.state == state)
    return [JobState.of(job) for job in session.scalars(query)]


def retry_job(session: Session, job_id: str) -> JobState:
    """Queue a failed or cancelled job again with fresh attempts; its recorded progress
    stays, so a resumable handler carries on where it stopped."""

    def work() -> JobState:
        job = session.scalar(select(Job).where(Job.id == job_id).with_for_update()
                             .execution_options(populate_existing=True))
        if job is None:
            raise NotFound(f"No job {job_id}.")
        if job.state not in (FAILED, CANCELLED):
            raise Conflict(f"Job {job_id} is {job.state}; only a failed or cancelled job can be retried.")
        now = utcnow()
        job.state, job.attempts, job.run_after, job.cancel_requested = QUEUED, 0, now, False
        job.finished_at, job.updated_at = None, now
        session.flush()
        return JobState.of(job)

    return run_in_transaction(session, work)
