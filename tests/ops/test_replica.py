"""DATABASE_REPLICA_URL: the CSV export reads from the replica, everything else from the primary."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, insert, select, text

from app import create_app
from app.db.models import Base
from tests.conftest import BACKEND, PG_ADMIN_URL
from tests.mail.conftest import PASSWORD, csrf_from, make_order, make_user


def _fresh_database(tmp_path) -> tuple[str, callable]:
    if BACKEND == "postgres":
        name = f"orderdesk_replica_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, drop
    os.makedirs(tmp_path / "replica", exist_ok=True)
    return f"sqlite:///{tmp_path}/replica/replica.sqlite3", lambda: None


def _copy_rows(source, target_url: str) -> None:
    """The replica's snapshot: every row of the primary as it is now."""
    target = create_engine(target_url)
    with source.connect() as src, target.begin() as dst:
        for table in Base.metadata.sorted_tables:
            rows = [dict(row._mapping) for row in src.execute(select(table))]
            if rows:
                dst.execute(insert(table), rows)
    target.dispose()


def test_the_csv_export_reads_the_replica_and_sign_in_writes_the_primary(app, db_session, org, actor,
                                                                         database_url, tmp_path):
    from flask_migrate import upgrade

    from app.extensions import db

    user = make_user(db_session, org, "manager", "exports@example.com")
    make_order(db_session, actor, poNumber="PO-IN-BOTH")
    replica_url, drop = _fresh_database(tmp_path)
    replica_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": replica_url, "SECRET_KEY": "x"})
    served = None
    try:
        with replica_app.app_context():
            upgrade()
            db.engine.dispose()
        _copy_rows(db.engine, replica_url)
        make_order(db_session, actor, poNumber="PO-PRIMARY-ONLY")  # after the replica's snapshot

        served = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                             "DATABASE_REPLICA_URL": replica_url})
        client = served.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"csrf_token": token, "email": user.email,
                                           "password": PASSWORD}).status_code == 302
        page = client.get("/orders").get_data(as_text=True)
        assert "PO-PRIMARY-ONLY" in page and "PO-IN-BOTH" in page  # pages read the primary
        export = client.get("/orders.csv")
        csv_text = export.get_data(as_text=True)
        assert export.status_code == 200
        assert "PO-IN-BOTH" in csv_text and "PO-PRIMARY-ONLY" not in csv_text
    finally:
        if served is not None:
            with served.app_context():
                served.extensions["orderdesk_replica_engine"].dispose()
                db.engine.dispose()
        with replica_app.app_context():
            db.engine.dispose()
        drop()
