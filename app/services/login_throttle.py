"""Slowing down password guessing without handing anyone a lock-out.

Failed sign-ins are counted per account, per client address and per known device in
the database (so every process and host agrees). Past a free allowance each further
failure doubles the wait before the next try, up to ``MAX_DELAY``; nothing locks an
account outright. A browser that has signed in to an account before (a known device)
is judged only by its own failures, so someone guessing at an account from elsewhere
cannot keep its owner out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.db.models import LoginFailure, utcnow

WINDOW = timedelta(minutes=15)
MAX_DELAY = timedelta(minutes=15)
FREE_PER_ACCOUNT = 5
FREE_PER_ADDRESS = 20
FREE_PER_DEVICE = 5


@dataclass(frozen=True)
class Keys:
    """What a sign-in attempt is counted against."""

    account: str
    address: str
    device: str | None = None

    @classmethod
    def of(cls, email: str, address: str, device: str | None = None) -> Keys:
        return cls(f"account:{email.strip().lower()}", f"address:{address or 'unknown'}",
                   f"device:{device}" if device else None)

    def judged_by(self) -> list[tuple[str, int]]:
        """A known device answers for itself; any other attempt for the account and address."""
        if self.device:
            return [(self.device, FREE_PER_DEVICE)]
        return [(self.account, FREE_PER_ACCOUNT), (self.address, FREE_PER_ADDRESS)]

    def counted(self) -> list[str]:
        return [k for k in (self.account, self.address, self.device) if k]


@dataclass(frozen=True)
class Decision:
    """Whether an attempt may be checked now; if not, until when and because of what."""

    wait_until: datetime | None
    key: str | None = None
    failures: int = 0

    @property
    def allowed(self) -> bool:
        return self.wait_until is None


def delay_after(failures: int, free: int) -> timedelta:
    """No wait within the free allowance; then 1 s, 2 s, 4 s … up to MAX_DELAY."""
    if failures < free:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** min(failures - free, 20)))


def decide(session: Session, keys: Keys, now: datetime | None = None) -> Decision:
    """May this attempt be checked now?"""
    now = now or utcnow()
    for key, free in keys.judged_by():
        count, last = session.execute(
            select(func.count(), func.max(LoginFailure.failed_at))
            .where(LoginFailure.key == key, LoginFailure.failed_at >= now - WINDOW)
        ).one()
        if count and count >= free:
            until = last + delay_after(count, free)
            if until > now:
                return Decision(until, key, count)
    return Decision(None)


def record_failure(session: Session, keys: Keys) -> None:
    now = utcnow()
    for key in keys.counted():
        session.add(LoginFailure(key=key, failed_at=now))
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - WINDOW * 4))


def clear(session: Session, keys: Keys) -> None:
    """A successful sign-in clears the account's and the device's count (not the address's)."""
    session.execute(delete(LoginFailure).where(LoginFailure.key.in_([k for k in (keys.account, keys.device) if k])))
