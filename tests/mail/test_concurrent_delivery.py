"""Several deliverers at once never send one email twice."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import OutboxEmail, utcnow
from app.mail import outbox
from app.mail.smtp import SmtpSettings


def queue_plain_emails(session, org, count: int) -> list[str]:
    emails = [OutboxEmail(organization_id=org.id, recipients=[f"r{n}@example.com"], subject=f"Message {n}",
                          html_body=f"<p>{n}</p>", text_body=str(n), status="queued", attempts=0,
                          next_attempt_at=utcnow(), created_at=utcnow()) for n in range(count)]
    session.add_all(emails)
    session.commit()
    return [e.id for e in emails]


def run_deliverers(engine, settings: SmtpSettings, workers: int, limit: int) -> list[outbox.Delivery]:
    barrier = threading.Barrier(workers)
    results: list[outbox.Delivery] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        with Session(engine) as session:
            try:
                barrier.wait()
                delivered = outbox.deliver_due(session, settings, limit=limit)
                with lock:
                    results.extend(delivered)
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_two_sessions_claiming_the_same_email_only_one_wins(app, db_session, org):
    from app.extensions import db

    [email_id] = queue_plain_emails(db_session, org, 1)
    now = utcnow()
    with Session(db.engine) as first, Session(db.engine) as second:
        assert outbox.claim(first, email_id, now) is True
        assert outbox.claim(second, email_id, now) is False


@pytest.mark.postgres_only
def test_concurrent_deliverers_on_postgresql_send_each_email_once(app, db_session, org, smtp_server):
    from app.extensions import db

    ids = queue_plain_emails(db_session, org, 24)
    results = run_deliverers(db.engine, SmtpSettings.from_config(app.config), workers=4, limit=3)
    assert sorted(r.email_id for r in results) == sorted(ids)
    subjects = Counter(m["Subject"] for m in smtp_server.messages)
    assert len(subjects) == 24 and set(subjects.values()) == {1}
    db_session.expire_all()
    assert {e.status for e in db_session.scalars(select(OutboxEmail))} == {"sent"}
    assert {e.attempts for e in db_session.scalars(select(OutboxEmail))} == {1}


def test_concurrent_deliverers_send_each_email_once(app, db_session, org, smtp_server):
    from app.extensions import db

    ids = queue_plain_emails(db_session, org, 8)
    results = run_deliverers(db.engine, SmtpSettings.from_config(app.config), workers=2, limit=2)
    assert sorted(r.email_id for r in results) == sorted(ids)
    assert sorted(Counter(m["Subject"] for m in smtp_server.messages).values()) == [1] * 8
