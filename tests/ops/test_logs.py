"""Request ids and JSON log lines: matched to a user's report, never leaking secrets."""

from __future__ import annotations

import json
import logging

import pytest

from app.ops.logs import REQUEST_LOGGER, JsonFormatter
from tests.mail.conftest import csrf_from, make_order, make_user, sign_in


def _json_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records]


def _request_lines(caplog) -> list[dict]:
    return [line for line in _json_lines(caplog) if line["logger"] == REQUEST_LOGGER]


def test_a_request_id_is_generated_and_returned(client):
    response = client.get("/healthz")
    assert len(response.headers["X-Request-ID"]) == 32


def test_a_sane_client_request_id_is_kept_and_a_hostile_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1:2_x"}).headers["X-Request-ID"] == "lb-7f3a.1:2_x"
    for hostile in ("has space", "x" * 129, "quote\"d", "<script>", "", "-starts-with-dash"):
        returned = client.get("/healthz", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
        assert returned != hostile and len(returned) == 32


def test_one_json_line_per_request_with_route_status_duration_and_who(client, db_session, org, api_token, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    order = make_order(db_session, _actor(org))
    response = client.get(f"/api/orders/{order.id}?x=secret-query", headers={
        "Authorization": f"Bearer {api_token}", "X-Request-ID": "report-123"})
    assert response.status_code == 200
    [line] = _request_lines(caplog)
    assert line["request_id"] == "report-123" and line["level"] == "info"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/api/orders/<uuid:order_id>", 200)
    assert line["organization"] == org.id and line["token"] == "Test ERP"
    assert isinstance(line["duration_ms"], float) and line["time"].endswith("Z")
    assert "secret-query" not in json.dumps(line) and api_token not in json.dumps(line)


def test_a_signed_in_user_is_named_by_id_and_passwords_never_reach_the_log(client, db_session, org, caplog):
    caplog.set_level(logging.DEBUG)
    user = make_user(db_session, org, "manager", "boss@example.com")
    sign_in(client, user)
    client.get("/orders")
    text = "\n".join(json.dumps(line) for line in _json_lines(caplog))
    assert "mail-pass-1" not in text
    orders_line = [line for line in _request_lines(caplog) if line["route"] == "/orders"][-1]
    assert orders_line["user"] == user.id and orders_line["organization"] == org.id
    # A view that commits (expiring the user object) is still attributed.
    order = make_order(db_session, _actor(org))
    token = csrf_from(client.get(f"/orders/{order.id}").get_data(as_text=True))
    assert client.post(f"/orders/{order.id}/status", data={"csrf_token": token, "status": "Processing"},
                       headers={"HX-Request": "true"}).status_code == 200
    status_line = [line for line in _request_lines(caplog) if line["route"] == "/orders/<order_id>/status"][-1]
    assert status_line["user"] == user.id and status_line["organization"] == org.id


def test_emails_bodies_and_bearer_tokens_stay_out_of_the_log(client, db_session, org, api_token, caplog):
    caplog.set_level(logging.DEBUG)
    order = make_order(db_session, _actor(org), companyName="Zebra Secretive Body Co")
    response = client.post(f"/api/orders/{order.id}/email", json={"emailAddresses": ["buyer@example.com"]},
                           headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 200
    text = "\n".join(json.dumps(line) for line in _json_lines(caplog))
    assert api_token not in text and "Zebra Secretive Body Co" not in text


@pytest.fixture()
def broken_orders_page(monkeypatch):
    from app.services import search as search_service

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(search_service, "search_orders", broken)


def test_the_500_page_and_the_error_log_carry_the_same_request_id(client, db_session, org, caplog,
                                                                   broken_orders_page):
    sign_in(client, make_user(db_session, org, "manager", "m500@example.com"))
    response = client.get("/orders", headers={"X-Request-ID": "user-report-500"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "user-report-500"
    assert "Reference for support: <code>user-report-500</code>" in html
    assert "database on fire" not in html
    [error] = [line for line in _json_lines(caplog) if line["level"] == "error"]
    assert error["request_id"] == "user-report-500"
    assert "RuntimeError: database on fire" in error["traceback"] and "Traceback" in error["traceback"]


def test_a_500_problem_names_its_request_id(client, api_token, monkeypatch, caplog):
    from app.services import search as search_service

    monkeypatch.setattr(search_service, "search_orders", lambda *a, **k: 1 / 0)
    response = client.get("/api/orders", headers={"Authorization": f"Bearer {api_token}"})
    body = response.get_json()
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert body["requestId"] == response.headers["X-Request-ID"]
    assert "ZeroDivisionError" not in response.get_data(as_text=True)


def _actor(org):
    from app.services.context import Actor

    return Actor(organization_id=org.id, name="Test Admin")
