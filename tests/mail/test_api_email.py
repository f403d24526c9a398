"""POST /api/orders/{orderId}/email as the seed documents it."""

from __future__ import annotations

from sqlalchemy import select, update

from app.db.models import OrderEvent, OutboxEmail, utcnow
from app.services import accounts
from tests.api.helpers import Api, assert_problem, data
from tests.mail.conftest import make_order, pdf_text
from tests.seed_examples import EMAIL


def api_for(client, secret: str) -> Api:
    return Api(client, {"Authorization": f"Bearer {secret}"})


def test_seed_example_sends_and_answers_status_and_recipients(client, db_session, org, actor, api_token,
                                                              smtp_server, tmp_path):
    order = make_order(db_session, actor)
    response = api_for(client, api_token).post(f"/api/orders/{order.id}/email", EMAIL)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert data(response) == {"data": {"status": "sent", "recipients": EMAIL["emailAddresses"]}}
    [message] = smtp_server.messages
    assert {p.get_content_type() for p in message.walk()} >= {"text/plain", "text/html", "application/pdf"}
    [attachment] = list(message.iter_attachments())
    assert "$479.30" in pdf_text(attachment.get_content(), tmp_path)


def test_smtp_down_answers_queued_and_outbox_deliver_sends_it_exactly_once(app, client, db_session, org, actor,
                                                                          api_token, smtp_down, request):
    order = make_order(db_session, actor)
    response = api_for(client, api_token).post(f"/api/orders/{order.id}/email", EMAIL)
    assert response.status_code == 200
    assert data(response)["data"] == {"status": "queued", "recipients": EMAIL["emailAddresses"]}
    db_session.expire_all()
    email = db_session.scalars(select(OutboxEmail)).one()
    assert email.status == "queued"
    db_session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
    db_session.commit()
    inbox = request.getfixturevalue("smtp_server")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["outbox", "deliver"])
    assert first.exit_code == 0 and "Delivered 1 of 1" in first.output, first.output
    second = runner.invoke(args=["outbox", "deliver"])
    assert second.exit_code == 0 and "Delivered 0 of 0" in second.output
    assert len(inbox.messages) == 1
    kinds = [e.kind for e in db_session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                                .order_by(OrderEvent.occurred_at, OrderEvent.id))]
    assert kinds[-3:] == ["email_queued", "email_failed", "email_sent"]


def test_bad_addresses_are_422_with_the_offending_index(client, db_session, org, actor, api_token):
    order = make_order(db_session, actor)
    api = api_for(client, api_token)
    body = assert_problem(api.post(f"/api/orders/{order.id}/email",
                                   {"emailAddresses": ["ok@example.com", "nope"]}), 422)
    assert [e["field"] for e in body["errors"]] == ["emailAddresses[1]"]
    for bad in ({"emailAddresses": []}, {"emailAddresses": ["a@example.com"] * 21}, {},
                {"emailAddresses": "a@example.com"}, {"emailAddresses": [7]}, ["a@example.com"]):
        assert_problem(api.post(f"/api/orders/{order.id}/email", bad), 422)
    assert db_session.scalars(select(OutboxEmail)).all() == []


def test_other_tenants_order_is_404_and_errors_are_problem_json(client, db_session, org, actor, api_token):
    order = make_order(db_session, actor)
    other = accounts.create_organization(db_session, "Other Org", tiers=["Wholesale"])
    other_token = accounts.create_token(db_session, other, "Other ERP").secret
    db_session.commit()
    assert_problem(api_for(client, other_token).post(f"/api/orders/{order.id}/email", EMAIL), 404)
    api = api_for(client, api_token)
    assert_problem(api.post("/api/orders/00000000-0000-0000-0000-000000000000/email", EMAIL), 404)
    assert_problem(api.post(f"/api/orders/{order.id}/email", raw="{nope"), 400)
    assert_problem(api.post(f"/api/orders/{order.id}/email", raw="x", content_type="text/plain"), 415)
    assert_problem(client.post(f"/api/orders/{order.id}/email", json=EMAIL), 401)
