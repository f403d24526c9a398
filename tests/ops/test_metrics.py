"""/metrics: protected, Prometheus text, counts by route and status, queue depths from the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.db.models import OutboxEmail, utcnow
from app.services import jobs
from tests.ops import jobkinds  # noqa: F401
from tests.seed_examples import SINGLE_CREATE

TOKEN = "metrics-scrape-token"


@pytest.fixture()
def scrape(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    app.extensions["orderdesk_db_collector"].cache_seconds = 0

    def read() -> dict[tuple[str, tuple], float]:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200 and response.mimetype == "text/plain"
        samples = {}
        for family in text_string_to_metric_families(response.get_data(as_text=True)):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    yield read
    app.config["METRICS_TOKEN"] = None


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_not_served_without_a_configured_token_and_refuse_a_wrong_one(app, client):
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = TOKEN
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert "Set-Cookie" not in client.get("/metrics").headers
    finally:
        app.config["METRICS_TOKEN"] = None


def test_requests_are_counted_and_timed_by_route_template_and_status(client, scrape):
    before = scrape()
    for _ in range(3):
        client.get("/healthz")
    client.get("/api/orders/6b1f5ad2-3d6f-4c3e-9d2c-5b8f2f2f2f2f")  # 401, no token
    client.get("/no/such/page")
    after = scrape()
    key = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(after, "orderdesk_http_requests_total", **key) - value(before, "orderdesk_http_requests_total",
                                                                        **key) == 3
    assert value(after, "orderdesk_http_request_duration_seconds_count", **key) - value(
        before, "orderdesk_http_request_duration_seconds_count", **key) == 3
    unauthorized = {"method": "GET", "route": "/api/orders/<uuid:order_id>", "status": "401"}
    assert value(after, "orderdesk_http_requests_total", **unauthorized) >= 1
    assert value(after, "orderdesk_http_requests_total", method="GET", route="<unmatched>", status="404") >= 1
    assert value(after, "orderdesk_db_pool_checkouts_total") > value(before, "orderdesk_db_pool_checkouts_total")
    assert value(after, "orderdesk_db_pool_connections_open") >= 1


def test_outbox_depth_oldest_queued_age_and_jobs_by_state_come_from_the_database(db_session, org, actor, scrape):
    now = utcnow()
    for n, status in enumerate(["queued", "queued", "sent", "failed"]):
        db_session.add(OutboxEmail(organization_id=org.id, recipients=["a@example.com"], subject=f"S{n}",
                                   html_body="", text_body="", status=status, attempts=0,
                                   created_at=now - timedelta(minutes=10 * (n + 1)), next_attempt_at=now))
    db_session.commit()
    jobs.enqueue(db_session, actor, "test.steps", {"steps": 1})
    jobs.enqueue(db_session, actor, "test.steps", {"steps": 1})
    jobs.claim_next(db_session, "w", timedelta(seconds=30))
    samples = scrape()
    assert value(samples, "orderdesk_metrics_database_up") == 1
    assert [value(samples, "orderdesk_outbox_emails", status=s) for s in ("queued", "sent", "failed")] == [2, 1, 1]
    assert 1190 <= value(samples, "orderdesk_outbox_oldest_queued_age_seconds") <= 1300
    assert value(samples, "orderdesk_jobs", state="queued") == 1
    assert value(samples, "orderdesk_jobs", state="running") == 1
    assert value(samples, "orderdesk_jobs", state="succeeded") == 0


def test_orders_created_and_imported_are_counted(client, api_token, scrape):
    import copy

    auth = {"Authorization": f"Bearer {api_token}"}
    before = scrape()
    body = copy.deepcopy(SINGLE_CREATE)
    assert client.post("/api/orders", json=body, headers=auth).status_code == 201
    assert client.post("/api/orders", json=body, headers=auth).status_code == 200
    imported = copy.deepcopy(SINGLE_CREATE)
    imported["externalId"] = "IMPORTED-1"
    assert client.post("/api/orders/bulk", json={"orders": [imported]}, headers=auth).status_code == 201
    after = scrape()

    def delta(**labels):
        return value(after, "orderdesk_orders_written_total", **labels) - value(
            before, "orderdesk_orders_written_total", **labels)

    assert delta(operation="create", outcome="created") == 1
    assert delta(operation="create", outcome="updated") + delta(operation="create", outcome="unchanged") == 1
    assert delta(operation="import", outcome="created") == 1
