"""Identifiers that look the same are one identity; every date the API accepts it can
give back and take again; dates out of range are a clear error, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.identifiers import normalize_identifier
from app.domain.orders import format_datetime, parse_datetime
from tests.api.helpers import assert_problem, data, order_body, order_count
from tests.web.helpers import login, make_user

LOOK_ALIKES = ["EXT-LOOK-a", "EXT-LOOK-a\u200b", "EXT-LOOK-ａ", "\u200bEXT-LOOK-a ", "EXT-LOOK-\uff41\ufeff"]


def test_look_alike_external_ids_update_one_order(api, db_session):
    ids = set()
    for external_id in LOOK_ALIKES:
        response = api.post("/api/orders", order_body(externalId=external_id))
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        ids.add(data(response)["data"]["id"])
    assert len(ids) == 1 and order_count(db_session) == 1
    order = data(api.get(f"/api/orders/{ids.pop()}"))
    assert order["externalId"] == "EXT-LOOK-a"


def test_a_cyrillic_look_alike_in_a_latin_id_is_refused_by_name(api, db_session):
    response = api.post("/api/orders", order_body(externalId="EXT-LOOK-\u0430"))
    body = assert_problem(response, 422)
    assert body["errors"] == [{"field": "externalId", "message":
                               "mixes Cyrillic and Latin letters, which look alike; use the letters of one of them"}]
    assert order_count(db_session) == 0


@pytest.mark.parametrize(("field", "value", "said"), [
    ("externalId", "EXT\u202e1", "invisible characters (found U+202E)"),
    ("poNumber", "fine", None),
    ("externalId", "EXT\u00ad1", "invisible characters (found U+00AD)"),
    ("externalId", "\u200b\u200b", "must not be empty"),
])
def test_invisible_characters_in_an_id_are_refused(api, field, value, said):
    response = api.post("/api/orders", order_body(**{field: value}))
    if said is None:
        assert response.status_code == 201
        return
    body = assert_problem(response, 422)
    assert any(e["field"] == field and said in e["message"] for e in body["errors"]), body


def test_a_rep_number_with_a_zero_width_space_is_the_same_rep(api, app, db_session, org):
    make_user(db_session, org, "rep", "rep@acme.example", rep_number="REP-001")
    body = order_body(externalId="E-ZW", primarySalesRep={"repNumber": "REP-001\u200b"})
    assert api.post("/api/orders", body).status_code == 201
    browser = app.test_client()
    login(browser, "rep@acme.example")
    assert "1 order" in browser.get("/orders").get_data(as_text=True)


def test_look_alike_skus_and_customer_numbers_are_stored_normalized(api):
    body = order_body(externalId="E-SKU")
    body["items"][0]["sku"] = "ＳＫＵ-1\u200d"
    body["customer"]["customerNumber"] = " CUST\u2060-9 "
    order = data(api.get(data(api.post("/api/orders", body))["links"][0]["href"]))
    assert order["items"][0]["sku"] == "SKU-1" and order["customer"]["customerNumber"] == "CUST-9"
    found = data(api.get('/api/orders?filters=[{"field":"sku","operator":"eq","value":"ＳＫＵ-1"}]'))
    assert found["totalCount"] == 1


def test_identifier_normalization_is_idempotent():
    for value in LOOK_ALIKES + ["ORD-日本-1", "ЗАК-0001", "ΑΒΓ-1"]:
        once, problem = normalize_identifier(value)
        assert problem is None, value
        assert normalize_identifier(once) == (once, None)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "3000-01-01T00:00:00Z",
                                  "2999-12-31T23:00:00-05:00"])
def test_a_date_outside_1900_to_2999_is_refused_with_a_message(api, when, db_session):
    response = api.post("/api/orders/bulk", {"orders": [order_body(orderDate=when)]})
    body = assert_problem(response, 422)
    assert "in the years 1900–2999" in body["errors"][0]["message"]
    assert order_count(db_session) == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.datetimes(min_value=datetime(1899, 1, 1), max_value=datetime(3001, 1, 1), timezones=st.just(UTC)))
def test_every_accepted_date_is_given_back_in_a_form_that_is_accepted_again(when):
    parsed = parse_datetime(when.isoformat())
    if parsed is None:
        assert not 1900 <= when.year <= 2999
        return
    text = format_datetime(parsed)
    assert len(text) == 20 and text.endswith("Z")
    again = parse_datetime(text)
    assert again == parsed.replace(microsecond=0)
    assert format_datetime(again) == text


def test_an_imported_date_round_trips_through_get_and_reimport(api, db_session):
    created = api.post("/api/orders/bulk", {"orders": [order_body(externalId="E-OLD", orderDate="1900-01-01T00:00:00Z")]})
    assert created.status_code == 201, created.get_data(as_text=True)
    order = data(api.get(data(created)[0]["links"][0]["href"]))
    assert order["orderDate"] == "1900-01-01T00:00:00Z"
    again = api.post("/api/orders/bulk", {"orders": [order_body(externalId="E-OLD", orderDate=order["orderDate"])]})
    assert again.status_code == 201 and order_count(db_session) == 1


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=9999-12-31", "to=0001-01-01", "from=2026-13-45",
                                   "to=99999-01-01"])
def test_an_out_of_range_date_filter_is_a_400_on_the_page_fragment_and_csv(manager, query):
    for path, headers in (("/orders", {}), ("/orders", {"HX-Request": "true"}), ("/orders.csv", {})):
        response = manager.get(f"{path}?{query}", headers=headers)
        assert response.status_code == 400, (path, query)
        assert "1900–2999" in response.get_data(as_text=True) or "date" in response.get_data(as_text=True)
