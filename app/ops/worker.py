"""``flask --app app worker``: a long-lived process that delivers due emails and runs
background jobs. Run as many as you like, on as many hosts as you like: each email and
job is claimed with a lease (``SKIP LOCKED`` on PostgreSQL), so none is done twice,
and one whose worker died (even by ``kill -9``) becomes claimable again when its lease
lapses.

Idle, it polls with back-off (``min_sleep`` doubling up to ``max_sleep``); any work
found resets it. SIGTERM or SIGINT stops it after the item in hand: an email being sent
is sent and recorded, a job runs to its end, emails claimed but not yet attempted are
handed back at once."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.process import identity

log = logging.getLogger("orderdesk.worker")
HOUSEKEEPING_EVERY = 600.0


class IdleBackoff:
    """Sleep lengths while idle: ``minimum``, doubling up to ``maximum``; reset by work."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum, self.maximum = minimum, max(minimum, maximum)
        self.current = minimum

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self.current = self.minimum


@dataclass
class Worker:
    app: Flask
    min_sleep: float = 0.5
    max_sleep: float = 10.0
    email_batch: int = 10
    owner: str = field(default_factory=identity)
    stopping: threading.Event = field(default_factory=threading.Event)
    handled: int = 0

    def stop(self, *_: object) -> None:
        if not self.stopping.is_set():
            log.info("worker %s stopping after the item in hand", self.owner)
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self, max_idle_polls: int | None = None) -> None:
        """Poll until stopped (or, for ``--once``-style use, after ``max_idle_polls`` idle polls)."""
        backoff = IdleBackoff(self.min_sleep, self.max_sleep)
        idle_polls = 0
        last_housekeeping = 0.0
        log.info("worker %s started (emails and jobs)", self.owner)
        while not self.stopping.is_set():
            if time.monotonic() - last_housekeeping > HOUSEKEEPING_EVERY:
                self.housekeeping()
                last_housekeeping = time.monotonic()
            did = self.tick()
            if did:
                idle_polls = 0
                backoff.reset()
                continue
            idle_polls += 1
            if max_idle_polls is not None and idle_polls >= max_idle_polls:
                break
            self.stopping.wait(backoff.next())
        log.info("worker %s stopped after %d item(s)", self.owner, self.handled)

    def tick(self) -> int:
        """One round: a batch of due emails, then one job. Returns how many items it handled."""
        return self.deliver_emails() + self.run_one_job()

    def _session(self):
        from app.extensions import db

        return db.session

    def deliver_emails(self) -> int:
        from app.mail import outbox
        from app.mail.smtp import SmtpSettings

        settings = SmtpSettings.from_config(self.app.config)
        if not settings.configured or self.stopping.is_set():
            return 0
        session = self._session()
        lease = timedelta(seconds=int(self.app.config.get("OUTBOX_LEASE_SECONDS") or 300))
        try:
            ids = outbox.claim_due(session, self.email_batch, lease=lease, owner=self.owner)
            for index, email_id in enumerate(ids):
                if self.stopping.is_set():
                    outbox.release(session, ids[index:])
                    return index
                outbox.deliver_claimed(session, email_id, settings)
                self.handled += 1
            return len(ids)
        except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
            session.rollback()
            log.exception("email delivery round failed; retrying after a pause")
            return 0
        finally:
            session.remove()

    def run_one_job(self) -> int:
        from app.extensions import db
        from app.services import jobs

        if self.stopping.is_set():
            return 0
        session = self._session()
        lease = timedelta(seconds=int(self.app.config.get("JOB_LEASE_SECONDS") or 60))
        try:
            claimed = jobs.claim_next(session, self.owner, lease)
            if claimed is None:
                return 0
            log.info("job %s (%s) claimed, attempt %d", claimed.id, claimed.kind, claimed.attempts,
                     extra={"job_id": claimed.id, "job_kind": claimed.kind, "organization": claimed.organization_id})
            state = jobs.run_claimed(session, db.engine, claimed)
            log.info("job %s (%s) %s", claimed.id, claimed.kind, state,
                     extra={"job_id": claimed.id, "job_kind": claimed.kind, "job_state": state})
            self.handled += 1
            return 1
        except Exception:  # noqa: BLE001
            session.rollback()
            log.exception("job round failed; retrying after a pause")
            return 0
        finally:
            session.remove()

    def housekeeping(self) -> None:
        from app.services import ratelimit

        session = self._session()
        try:
            ratelimit.purge(session)
        except Exception:  # noqa: BLE001
            session.rollback()
            log.warning("housekeeping failed", exc_info=True)
        finally:
            session.remove()


@click.command("worker")
@click.option("--min-sleep", default=0.5, show_default=True, help="Seconds to wait after an idle poll.")
@click.option("--max-sleep", default=10.0, show_default=True, help="Longest wait between idle polls.")
@click.option("--email-batch", default=10, show_default=True, help="Emails claimed per round.")
@click.option("--metrics-port", type=int, default=None, help="Serve this worker's Prometheus metrics on this port.")
@click.option("--metrics-addr", default="127.0.0.1", show_default=True, help="Address for --metrics-port.")
@click.option("--once", is_flag=True, help="Stop when nothing is left to do (for cron or a one-off drain).")
@with_appcontext
def worker_command(min_sleep: float, max_sleep: float, email_batch: int, metrics_port: int | None,
                   metrics_addr: str, once: bool) -> None:
    """Deliver due emails and run background jobs until SIGTERM (safe on many hosts at once)."""
    app = current_app._get_current_object()
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_addr)
    worker = Worker(app, min_sleep=min_sleep, max_sleep=max_sleep, email_batch=max(1, email_batch))
    worker.install_signal_handlers()
    worker.run(max_idle_polls=1 if once else None)
