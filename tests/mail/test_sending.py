"""Sending confirmations through a real SMTP server, the outbox when it is down, and
delivery retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.db.models import OrderEvent, OutboxEmail, utcnow
from app.domain.errors import NotFound, ValidationFailed
from app.mail import outbox
from app.mail.service import send_confirmation
from app.mail.smtp import SmtpSettings
from app.services.context import Actor
from tests.mail.conftest import make_order, pdf_text


def settings_of(app) -> SmtpSettings:
    return SmtpSettings.from_config(app.config)


def events(session, order_id: str) -> list[str]:
    session.expire_all()
    return [e.kind for e in session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.occurred_at, OrderEvent.id))]


def test_sent_email_has_text_html_reply_to_and_the_pdf(app, db_session, org, actor, smtp_server, tmp_path):
    org.reply_to_email, org.brand_display_name = "sales@acme.example", "Acme <Wholesale>"
    db_session.commit()
    order = make_order(db_session, actor)
    result = send_confirmation(db_session, actor, order.id, ["buyer@brightfield.example", "ap@brightfield.example"])
    assert result.status == "sent" and result.recipients == ["buyer@brightfield.example", "ap@brightfield.example"]
    [message] = smtp_server.messages
    assert set(smtp_server.envelopes[0].rcpt_tos) == {"buyer@brightfield.example", "ap@brightfield.example"}
    assert message["Reply-To"] == "sales@acme.example"
    assert message["From"].addresses[0].display_name == "Acme <Wholesale>"
    assert message["From"].addresses[0].addr_spec == app.config["MAIL_FROM"]
    assert order.order_number in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert order.order_number in text and "$479.30" in text
    assert order.order_number in html and "$479.30" in html and "WDG-BLU-L" in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    pdf = pdf_text(attachment.get_content(), tmp_path)
    for expected in (order.order_number, "WDG-BLU-L", "WDG-RED-M", "$479.30"):
        assert expected in pdf
    email = db_session.scalars(select(OutboxEmail)).one()
    assert email.status == "sent" and email.attempts == 1 and email.sent_at is not None
    assert events(db_session, order.id)[-2:] == ["email_queued", "email_sent"]


def test_html_in_company_name_and_notes_is_escaped_in_the_email(db_session, org, actor, smtp_server):
    org.email_body_template = "Dear {{ customer.name }},\n\nNotes: {{ order.notes }}"
    db_session.commit()
    order = make_order(db_session, actor, companyName="Evil <img src=x> & Co", notes="<script>alert(1)</script>")
    send_confirmation(db_session, actor, order.id, ["buyer@example.com"])
    [message] = smtp_server.messages
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "<img src=x>" not in html and "<script>" not in html
    assert "Evil &lt;img src=x&gt; &amp; Co" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Dear Evil <img src=x> & Co," in text and "<script>alert(1)</script>" in text


def test_smtp_down_leaves_the_email_queued_and_a_later_delivery_sends_it_once(app, db_session, org, actor,
                                                                              smtp_down, request):
    order = make_order(db_session, actor)
    result = send_confirmation(db_session, actor, order.id, ["buyer@example.com"])
    assert result.status == "queued" and "connect" in result.reason
    email = db_session.scalars(select(OutboxEmail)).one()
    assert email.status == "queued" and email.attempts == 1 and email.last_error
    assert email.next_attempt_at > utcnow() + timedelta(seconds=30)
    assert events(db_session, order.id)[-2:] == ["email_queued", "email_failed"]
    # Not due yet: nothing is attempted.
    inbox = request.getfixturevalue("smtp_server")
    assert outbox.deliver_due(db_session, settings_of(app)) == []
    _make_due(db_session)
    delivered = outbox.deliver_due(db_session, settings_of(app))
    assert [d.status for d in delivered] == ["sent"]
    assert outbox.deliver_due(db_session, settings_of(app)) == []
    assert len(inbox.messages) == 1
    db_session.expire_all()
    assert db_session.scalars(select(OutboxEmail)).one().status == "sent"
    assert events(db_session, order.id)[-1] == "email_sent"


def _make_due(session) -> None:
    session.execute(update(OutboxEmail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    session.commit()


def test_after_the_last_attempt_the_email_is_failed_and_a_retry_gives_it_one_more(app, db_session, org, actor,
                                                                                 smtp_down):
    order = make_order(db_session, actor)
    send_confirmation(db_session, actor, order.id, ["buyer@example.com"])
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        _make_due(db_session)
        outbox.deliver_due(db_session, settings_of(app))
    db_session.expire_all()
    email = db_session.scalars(select(OutboxEmail)).one()
    assert email.status == "failed" and email.attempts == outbox.MAX_ATTEMPTS
    assert outbox.retry_now(db_session, org.id, email.id).status == "queued"
    assert outbox.deliver_one(db_session, email.id, settings_of(app)).status == "failed"


def test_a_later_send_also_delivers_emails_that_were_waiting(app, db_session, org, actor, smtp_down, request):
    order = make_order(db_session, actor)
    send_confirmation(db_session, actor, order.id, ["first@example.com"])
    _make_due(db_session)
    inbox = request.getfixturevalue("smtp_server")
    assert send_confirmation(db_session, actor, order.id, ["second@example.com"]).status == "sent"
    assert sorted(m["To"] for m in inbox.messages) == ["first@example.com", "second@example.com"]


def test_without_smtp_the_email_waits_in_the_outbox_and_nothing_is_sent(app, db_session, org, actor):
    assert not app.config.get("SMTP_HOST")
    order = make_order(db_session, actor)
    result = send_confirmation(db_session, actor, order.id, ["buyer@example.com"])
    assert result.status == "queued" and "No SMTP server" in result.reason
    email = db_session.scalars(select(OutboxEmail)).one()
    assert email.status == "queued" and email.attempts == 0 and email.attachment.startswith(b"%PDF")
    assert events(db_session, order.id)[-1] == "email_queued"


def test_bad_addresses_are_reported_by_index_and_nothing_is_queued(db_session, org, actor):
    order = make_order(db_session, actor)
    with pytest.raises(ValidationFailed) as failure:
        send_confirmation(db_session, actor, order.id, ["ok@example.com", "not-an-address", "x@"])
    assert [e.field for e in failure.value.errors] == ["emailAddresses[1]", "emailAddresses[2]"]
    for bad in ([], ["a@example.com"] * 21, "a@example.com", None):
        with pytest.raises(ValidationFailed):
            send_confirmation(db_session, actor, order.id, bad)
    assert db_session.scalars(select(OutboxEmail)).all() == []


def test_a_rep_cannot_email_an_order_they_do_not_see(db_session, org, actor):
    order = make_order(db_session, actor)
    rep = Actor(organization_id=org.id, name="Other rep", role="rep", user_id="u1", rep_numbers=("REP-999",))
    with pytest.raises(NotFound):
        send_confirmation(db_session, rep, order.id, ["a@example.com"])


def test_outbox_deliver_without_smtp_says_so_and_keeps_the_emails(app, db_session, org, actor):
    order = make_order(db_session, actor)
    send_confirmation(db_session, actor, order.id, ["buyer@example.com"])
    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])
    assert result.exit_code == 1 and "SMTP_HOST is not set" in result.output
    db_session.expire_all()
    assert db_session.scalars(select(OutboxEmail)).one().status == "queued"
