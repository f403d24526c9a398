"""The audit log of administrative changes: who, when, what, and each changed value
old → new. Secrets (passwords, token secrets, logo bytes) are never written: a change
to one is recorded as changed, without its value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, utcnow
from app.services.context import Actor

SECRET_KEYS = frozenset({"password", "secret", "secret_hash", "password_hash", "logo"})
PAGE_SIZE = 50


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The keys whose values differ, as ``{key: [old, new]}`` (secrets as "changed")."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            out[key] = ["(hidden)", "(changed)"] if key in SECRET_KEYS else [_plain(old), _plain(new)]
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    return value


def record(session: Session, actor: Actor, action: str, target: str, changes: Mapping[str, Any] | None = None) -> None:
    """Add an event to the log in the caller's transaction."""
    session.add(AuditEvent(organization_id=actor.organization_id, at=utcnow(), actor=actor.name[:200],
                           action=action[:50], target=target[:300],
                           changes={k: ["(hidden)", "(changed)"] if k in SECRET_KEYS else v
                                    for k, v in (changes or {}).items()}))


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1


def events(session: Session, org_id: str, filters: AuditFilters) -> tuple[list[AuditEvent], int]:
    """A page of the organization's events, newest first, and how many match."""
    where = [AuditEvent.organization_id == org_id]
    if filters.action:
        where.append(AuditEvent.action == filters.action)
    if filters.actor:
        like = "%" + filters.actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(func.lower(AuditEvent.actor).like(like, escape="\\"))
    if filters.since:
        where.append(AuditEvent.at >= filters.since)
    if filters.until:
        where.append(AuditEvent.at < filters.until)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    rows = session.scalars(
        select(AuditEvent).where(*where).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE).offset((max(1, filters.page) - 1) * PAGE_SIZE)
    )
    return list(rows), total


def actions(session: Session, org_id: str) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(AuditEvent.organization_id == org_id)
                                .distinct().order_by(AuditEvent.action)))
