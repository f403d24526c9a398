"""Duplicate JSON keys are refused; private answers are never cached; a dropped
database connection costs no request."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text

from tests.api.helpers import assert_problem, order_body, order_count


def test_a_body_with_a_key_twice_is_a_400_naming_the_key(api, db_session):
    raw = '{"poNumber": "PO-1", "orderType": "Direct", "poNumber": "PO-2"}'
    body = assert_problem(api.post("/api/orders", raw=raw), 400)
    assert '"poNumber" twice' in body["detail"]
    nested = assert_problem(api.post("/api/orders/bulk", raw='{"orders": [{"customer": {"a": 1, "a": 2}}]}'), 400)
    assert '"a" twice' in nested["detail"]
    assert order_count(db_session) == 0


def test_distinct_keys_in_different_objects_are_fine(api):
    body = order_body(externalId="E-KEYS")
    assert api.post("/api/orders", body).status_code == 201


def test_signed_in_pages_exports_and_api_answers_are_never_stored(manager, api):
    order_id = api.post("/api/orders", order_body()).get_json()["data"]["id"]
    for path in ("/orders", "/orders.csv", f"/orders/{order_id}", f"/orders/{order_id}/confirmation.pdf",
                 f"/orders/{order_id}/print", "/orders/new", "/outbox"):
        response = manager.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    for path in ("/api/orders", f"/api/orders/{order_id}"):
        assert api.get(path).headers["Cache-Control"] == "no-store", path
    assert api.get("/api/orders/nope").headers["Cache-Control"] == "no-store"


def test_public_static_files_stay_cacheable(app, manager):
    with app.test_request_context():
        from flask import url_for

        path = url_for("static", filename="vendor/htmx-2.0.11.min.js")
    response = manager.get(path)
    response.close()
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.postgres_only
def test_a_connection_closed_by_the_database_costs_no_request(app, manager, database_url):
    assert manager.get("/orders").status_code == 200
    admin = create_engine(database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(text("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                       "where datname = :name"), {"name": database_url.rsplit("/", 1)[1]}).scalar()
    finally:
        admin.dispose()
    assert killed >= 1
    assert manager.get("/orders").status_code == 200


@pytest.mark.postgres_only
def test_a_connection_lost_in_the_middle_of_a_read_is_retried_once(app, manager, database_url):
    from app.extensions import db

    admin = create_engine(database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    killed: list[int] = []

    def kill_own_backend(conn, cursor, statement, parameters, context, executemany):
        if not killed and "order_facet_counts" in statement:
            pid = conn.exec_driver_sql("select pg_backend_pid()").scalar()
            with admin.connect() as other:
                other.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
            killed.append(pid)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", kill_own_backend)
    try:
        response = manager.get("/orders")
    finally:
        event.remove(engine, "before_cursor_execute", kill_own_backend)
        admin.dispose()
    assert killed and response.status_code == 200
