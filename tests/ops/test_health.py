"""/healthz and /readyz: cheap, sessionless, 503 with a reason when not ready."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

from sqlalchemy import create_engine, text

from app import create_app
from app.db.models import OutboxEmail, utcnow
from tests.conftest import BACKEND, PG_ADMIN_URL


def test_healthz_answers_without_a_session_or_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json() == {"status": "ready"}
    assert "Set-Cookie" not in response.headers


def _missing_database_url(tmp_path) -> tuple[str, str]:
    if BACKEND == "postgres":
        name = f"orderdesk_missing_{uuid.uuid4().hex[:10]}"
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, name
    folder = tmp_path / "not-yet"
    return f"sqlite:///{folder}/orderdesk.sqlite3", str(folder)


def test_readyz_is_503_while_the_database_is_missing_and_200_once_it_exists(tmp_path):
    """Point an app at a database that does not exist: 503 with a reason and no details;
    create and migrate it, and the same app (same pool) answers 200."""
    from flask_migrate import upgrade

    url, name = _missing_database_url(tmp_path)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "reasons": ["database unavailable"]}
    assert response.headers["Retry-After"]
    assert name not in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT") if BACKEND == "postgres" else None
    try:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            os.makedirs(name)
        with app.app_context():
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.get_json()["reasons"] == ["database schema not migrated"]
            upgrade()
        assert client.get("/readyz").status_code == 200
    finally:
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_readyz_refuses_a_schema_behind_the_code_but_accepts_one_ahead(client, db_session):
    (version,) = db_session.execute(text("SELECT version_num FROM alembic_version")).one()
    try:
        db_session.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        db_session.commit()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["reasons"] == ["database schema behind the migrations head"]
        # A newer release's expand migration ran first (rolling deploy): this code still serves.
        db_session.execute(text("UPDATE alembic_version SET version_num = '0099_from_next_release'"))
        db_session.commit()
        assert client.get("/readyz").status_code == 200
    finally:
        db_session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})
        db_session.commit()


def test_readyz_reports_an_outbox_no_worker_is_emptying(app, client, db_session, org):
    stale = OutboxEmail(organization_id=org.id, recipients=["a@example.com"], subject="Waiting", html_body="",
                        text_body="", status="queued", attempts=0, created_at=utcnow(),
                        next_attempt_at=utcnow() - timedelta(hours=1))
    db_session.add(stale)
    db_session.commit()
    assert client.get("/readyz").status_code == 200  # no SMTP configured: emails wait by design
    app.config["SMTP_HOST"] = "127.0.0.1"
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["reasons"] == ["outbox stuck: due emails are not being delivered"]
        stale.claimed_until = utcnow() + timedelta(minutes=5)  # a worker has it in hand
        db_session.commit()
        assert client.get("/readyz").status_code == 200
    finally:
        app.config["SMTP_HOST"] = None
