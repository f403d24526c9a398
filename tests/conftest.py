"""Shared fixtures.

The database is chosen by ``ORDERDESK_TEST_DB``: ``sqlite`` (default, a fresh file per
run) or ``postgres`` (a fresh database per run on ``TEST_POSTGRES_URL``, dropped at
the end). The schema always comes from the Alembic migrations."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app import create_app
from app.db.models import Base
from app.services import accounts
from app.services.context import Actor

BACKEND = os.environ.get("ORDERDESK_TEST_DB", "sqlite").lower()
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    # A test of one database's own machinery (PostgreSQL's trigram plans, SQLite's FTS
    # table) is skipped on the other.
    other, reason = (("sqlite_only", "SQLite only (the default run)") if BACKEND == "postgres"
                     else ("postgres_only", "PostgreSQL only (ORDERDESK_TEST_DB=postgres)"))
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if other in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if BACKEND == "postgres":
        name = f"orderdesk_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        try:
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        with tempfile.TemporaryDirectory(prefix="orderdesk-test-") as tmp:
            yield f"sqlite:///{tmp}/test.sqlite3"


class IsolatedClient(FlaskClient):
    """Tests hold an app context open (for ``db_session``), and Flask reuses it for test
    requests, so ``g`` would carry one request's signed-in user or API actor into the
    next. Start every request with an empty ``g``, as it is in production."""

    def open(self, *args, **kwargs):
        from flask import g

        for key in list(g):
            g.pop(key)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": True,
        "SMTP_HOST": None,
        # Tests that are about the limit turn it on; the rest would only pay its write.
        "API_RATE_LIMIT": "off",
    })
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
    yield application
    from app.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.fixture()
def db_session(app) -> Iterator[Session]:
    """The app's session inside an app context, every table emptied afterwards."""
    from app.extensions import db

    ctx = app.app_context()
    ctx.push()
    try:
        yield db.session
    finally:
        db.session.rollback()
        db.session.remove()
        _empty_tables(db.engine)
        ctx.pop()


def _empty_tables(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture()
def org(db_session):
    organization = accounts.create_organization(db_session, "Acme Wholesale", tiers=["Wholesale", "Retail"])
    db_session.commit()
    return organization


@pytest.fixture()
def actor(org) -> Actor:
    return Actor(organization_id=org.id, name="Test Admin")


@pytest.fixture()
def api_token(db_session, org) -> str:
    issued = accounts.create_token(db_session, org, "Test ERP")
    db_session.commit()
    return issued.secret


@pytest.fixture()
def client(app, db_session):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def live_server(app, db_session) -> Iterator[str]:
    """The app served over HTTP on a free local port, for browsers and HTTP tools."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture()
def worker(app, db_session) -> Iterator[object]:
    """A real background worker (emails and jobs) in a thread for the test's duration,
    polling every 50 ms, as ``flask --app app worker`` would."""
    from app.ops.worker import Worker

    def run() -> None:
        with app.app_context():
            running.run()

    running = Worker(app, min_sleep=0.05, max_sleep=0.2)
    thread = threading.Thread(target=run, name="test-worker", daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.stop()
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
