"""Per-token API rate limits, counted in the database so every web process on every
host shares one count: a fixed window per token (``1200/minute`` by default), one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` a request, committed at once so no row
lock is held while the request runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.db.models import ApiRateLimit, utcnow
from app.db.tx import dialect_insert

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
LIMIT_SYNTAX = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int


def parse_limit(spec: str | None) -> Limit | None:
    """``"1200/minute"``, ``"20 per second"``; ``"0"``, ``"off"`` or empty disable the limit."""
    if spec is None or spec.strip().lower() in ("", "0", "off", "none"):
        return None
    match = LIMIT_SYNTAX.fullmatch(spec)
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"API_RATE_LIMIT must look like '1200/minute' (or 'off'), got {spec!r}")
    return Limit(int(match.group(1)), UNITS[match.group(2).lower()])


def hit(session: Session, organization_id: str, token_id: str, limit: Limit,
        now: datetime | None = None) -> Decision:
    """Count one request of ``token_id`` in the current window and say whether it may proceed."""
    now = now or utcnow()
    epoch = int(now.timestamp())
    window = epoch - epoch % limit.seconds
    table = ApiRateLimit.__table__
    statement = dialect_insert(session)(table).values(organization_id=organization_id, token_id=token_id, window_start=window, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.organization_id, table.c.token_id, table.c.window_start],
        set_={"hits": table.c.hits + 1},
    ).returning(table.c.hits)
    hits = session.execute(statement).scalar_one()
    session.commit()
    return Decision(allowed=hits <= limit.count, limit=limit.count, remaining=max(limit.count - hits, 0),
                    reset_after=max(window + limit.seconds - epoch, 1))


def purge(session: Session, older_than_seconds: int = 86400, now: datetime | None = None) -> int:
    """Forget windows that ended long ago (the worker calls this now and then)."""
    cutoff = int((now or utcnow()).timestamp()) - older_than_seconds
    result = session.execute(delete(ApiRateLimit).where(ApiRateLimit.window_start < cutoff))
    session.commit()
    return result.rowcount or 0
