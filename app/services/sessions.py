"""Browser sessions kept on the server, so that they can end.

A session is a ``UserSession`` row; the browser holds ``<organization id>.<token>`` in
its signed session cookie (and in the remember-me cookie when asked for). Signing out
revokes the row, so every copy of either cookie stops working; a password change or a
deactivation revokes all of the user's rows. A session not kept signed in ends after
``idle`` without a request; a remembered one at ``remember`` after sign-in, as its
cookie does."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import User, UserSession, utcnow

TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    remember: timedelta


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(token: str) -> tuple[str, str] | None:
    org_id, _, secret = (token or "").partition(".")
    if not org_id or len(secret) < 32 or len(token) > 200:
        return None
    return org_id, secret


def start(session: Session, user: User, *, remember: bool, lifetimes: Lifetimes,
          address: str | None = None) -> str:
    """Open a session for ``user`` and return the token its cookies carry."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(
        organization_id=user.organization_id, token_hash=_hash(secret), user_id=user.id, remember=remember,
        address=(address or "")[:64] or None, created_at=now, last_seen_at=now,
        expires_at=now + (lifetimes.remember if remember else lifetimes.idle),
    ))
    session.flush()
    token = f"{user.organization_id}.{secret}"
    user.session_token = token
    return token


def resolve(session: Session, token: str, lifetimes: Lifetimes) -> User | None:
    """The active user whose live session this token names, else None. A session not
    kept signed in slides its end forward (written at most every few minutes)."""
    parts = _split(token)
    if parts is None:
        return None
    org_id, secret = parts
    row = session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.organization_id == org_id, UserSession.token_hash == _hash(secret))
    ).one_or_none()
    if row is None:
        return None
    live, user = row
    now = utcnow()
    if live.revoked_at is not None or live.expires_at <= now or not user.active:
        return None
    if now - live.last_seen_at >= TOUCH_EVERY:
        live.last_seen_at = now
        if not live.remember:
            live.expires_at = now + lifetimes.idle
        session.commit()
    user.session_token = token
    return user


def end(session: Session, token: str | None) -> None:
    """Revoke the session this token names (signing out)."""
    parts = _split(token or "")
    if parts is None:
        return
    session.execute(update(UserSession).where(
        UserSession.organization_id == parts[0], UserSession.token_hash == _hash(parts[1]),
        UserSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def end_all(session: Session, user: User) -> int:
    """Revoke every session of ``user`` (password changed, deactivated); how many."""
    result = session.execute(update(UserSession).where(
        UserSession.organization_id == user.organization_id, UserSession.user_id == user.id,
        UserSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    return result.rowcount or 0
