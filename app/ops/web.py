"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers, orchestrators and
Prometheus. None of them reads or writes a session, and none reveals internals: a
failing check answers with a short reason, the details go to the log."""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import exists, select, text
from sqlalchemy.engine import Engine

from app.config import ROOT

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}


def init_app(app: Flask) -> None:
    from app import metrics
    from app.extensions import csrf

    app.extensions["orderdesk_migration_heads"], app.extensions["orderdesk_migration_revisions"] = migrations()
    csrf.exempt(bp)
    app.register_blueprint(bp)
    metrics.instrument_pools()
    app.extensions["orderdesk_db_collector"] = metrics.DatabaseCollector(_engine)
    state = {"capacity_recorded": False}

    @app.before_request
    def _record_pool_capacity_once() -> None:
        if not state["capacity_recorded"]:
            state["capacity_recorded"] = True
            metrics.record_pool_capacity(_engine())


def migrations() -> tuple[frozenset[str], frozenset[str]]:
    """This code's migration heads and every revision it knows, read once at start."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(ROOT / "migrations"))
    return frozenset(script.get_heads()), frozenset(rev.revision for rev in script.walk_revisions())


def _engine() -> Engine:
    from app.extensions import db

    return db.engine


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers requests (liveness): no database call."""
    return _json({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz() -> Response:
    """Ready for traffic: the database answers, its schema is at (or past) this code's
    migrations head, and no due email has waited for a worker too long."""
    reasons = readiness_problems(_engine(), current_app.extensions["orderdesk_migration_heads"],
                                 current_app.extensions["orderdesk_migration_revisions"], current_app.config)
    if reasons:
        return _json({"status": "unavailable", "reasons": reasons}, 503, {"Retry-After": "5"})
    return _json({"status": "ready"}, 200)


def readiness_problems(engine: Engine, heads: frozenset[str], known: frozenset[str], config) -> list[str]:
    try:
        conn = engine.connect()
    except Exception:  # noqa: BLE001 - any failure to connect means "not ready"
        log.warning("readiness: the database does not answer", exc_info=True)
        return ["database unavailable"]
    with conn:
        try:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL statement_timeout = 2000"))
            versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except Exception:  # noqa: BLE001
            log.warning("readiness: no migration version in the database", exc_info=True)
            return ["database schema not migrated"]
        problem = schema_problem(versions, heads, known)
        if problem:
            return [problem]
        if config.get("SMTP_HOST") and _outbox_stuck(conn, config):
            return ["outbox stuck: due emails are not being delivered"]
    return []


def schema_problem(versions: set[str], heads: frozenset[str], known: frozenset[str]) -> str | None:
    """None when the database is at this code's head, or past it: a revision this code
    does not know is a newer release's expand migration, run first in a rolling deploy,
    which this code keeps working with."""
    if versions == set(heads):
        return None
    if versions and not versions & known:
        return None
    return "database schema behind the migrations head"


def _outbox_stuck(conn, config) -> bool:
    from app.db.models import OutboxEmail, utcnow

    now = utcnow()
    cutoff = now - timedelta(seconds=int(config.get("READYZ_OUTBOX_STUCK_SECONDS") or 900))
    stuck = select(OutboxEmail.id).where(
        OutboxEmail.status == "queued", OutboxEmail.next_attempt_at < cutoff,
        OutboxEmail.claimed_until.is_(None) | (OutboxEmail.claimed_until < now),
    )
    return bool(conn.scalar(select(exists(stuck))))


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    """Prometheus exposition, for a bearer of ``METRICS_TOKEN``; 404 when it is unset."""
    from app import metrics

    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        return _json({"status": "not found"}, 404)
    scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return _json({"status": "unauthorized"}, 401, {"WWW-Authenticate": 'Bearer realm="metrics"'})
    body = metrics.render([current_app.extensions["orderdesk_db_collector"]])
    return Response(body, 200, {"Content-Type": metrics.CONTENT_TYPE_LATEST, **NO_STORE})


def _json(body: dict, status: int, headers: dict | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update({**NO_STORE, **(headers or {})})
    return response
