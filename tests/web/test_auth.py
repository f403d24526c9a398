from sqlalchemy import func, select

from app.db.models import LoginFailure
from tests.web.helpers import PASSWORD, csrf_from, login, make_user


def test_sign_in_and_sign_out(client, db_session, org):
    make_user(db_session, org, "manager", "boss@acme.example")
    assert client.get("/orders").status_code == 302
    response = login(client, "Boss@Acme.example")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"  # managers start on the dashboard
    page = client.get("/orders")
    assert page.status_code == 200 and "Manager Tester" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/orders").status_code == 302


def test_wrong_password_and_missing_csrf_are_refused(client, db_session, org):
    make_user(db_session, org, "rep", "rep@acme.example")
    response = login(client, "rep@acme.example", "not-the-password")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    no_csrf = client.post("/login", data={"email": "rep@acme.example", "password": PASSWORD})
    assert no_csrf.status_code in (400, 422)
    assert client.get("/orders").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client, db_session, org):
    make_user(db_session, org, "rep", "rep@acme.example")
    response = login(client, "rep@acme.example", remember="y")
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_next_redirect_is_local_only(app, db_session, org):
    make_user(db_session, org, "rep", "rep@acme.example")
    assert login(app.test_client(), "rep@acme.example", next_url="/orders?q=x").headers["Location"] == "/orders?q=x"
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        assert login(app.test_client(), "rep@acme.example", next_url=evil).headers["Location"] == "/orders", evil


def test_repeated_failures_throttle_the_account_with_a_clear_message(client, db_session, org):
    make_user(db_session, org, "rep", "rep@acme.example")
    for _ in range(5):
        assert login(client, "rep@acme.example", "wrong-password").status_code == 401
    blocked = login(client, "rep@acme.example")  # from a new device even the right password waits
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.get_data(as_text=True)
    assert "Try again in 1 second" in blocked.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(LoginFailure)) == 10  # account + address keys


def test_throttling_by_address_covers_many_accounts(client, db_session, org):
    make_user(db_session, org, "rep", "rep@acme.example")
    for n in range(20):
        login(client, f"nobody{n}@acme.example", "wrong-password")
    assert login(client, "rep@acme.example").status_code == 429


def test_inactive_users_cannot_sign_in(client, db_session, org):
    user = make_user(db_session, org, "rep", "rep@acme.example")
    user.active = False
    db_session.commit()
    assert login(client, "rep@acme.example").status_code == 401
