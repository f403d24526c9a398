"""The outbox: an email is written in the same transaction as its history event, and
delivered afterwards; a failed delivery leaves it queued with a backoff, never lost.

Claiming is a conditional UPDATE (``status='queued' AND next_attempt_at <= now AND
claimed_until lapsed``) that sets a lease (``claimed_until``) and counts the attempt: of
several processes trying the same row only one matches it, so no email is sent twice. On PostgreSQL a
batch of due rows is first locked with ``SELECT … FOR UPDATE SKIP LOCKED`` so parallel
deliverers take different rows instead of waiting on each other. If a process dies
mid-send, the lease expires and the email becomes due again."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import metrics
from app.db.models import Order, OrderEvent, Organization, OutboxEmail, utcnow
from app.mail.smtp import SmtpSettings, build_message, send
from app.process import identity

QUEUED, SENT, FAILED = "queued", "sent", "failed"
STATUSES = (QUEUED, SENT, FAILED)
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
LEASE = timedelta(minutes=5)
DELIVERY_ACTOR = "Outbox"
NOT_CONFIGURED = "No SMTP server is configured; the email waits in the outbox."


@dataclass(frozen=True)
class Delivery:
    email_id: str
    status: str
    error: str | None = None


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most six hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _claim_where(now: datetime):
    return ((OutboxEmail.status == QUEUED) & (OutboxEmail.next_attempt_at <= now)
            & (OutboxEmail.claimed_until.is_(None) | (OutboxEmail.claimed_until < now)))


def claim(session: Session, email_id: str, now: datetime | None = None, *,
          lease: timedelta = LEASE, owner: str | None = None) -> bool:
    """Take one due email for delivery; False if another process has it or it is not due."""
    now = now or utcnow()
    result = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, _claim_where(now))
        .values(claimed_until=now + lease, claimed_by=owner or identity(), attempts=OutboxEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def claim_due(session: Session, limit: int, now: datetime | None = None, *,
              lease: timedelta = LEASE, owner: str | None = None) -> list[str]:
    """Claim up to ``limit`` due emails, oldest due first, for ``lease`` (which must
    outlast the slowest send: a lapsed lease lets another process send it again)."""
    now = now or utcnow()
    query = (select(OutboxEmail.id).where(_claim_where(now))
             .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(query.with_for_update(skip_locked=True)))
        if not ids:
            session.commit()
            return []
        session.execute(
            update(OutboxEmail).where(OutboxEmail.id.in_(ids), _claim_where(now))
            .values(claimed_until=now + lease, claimed_by=owner or identity(), attempts=OutboxEmail.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return ids
    candidates = list(session.scalars(query))
    session.commit()
    return [email_id for email_id in candidates if claim(session, email_id, now, lease=lease, owner=owner)]


def release(session: Session, email_ids: list[str]) -> None:
    """Hand back claimed emails that were not attempted (a worker stopping): due again
    at once for any process, and the unused attempt is not counted."""
    if not email_ids:
        return
    session.execute(
        update(OutboxEmail).where(OutboxEmail.id.in_(email_ids), OutboxEmail.status == QUEUED,
                                  OutboxEmail.claimed_until.is_not(None))
        .values(claimed_until=None, attempts=OutboxEmail.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def deliver_claimed(session: Session, email_id: str, settings: SmtpSettings) -> Delivery:
    """Send one claimed email and record the outcome (status, event) in one transaction."""
    email = session.get(OutboxEmail, email_id, populate_existing=True)
    if email is None or email.status != QUEUED:
        return Delivery(email_id, email.status if email else FAILED)
    org = session.get(Organization, email.organization_id)
    try:
        message = build_message(email, settings.mail_from, org.display_name if org else None)
    except (ValueError, TypeError) as exc:  # e.g. a header value no mail server would accept
        return _record_failure(session, email, f"the message could not be built: {exc}")
    try:
        send(message, settings)
    except (OSError, smtplib.SMTPException) as exc:
        return _record_failure(session, email, _describe(exc))
    now = utcnow()
    email.status, email.sent_at, email.last_error, email.next_attempt_at = SENT, now, None, None
    email.claimed_until = None
    _event(session, email, "email_sent", f"Confirmation emailed to {', '.join(email.recipients)}", now)
    session.commit()
    metrics.EMAIL_DELIVERIES.labels("sent").inc()
    return Delivery(email.id, SENT)


def _record_failure(session: Session, email: OutboxEmail, error: str) -> Delivery:
    now = utcnow()
    email.last_error, email.claimed_until = error, None
    if email.attempts >= MAX_ATTEMPTS:
        email.status, email.next_attempt_at = FAILED, None
        summary = f"Confirmation email failed after {email.attempts} attempts: {error}"
    else:
        email.next_attempt_at = now + backoff(email.attempts)
        summary = f"Confirmation email delivery failed (attempt {email.attempts}); it stays queued for retry: {error}"
    _event(session, email, "email_failed", summary, now)
    session.commit()
    metrics.EMAIL_DELIVERIES.labels("failed" if email.status == FAILED else "retry").inc()
    return Delivery(email.id, email.status, error)


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{addr} ({code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg})"
                            for addr, (code, msg) in exc.recipients.items())
        return f"the mail server refused the recipients: {refused}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"the mail server answered {exc.smtp_code} {text}"
    if isinstance(exc, ConnectionRefusedError):
        return "could not connect to the mail server (connection refused)"
    if isinstance(exc, TimeoutError):
        return "the mail server did not answer in time"
    return f"{type(exc).__name__}: {exc}"[:500]


def _event(session: Session, email: OutboxEmail, kind: str, summary: str, when: datetime) -> None:
    if email.order_id is None or session.get(Order, email.order_id) is None:
        return
    session.add(OrderEvent(organization_id=email.organization_id, order_id=email.order_id, occurred_at=when,
                           actor=DELIVERY_ACTOR, kind=kind, summary=summary, changes=[]))


def deliver_one(session: Session, email_id: str, settings: SmtpSettings, *, lease: timedelta = LEASE) -> Delivery:
    """Claim and deliver one email now (a send's own attempt, or a retry from the outbox page)."""
    if not settings.configured:
        email = session.get(OutboxEmail, email_id)
        return Delivery(email_id, email.status if email else FAILED, NOT_CONFIGURED)
    if not claim(session, email_id, lease=lease):
        email = session.get(OutboxEmail, email_id, populate_existing=True)
        return Delivery(email_id, email.status if email else FAILED, email.last_error if email else None)
    return deliver_claimed(session, email_id, settings)


def deliver_due(session: Session, settings: SmtpSettings, limit: int = 100,
                max_batches: int | None = None, *, lease: timedelta = LEASE,
                owner: str | None = None) -> list[Delivery]:
    """Deliver due emails in batches of ``limit``; stops when none is due, after
    ``max_batches``, or when a whole batch fails (the server is down: no point hammering it)."""
    if not settings.configured:
        return []
    results: list[Delivery] = []
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        ids = claim_due(session, limit, lease=lease, owner=owner)
        if not ids:
            return results
        batch = [deliver_claimed(session, email_id, settings) for email_id in ids]
        results.extend(batch)
        if all(d.status != SENT for d in batch):
            return results
    return results


def retry_now(session: Session, organization_id: str, email_id: str) -> OutboxEmail | None:
    """Make a queued or failed email due immediately (one more attempt for a failed one).
    An email being delivered right now keeps its lease, so it is still sent only once."""
    email = session.scalar(select(OutboxEmail).where(OutboxEmail.id == email_id,
                                                     OutboxEmail.organization_id == organization_id))
    if email is None:
        return None
    if email.status in (QUEUED, FAILED):
        session.execute(
            update(OutboxEmail).where(OutboxEmail.id == email.id, OutboxEmail.status.in_((QUEUED, FAILED)))
            .values(status=QUEUED, next_attempt_at=utcnow(),
                    attempts=_attempts_for_retry(email))
            .execution_options(synchronize_session=False)
        )
        session.commit()
        session.refresh(email)
    return email


def _attempts_for_retry(email: OutboxEmail) -> int:
    """A failed email gets exactly one more attempt; a queued one keeps its count."""
    return MAX_ATTEMPTS - 1 if email.status == FAILED else email.attempts
