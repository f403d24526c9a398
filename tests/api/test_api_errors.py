"""Every error is application/problem+json with the right status, and nothing a client
can send produces a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db.types import guid
from tests.api.helpers import assert_problem, data, order_body
from tests.seed_examples import BULK, CUSTOMER_UPDATE, SHIPPING_UPDATE

WRITES = [
    ("POST", "/api/orders"),
    ("POST", "/api/orders/bulk"),
    ("PUT", "/api/orders/{id}/shipping"),
    ("PUT", "/api/orders/{id}/customer"),
]


@pytest.fixture()
def order_id(api) -> str:
    return data(api.post("/api/orders", order_body()))["data"]["id"]


def write_paths(order_id: str) -> list[tuple[str, str]]:
    return [(method, path.format(id=order_id)) for method, path in WRITES]


@pytest.mark.parametrize("raw, hint", [
    ('{"orders": [', "not valid JSON"),
    ("{'single': 'quotes'}", "not valid JSON"),
    ("", "empty"),
    ("   ", "empty"),
    (b"\xff\xfe{\x00}", "UTF-8"),
    ('{"a": "\\ud800"}', "surrogate"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"tax": ' + "9" * 5000 + "}", "not valid JSON"),
])
def test_malformed_bodies_are_400(api, order_id, raw, hint):
    for method, path in write_paths(order_id):
        problem = assert_problem(api.call(method, path, raw=raw), 400)
        assert hint in problem["detail"]


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/xml", "application/json; charset=latin-1",
])
def test_a_body_that_is_not_json_is_415(api, order_id, content_type):
    for method, path in write_paths(order_id):
        response = api.call(method, path, raw=json.dumps(order_body()), content_type=content_type)
        assert_problem(response, 415)


def test_a_json_body_without_content_type_is_415(api, order_id):
    for method, path in write_paths(order_id):
        response = api.client.open(path, method=method, data=b"{}", headers=api.headers)
        assert_problem(response, 415)


def test_json_subtypes_and_utf8_charset_are_accepted(api):
    for content_type in ("application/json; charset=UTF-8", "application/vnd.orders+json"):
        response = api.post("/api/orders", order_body(), content_type=content_type)
        assert response.status_code in (200, 201)


def test_a_body_over_max_content_length_is_413(app, api, order_id, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    big = json.dumps(order_body(notes="x" * 4000))
    for method, path in write_paths(order_id):
        assert_problem(api.call(method, path, raw=big), 413)


def test_unknown_routes_are_404_problems(api):
    for path in ("/api/nope", "/api/orders/bulk/extra", f"/api/orders/{guid()}/invoices", "/api"):
        assert_problem(api.get(path), 404)


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", "/api/orders/{id}", {"GET"}),
    ("PATCH", "/api/orders", {"GET", "POST"}),
    ("GET", "/api/orders/bulk", {"POST"}),
    ("POST", "/api/orders/{id}/shipping", {"PUT"}),
    ("DELETE", "/api/orders/{id}/customer", {"PUT"}),
])
def test_wrong_methods_are_405_problems_with_allow(api, order_id, method, path, allowed):
    response = api.call(method, path.format(id=order_id), {})
    assert_problem(response, 405)
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("body", [[], "order", 42, None, True, [order_body()]])
def test_wrong_top_level_json_types_are_422(api, order_id, body):
    for method, path in write_paths(order_id):
        raw = json.dumps(body)
        problem = assert_problem(api.call(method, path, raw=raw), 422)
        assert problem["errors"][0]["field"] in ("body", "orders")


# --------------------------------------------------------------------------- never a 500

json_scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.sampled_from(["", " ", "\x00", "NaN", "1e999", "🙂" * 40])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def mutate(document, draw_value, path_choice: int):
    """Replace one node of a JSON document (chosen by index) with an odd value."""
    nodes = []

    def walk(node, parent, key):
        nodes.append((parent, key))
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, node, k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, node, i)

    walk(document, None, None)
    parent, key = nodes[path_choice % len(nodes)]
    if parent is None:
        return draw_value
    parent[key] = draw_value
    return document


FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _bodies():
    return [
        ("POST", "/api/orders", lambda: order_body()),
        ("POST", "/api/orders/bulk", lambda: json.loads(json.dumps(BULK))),
        ("PUT", "/api/orders/{id}/shipping", lambda: json.loads(json.dumps(SHIPPING_UPDATE))),
        ("PUT", "/api/orders/{id}/customer", lambda: json.loads(json.dumps(CUSTOMER_UPDATE))),
    ]


@pytest.mark.parametrize("method, path, make", _bodies(), ids=lambda v: v if isinstance(v, str) else "")
def test_odd_values_anywhere_in_a_body_never_cause_a_server_error(api, order_id, method, path, make):
    @FUZZ
    @given(value=json_values, where=st.integers(min_value=0, max_value=200))
    def run(value, where):
        body = mutate(make(), value, where)
        response = api.call(method, path.format(id=order_id), body)
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"

    run()


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_arbitrary_bytes_never_cause_a_server_error(api, raw):
    for method, path in (("POST", "/api/orders"), ("POST", "/api/orders/bulk")):
        response = api.call(method, path, raw=raw)
        assert response.status_code < 500
        assert response.status_code in (200, 201, 400, 422)


query_keys = st.sampled_from([
    "pageNumber", "pageSize", "sortOn", "sortDirection", "filters", "q", "orderStatus",
    "orderTotal", "orderDate", "createdAt", "sku", "repNumber", "invoiceNumber", "x", "",
])
filter_docs = st.lists(st.fixed_dictionaries({
    "field": st.sampled_from(["orderTotal", "orderDate", "sku", "companyName", "repNumber", "zzz"])
    | json_scalars,
    "operator": st.sampled_from(["eq", "ne", "in", "contains", "startsWith", "gt", "lte", "?"]),
    "value": json_values,
}), max_size=3).map(json.dumps)


@FUZZ
@given(params=st.lists(st.tuples(query_keys, st.text(max_size=40) | filter_docs
                                 | st.sampled_from(["9999-12-31T23:59:59-12:00", "1e999", "-0",
                                                    "%00", "0001-01-01T00:00:00+14:00"])),
                       max_size=5))
def test_garbage_query_parameters_never_cause_a_server_error(api, order_id, params):
    query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params)
    response = api.get(f"/api/orders?{query}")
    assert response.status_code in (200, 422), response.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    "q=%00", "q=a%00b", "orderNumber=%00", "pageSize=%00", "sortOn=%00", "q=%ED%A0%80",
    "q=%FF%FE", "q=" + "x" * 10_000, "pageNumber=99999999999999999999999",
    "pageNumber=10000000&pageSize=100",
    "orderDate=9999-12-31T23:59:59-12:00", "createdAt=0001-01-01T00:00:00%2B05:00",
    "filters=" + quote("[" * 5000 + "]" * 5000), "filters=%FF%FE",
    "filters=" + quote('[{"field":"orderTotal","operator":"gt","value":1e999999}]'),
    "filters=" + quote('[{"field":"orderTotal","operator":"gt","value":"1e-999999"}]'),
    "filters=" + quote('[{"field":"orderTotal","operator":"in","value":[1,"x"]}]'),
    "filters=" + quote('[{"field":"orderDate","operator":"gt","value":"0001-01-01T00:00:00+23:59"}]'),
    "filters=" + quote('[{"field":"sku","operator":"contains","value":"\\u0000"}]'),
    "filters=" + quote('[{"field":["x"],"operator":{"a":1}}]'),
])
def test_hostile_search_queries_are_answered_without_a_server_error(api, order_id, query):
    response = api.get(f"/api/orders?{query}")
    assert response.status_code in (200, 422), response.get_data(as_text=True)


@pytest.mark.parametrize("body", [
    order_body(orderDate="9999-12-31T23:59:59-23:59"),
    order_body(orderDate="0001-01-01T00:00:00+23:59"),
    order_body(orderDate="2024-02-30T00:00:00Z"),
    order_body(tax="1e999999", notes="\x00"),
    order_body(poNumber="🙂" * 101),
])
def test_hostile_create_values_are_422_not_500(api, body):
    response = api.post("/api/orders", body)
    assert_problem(response, 422)


@pytest.mark.parametrize("raw", [
    '{"tax": 1e999999, "items": [{"sku": "a", "quantity": 1e999999999, "price": 1E-99999999}]}',
    '{"items": [{"sku": "a", "quantity": -1e999999999, "price": -0.0}]}',
    '{"customer": {"billingAddress": {"city": 1e400}}, "orderDate": 20240101}',
    '{"orders": [{"tax": Infinity}, {"tax": -Infinity}, {"tax": NaN}]}',
])
def test_huge_and_tiny_numbers_are_422(api, raw):
    for path in ("/api/orders", "/api/orders/bulk"):
        assert_problem(api.post(path, raw=raw), 422)


def test_unicode_round_trips(api):
    body = order_body(notes="Lieferung vor Monatsende — 配送 🙂", poNumber="PO-ÄÖÜ")
    body["customer"]["companyName"] = "Société Générale d'Équipement"
    order_id = data(api.post("/api/orders", body))["data"]["id"]
    order = data(api.get(f"/api/orders/{order_id}"))
    assert order["notes"] == "Lieferung vor Monatsende — 配送 🙂"
    assert order["customer"]["companyName"] == "Société Générale d'Équipement"
    assert data(api.get("/api/orders?q=" + quote("générale")))["totalCount"] == 1
    assert data(api.get("/api/orders?poNumber=" + quote("PO-ÄÖÜ")))["totalCount"] == 1


def test_nul_characters_are_422_naming_every_field(api, db_session):
    body = order_body()
    body["items"][1]["sku"] = "WDG\x00"
    body["customer"]["companyName"] = "\x00"
    body["extra\x00"] = 1
    problem = assert_problem(api.post("/api/orders", body), 422)
    assert {e["field"] for e in problem["errors"]} == {
        "items[1].sku", "customer.companyName", "extra\\u0000"}
    bulk = json.loads(json.dumps(BULK))
    bulk["orders"][1]["items"][0]["sku"] = "\x00"
    problem = assert_problem(api.post("/api/orders/bulk?errorPolicy=rejectFailed", bulk), 422)
    assert [e["field"] for e in problem["errors"]] == ["orders[1].items[0].sku"]
