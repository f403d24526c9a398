"""Sessions end when they should: signing out ends every copy of the session, a password
change or a deactivation ends all of the user's sessions, remember-me cookies expire,
and sign-in starts a new session."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import update

from app.config import load_settings
from app.db.models import UserSession, utcnow
from app.services import accounts
from tests.web.helpers import csrf_from, login, make_user

EMAIL = "rep@acme.example"


@pytest.fixture()
def rep(db_session, org):
    return make_user(db_session, org, "rep", EMAIL, rep_number="REP-1")


def _copy_cookies(source, target, names=("session", "remember_token")) -> None:
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def _signed_in(client) -> bool:
    return client.get("/orders").status_code == 200


def _sign_out(client) -> None:
    token = csrf_from(client.get("/orders").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_signing_out_ends_the_session_everywhere_it_was_copied(app, rep):
    browser = app.test_client()
    login(browser, EMAIL, remember="y")
    copied, remembered = app.test_client(), app.test_client()
    _copy_cookies(browser, copied)
    _copy_cookies(browser, remembered, names=("remember_token",))
    assert _signed_in(copied) and _signed_in(remembered)
    _sign_out(browser)
    assert not _signed_in(browser)
    assert not _signed_in(copied)
    assert not _signed_in(remembered)


def test_a_password_change_ends_all_of_the_users_sessions(app, db_session, rep):
    first, second = app.test_client(), app.test_client()
    login(first, EMAIL)
    login(second, EMAIL, remember="y")
    assert _signed_in(first) and _signed_in(second)
    accounts.set_password(db_session, rep, "a-new-password-1")
    db_session.commit()
    assert not _signed_in(first) and not _signed_in(second)
    assert login(app.test_client(), EMAIL, "a-new-password-1").status_code == 302


def test_a_deactivated_user_is_signed_out_everywhere_and_stays_out_when_reactivated(app, db_session, rep):
    browser = app.test_client()
    login(browser, EMAIL, remember="y")
    assert _signed_in(browser)
    accounts.set_active(db_session, rep, False)
    db_session.commit()
    assert not _signed_in(browser)
    accounts.set_active(db_session, rep, True)
    db_session.commit()
    assert not _signed_in(browser)  # the old session was ended, not paused


def test_a_session_not_kept_signed_in_ends_after_its_idle_time(app, db_session, rep):
    browser = app.test_client()
    login(browser, EMAIL)
    assert _signed_in(browser)
    db_session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    assert not _signed_in(browser)


def test_remember_me_cookies_expire_after_the_configured_days(app, rep):
    response = login(app.test_client(), EMAIL, remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert abs(expires - (utcnow() + timedelta(days=14))) < timedelta(minutes=5)
    assert "HttpOnly" in cookie


def test_remember_me_cookies_follow_the_session_cookies_secure_flag(monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("REMEMBER_COOKIE_DAYS", "3")
    config = load_settings().as_flask_config("/tmp")
    assert config["REMEMBER_COOKIE_SECURE"] is True and config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=3)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    assert load_settings().as_flask_config("/tmp")["REMEMBER_COOKIE_SECURE"] is False


def test_signing_in_starts_a_new_session(app, rep):
    browser = app.test_client()
    browser.get("/login")
    with browser.session_transaction() as session:
        session["planted"] = "by someone else"
    before = browser.get_cookie("session").value
    planted = app.test_client()
    planted.set_cookie("session", before)
    login(browser, EMAIL)
    assert browser.get_cookie("session").value != before
    with browser.session_transaction() as session:
        assert "planted" not in session
    assert _signed_in(browser) and not _signed_in(planted)


def test_a_forged_or_foreign_session_token_signs_nobody_in(app, rep):
    browser = app.test_client()
    for token in ("", rep.id, f"{rep.organization_id}.{'x' * 43}", "a" * 500):
        with browser.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        assert not _signed_in(browser), token


def test_operator_commands_end_a_users_sessions(app, db_session, rep):
    browser = app.test_client()
    login(browser, EMAIL, remember="y")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "set-password", "--email", EMAIL, "--password", "brand-new-pass"])
    assert result.exit_code == 0 and "sessions were ended" in result.output
    assert not _signed_in(browser)
    login(browser, EMAIL, "brand-new-pass")
    assert _signed_in(browser)
    assert runner.invoke(args=["users", "deactivate", "--email", EMAIL]).exit_code == 0
    assert not _signed_in(browser)
    assert login(browser, EMAIL, "brand-new-pass").status_code == 401
    assert runner.invoke(args=["users", "activate", "--email", EMAIL]).exit_code == 0
    assert login(browser, EMAIL, "brand-new-pass").status_code == 302
    missing = runner.invoke(args=["users", "deactivate", "--email", "nobody@acme.example"])
    assert missing.exit_code == 1 and "No user" in missing.output
