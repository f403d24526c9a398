"""Per-token API rate limits shared by every process through the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app import create_app
from app.services import accounts, ratelimit


@pytest.fixture()
def limited(app):
    app.config["API_RATE_LIMIT"] = "3/minute"
    yield
    app.config["API_RATE_LIMIT"] = "off"


def test_limits_parse_and_off_disables():
    assert ratelimit.parse_limit("1200/minute") == ratelimit.Limit(1200, 60)
    assert ratelimit.parse_limit("20 per second") == ratelimit.Limit(20, 1)
    assert ratelimit.parse_limit("off") is None and ratelimit.parse_limit("0") is None
    with pytest.raises(ValueError):
        ratelimit.parse_limit("lots")


def test_over_the_limit_is_a_429_problem_with_retry_after(client, api_token, limited):
    auth = {"Authorization": f"Bearer {api_token}"}
    answers = [client.get("/api/orders", headers=auth) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["status"] == 429 and "3 requests per minute" in refused.get_json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Limit"] == "3"


def test_each_token_has_its_own_count(client, db_session, org, api_token, limited):
    other = accounts.create_token(db_session, org, "Second integration").secret
    db_session.commit()
    for _ in range(3):
        client.get("/api/orders", headers={"Authorization": f"Bearer {api_token}"})
    assert client.get("/api/orders", headers={"Authorization": f"Bearer {api_token}"}).status_code == 429
    assert client.get("/api/orders", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_the_count_is_shared_by_separate_app_processes(app, client, database_url, api_token, limited):
    """A second app (as another gunicorn worker or host would be) sees the same count."""
    second = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                         "API_RATE_LIMIT": "3/minute"})
    auth = {"Authorization": f"Bearer {api_token}"}
    try:
        assert client.get("/api/orders", headers=auth).status_code == 200
        with second.test_client() as other:
            assert other.get("/api/orders", headers=auth).status_code == 200
            assert other.get("/api/orders", headers=auth).status_code == 200
        assert client.get("/api/orders", headers=auth).status_code == 429
    finally:
        from app.extensions import db

        with second.app_context():
            db.engine.dispose()


def test_a_new_window_starts_a_new_count_and_old_windows_are_purged(db_session, org):
    limit = ratelimit.Limit(2, 60)
    t0 = datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC)
    assert [ratelimit.hit(db_session, org.id, "tok", limit, t0).allowed for _ in range(3)] == [True, True, False]
    assert ratelimit.hit(db_session, org.id, "tok", limit, t0.replace(minute=1)).allowed is True
    assert ratelimit.purge(db_session, now=t0.replace(day=3)) == 2
