"""Prometheus metrics: what every process counts, and what the database says at scrape time.

Under gunicorn ``PROMETHEUS_MULTIPROC_DIR`` is set before anything imports
``prometheus_client`` (see ``gunicorn.conf.py``), so each worker process writes its
counters to files there and a scrape of any worker adds them all up. Queue depths (the
outbox, the jobs) are read from the database when scraped, so they are the same
whichever process answers. No Flask here: services count what they do through this
module."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

__all__ = ["CONTENT_TYPE_LATEST", "render"]

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Each metric below opens its file there at once: the folder must exist first.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "orderdesk_http_requests_total", "HTTP requests answered, by route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "orderdesk_http_request_duration_seconds", "Time from the request's arrival in the app to its response.",
    ["method", "route", "status"], buckets=LATENCY_BUCKETS,
)
DB_CONNECTIONS_IN_USE = Gauge(
    "orderdesk_db_pool_connections_in_use", "Database connections checked out of the pools right now.",
    multiprocess_mode="livesum",
)
DB_CONNECTIONS_OPEN = Gauge(
    "orderdesk_db_pool_connections_open", "Database connections the pools hold open (in use or idle).",
    multiprocess_mode="livesum",
)
DB_POOL_CAPACITY = Gauge(
    "orderdesk_db_pool_capacity", "Connections the pools may open (size plus overflow), summed over processes.",
    multiprocess_mode="livesum",
)
DB_CHECKOUTS = Counter("orderdesk_db_pool_checkouts_total", "Connections taken from a pool.")
ORDERS_WRITTEN = Counter(
    "orderdesk_orders_written_total",
    "Orders written by single creates and bulk imports, by whether the write created, updated or left it unchanged.",
    ["operation", "outcome"],
)
EMAIL_DELIVERIES = Counter(
    "orderdesk_outbox_deliveries_total", "Email delivery attempts by outcome (sent, retry, failed).", ["outcome"],
)
JOBS_FINISHED = Counter(
    "orderdesk_jobs_finished_total", "Background job runs that ended, by kind and outcome.", ["kind", "outcome"],
)
RATE_LIMITED = Counter("orderdesk_api_rate_limited_total", "API requests refused with 429 by the per-token limit.")


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# --------------------------------------------------------------------------- counting


def record_orders_written(operation: str, results: Iterable) -> None:
    """Count each written order once: created, updated, or unchanged (an identical re-import)."""
    for result in results:
        if result is None:
            continue
        outcome = "created" if result.created else ("updated" if result.changed else "unchanged")
        ORDERS_WRITTEN.labels(operation=operation, outcome=outcome).inc()


_pool_lock = threading.Lock()
_instrumented = False


def instrument_pools() -> None:
    """Follow every SQLAlchemy pool of this process: connections open and in use."""
    global _instrumented
    with _pool_lock:
        if _instrumented:
            return
        _instrumented = True

    @event.listens_for(Pool, "connect")
    def _connect(dbapi_connection, record) -> None:
        DB_CONNECTIONS_OPEN.inc()
        record.info["orderdesk_open"] = True

    @event.listens_for(Pool, "close")
    def _close(dbapi_connection, record) -> None:
        if record.info.pop("orderdesk_open", False):
            DB_CONNECTIONS_OPEN.dec()

    @event.listens_for(Pool, "checkout")
    def _checkout(dbapi_connection, record, proxy) -> None:
        DB_CHECKOUTS.inc()
        DB_CONNECTIONS_IN_USE.inc()
        record.info["orderdesk_out"] = True

    @event.listens_for(Pool, "checkin")
    def _checkin(dbapi_connection, record) -> None:
        if record.info.pop("orderdesk_out", False):
            DB_CONNECTIONS_IN_USE.dec()


def record_pool_capacity(engine: Engine) -> None:
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if callable(size):
        DB_POOL_CAPACITY.set(size() + max(overflow, 0))


# --------------------------------------------------------------------------- the database's view


class DatabaseCollector:
    """Outbox depth and the oldest queued email's age, jobs by state: read from the
    database at scrape time (a few index scans), cached briefly so frequent scrapes by
    several Prometheus servers cost one read."""

    def __init__(self, engine_for: Callable[[], Engine], cache_seconds: float = 10.0) -> None:
        self.engine_for = engine_for
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, list] | None = None
        self._lock = threading.Lock()

    def collect(self):
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self.cache_seconds:
                self._cached = (now, self._read())
            families = self._cached[1]
        yield from families

    def _read(self) -> list:
        from app.db.models import Job, OutboxEmail, utcnow

        up = GaugeMetricFamily("orderdesk_metrics_database_up", "1 when the database answered this scrape's queries.")
        try:
            with self.engine_for().connect() as conn:
                emails = dict(conn.execute(select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)).all())
                oldest = conn.scalar(select(func.min(OutboxEmail.created_at)).where(OutboxEmail.status == "queued"))
                jobs = dict(conn.execute(select(Job.state, func.count()).group_by(Job.state)).all())
                oldest_job = conn.scalar(select(func.min(Job.created_at)).where(Job.state == "queued"))
        except Exception:  # noqa: BLE001 - a scrape reports the database as down instead of failing
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        now = utcnow()
        depth = GaugeMetricFamily("orderdesk_outbox_emails", "Emails in the outbox by status.", labels=["status"])
        for status in ("queued", "sent", "failed"):
            depth.add_metric([status], emails.get(status, 0))
        age = GaugeMetricFamily("orderdesk_outbox_oldest_queued_age_seconds",
                                "Age of the oldest email still queued (0 when none is).")
        age.add_metric([], _age(oldest, now))
        by_state = GaugeMetricFamily("orderdesk_jobs", "Background jobs by state.", labels=["state"])
        for state in ("queued", "running", "succeeded", "failed", "cancelled"):
            by_state.add_metric([state], jobs.get(state, 0))
        job_age = GaugeMetricFamily("orderdesk_jobs_oldest_queued_age_seconds",
                                    "Age of the oldest queued job (0 when none is).")
        job_age.add_metric([], _age(oldest_job, now))
        return [up, depth, age, by_state, job_age]


def _age(oldest, now) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return max((now - oldest).total_seconds(), 0.0)


def render(extra_collectors: Sequence = ()) -> bytes:
    """The exposition text: this host's processes (all gunicorn workers in multiprocess
    mode, else this process) plus the database collectors."""
    parts = []
    directory = multiprocess_dir()
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        parts.append(generate_latest(registry))
    else:
        parts.append(generate_latest(REGISTRY))
    if extra_collectors:
        registry = CollectorRegistry()
        for collector in extra_collectors:
            registry.register(collector)
        parts.append(generate_latest(registry))
    return b"".join(parts)
