"""Guessing passwords is slowed down without handing anyone a lock-out: the owner on a
device they signed in with before still gets in, delays grow instead of locking, the
client address comes from X-Forwarded-For only through trusted proxies, every decision
is logged, and an unknown email costs the same password check as a known one."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from app.services import accounts
from app.services.login_throttle import FREE_PER_ACCOUNT, MAX_DELAY, delay_after
from tests.web.helpers import login, make_user

EMAIL = "rep@acme.example"


@pytest.fixture()
def rep(db_session, org):
    return make_user(db_session, org, "rep", EMAIL, rep_number="REP-1")


def _sign_out(client) -> None:
    client.delete_cookie("session")
    client.delete_cookie("remember_token")


def test_delays_grow_with_each_failure_and_never_become_a_lock_out():
    assert delay_after(FREE_PER_ACCOUNT - 1, FREE_PER_ACCOUNT) == timedelta(0)
    waits = [delay_after(n, FREE_PER_ACCOUNT) for n in range(FREE_PER_ACCOUNT, FREE_PER_ACCOUNT + 6)]
    assert waits == [timedelta(seconds=s) for s in (1, 2, 4, 8, 16, 32)]
    assert delay_after(10_000, FREE_PER_ACCOUNT) == MAX_DELAY


def test_the_owner_on_a_known_device_signs_in_while_someone_else_guesses(app, rep):
    owner = app.test_client()
    assert login(owner, EMAIL).status_code == 302  # this browser becomes a known device
    _sign_out(owner)
    attacker = app.test_client()
    for _ in range(FREE_PER_ACCOUNT + 3):
        attacker_answer = login(attacker, EMAIL, "guess-guess")
    assert attacker_answer.status_code == 429
    assert login(app.test_client(), EMAIL).status_code == 429  # a new device waits its turn
    assert login(owner, EMAIL).status_code == 302  # the owner's device does not


def test_a_known_device_is_throttled_by_its_own_failures(app, rep):
    owner = app.test_client()
    login(owner, EMAIL)
    _sign_out(owner)
    for _ in range(FREE_PER_ACCOUNT):
        assert login(owner, EMAIL, "fat-fingered").status_code == 401
    assert login(owner, EMAIL).status_code == 429


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(app, monkeypatch, rep):
    client = app.test_client()
    for n in range(20):
        login(client, f"nobody{n}@acme.example", "wrong", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    # Every attempt came from 127.0.0.1 whatever the header said: that address now waits.
    assert login(client, EMAIL, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(app, monkeypatch, rep):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", ("127.0.0.0/8",))
    client = app.test_client()
    for n in range(20):
        login(client, f"nobody{n}@acme.example", "wrong", headers={"X-Forwarded-For": "203.0.113.9"})
    assert login(client, EMAIL, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
    other = app.test_client()
    assert login(other, EMAIL, headers={"X-Forwarded-For": "198.51.100.7, 127.0.0.1"}).status_code == 302


def test_every_throttle_decision_is_logged(app, caplog, rep):
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="orderdesk.auth"):
        for _ in range(FREE_PER_ACCOUNT + 1):
            login(client, EMAIL, "wrong-wrong")
    messages = [r.getMessage() for r in caplog.records if r.name == "orderdesk.auth"]
    assert sum("sign-in failed" in m for m in messages) == FREE_PER_ACCOUNT
    throttled = [m for m in messages if "sign-in throttled" in m]
    assert len(throttled) == 1 and EMAIL in throttled[0] and "127.0.0.1" in throttled[0]
    assert all("wrong-wrong" not in m for m in messages)


def test_an_unknown_email_costs_the_same_password_check_as_a_known_one(app, monkeypatch, rep):
    checked: list[str] = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: checked.append(h.split("$")[0]) or real(h, p))
    assert login(app.test_client(), "nobody@acme.example", "whatever-1").status_code == 401
    assert login(app.test_client(), EMAIL, "whatever-1").status_code == 401
    assert len(checked) == 2 and checked[0] == checked[1] == rep.password_hash.split("$")[0]


def test_a_next_url_with_a_line_break_lands_on_the_orders_page(app, rep):
    response = login(app.test_client(), EMAIL, next_url="/%0d%0aX-Injected:%201")
    assert response.status_code == 302 and response.headers["Location"] == "/orders"
    assert "X-Injected" not in response.headers
