"""Endpoint behaviour: create, bulk import with both error policies, read, search and
the partial updates with their status locks."""

from __future__ import annotations

import copy
import json
from urllib.parse import quote

import pytest

from app.db.models import Invoice
from app.db.types import guid
from app.services.orders import change_status
from tests.api.helpers import assert_problem, data, order_body, order_count
from tests.seed_examples import BULK


def bulk_orders() -> list[dict]:
    return copy.deepcopy(BULK["orders"])


def create(api, **changes) -> dict:
    response = api.post("/api/orders", order_body(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return data(response)["data"]


# --------------------------------------------------------------------------- create


def test_create_reports_every_violation_with_its_path_and_writes_nothing(api, db_session):
    body = order_body(poNumber=None, currencyCode="XXQ", tax=-1)
    body["items"][1]["quantity"] = 0
    body["items"][0]["price"] = "12.50"
    body["customer"]["companyEmail"] = "not-an-email"
    problem = assert_problem(api.post("/api/orders", body), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert {"poNumber", "currencyCode", "tax", "items[1].quantity", "items[0].price",
            "customer.companyEmail"} <= fields
    assert all(e["message"] for e in problem["errors"])
    assert order_count(db_session) == 0


def test_nan_and_infinity_are_validation_errors_naming_the_field(api):
    text = json.dumps(order_body()).replace('"tax": 28.8', '"tax": NaN')
    text = text.replace('"price": 12.5', '"price": Infinity')
    problem = assert_problem(api.post("/api/orders", raw=text), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert {"tax", "items[0].price"} <= fields


def test_create_without_external_id_always_creates(api, db_session):
    first = create(api, externalId=None)
    second = create(api, externalId=None)
    assert first["id"] != second["id"]
    assert order_count(db_session) == 2


def test_changed_resubmission_updates_the_order_in_place(api):
    created = create(api)
    response = api.post("/api/orders", order_body(poNumber="PO-CHANGED"))
    assert response.status_code == 200
    assert data(response)["data"] == created
    assert data(api.get(f"/api/orders/{created['id']}"))["poNumber"] == "PO-CHANGED"


# --------------------------------------------------------------------------- bulk


def test_bulk_reject_all_lists_every_error_indexed_and_writes_nothing(api, db_session):
    orders = bulk_orders() + bulk_orders()
    orders[2]["externalId"], orders[2]["orderNumber"] = "ERP-3", "ORD-3"
    orders[3]["externalId"], orders[3]["orderNumber"] = "ERP-4", "ORD-4"
    orders[2]["items"][0]["price"] = -4
    orders[3]["customer"]["companyName"] = ""
    problem = assert_problem(api.post("/api/orders/bulk?errorPolicy=rejectAll", {"orders": orders}), 422)
    fields = [e["field"] for e in problem["errors"]]
    assert "orders[2].items[0].price" in fields
    assert "orders[3].customer.companyName" in fields
    assert all(f.startswith(("orders[2].", "orders[3].")) for f in fields)
    assert order_count(db_session) == 0


def test_bulk_default_policy_is_reject_all(api, db_session):
    orders = bulk_orders()
    orders[1]["items"] = []
    problem = assert_problem(api.post("/api/orders/bulk", {"orders": orders}), 422)
    assert [e["field"] for e in problem["errors"]] == ["orders[1].items"]
    assert order_count(db_session) == 0


def test_bulk_reject_failed_writes_valid_orders_and_returns_errors_in_their_slots(api, db_session):
    orders = bulk_orders()
    orders.insert(1, {**bulk_orders()[0], "externalId": "ERP-BAD", "orderNumber": "ORD-BAD",
                      "priceTier": "Platinum"})
    response = api.post("/api/orders/bulk?errorPolicy=rejectFailed", {"orders": orders})
    assert response.status_code == 201
    results = data(response)
    assert len(results) == 3
    assert results[0]["data"]["orderNumber"] == "ORD-2023-001"
    assert set(results[1]) == {"errors"}
    assert results[1]["errors"][0]["field"] == "orders[1].priceTier"
    assert results[2]["data"]["orderNumber"] == "ORD-2023-002"
    assert order_count(db_session) == 2


def test_bulk_duplicates_in_one_request_fail_both(api):
    orders = bulk_orders()
    orders[1]["externalId"] = orders[0]["externalId"]
    results = data(api.post("/api/orders/bulk?errorPolicy=rejectFailed", {"orders": orders}))
    assert [set(r) for r in results] == [{"errors"}, {"errors"}]
    assert results[0]["errors"][0]["field"] == "orders[0].externalId"


@pytest.mark.parametrize("body, field", [
    ({"orders": []}, "orders"),
    ({"orders": "x"}, "orders"),
    ({}, "orders"),
    ([], "body"),
    ({"orders": [1, None]}, "orders[0]"),
])
def test_bulk_rejects_bodies_that_are_not_1_to_1000_orders(api, body, field):
    problem = assert_problem(api.post("/api/orders/bulk", body), 422)
    assert problem["errors"][0]["field"] == field


def test_bulk_rejects_more_than_1000_orders(api, db_session):
    order = bulk_orders()[1]
    problem = assert_problem(api.post("/api/orders/bulk", {"orders": [order] * 1001}), 422)
    assert problem["errors"][0]["field"] == "orders"
    assert "1000" in problem["errors"][0]["message"]
    assert order_count(db_session) == 0


def test_bulk_accepts_exactly_1000_orders(api, db_session):
    orders = []
    for n in range(1000):
        order = bulk_orders()[1]
        order["externalId"], order["orderNumber"] = f"ERP-{n}", f"HIST-{n:05d}"
        orders.append(order)
    response = api.post("/api/orders/bulk", {"orders": orders})
    assert response.status_code == 201
    assert [r["data"]["orderNumber"] for r in data(response)] == [o["orderNumber"] for o in orders]
    assert order_count(db_session) == 1000


def test_bulk_unknown_error_policy_is_422_naming_the_choices(api):
    problem = assert_problem(api.post("/api/orders/bulk?errorPolicy=yolo", BULK), 422)
    assert problem["errors"][0]["field"] == "errorPolicy"
    assert "rejectAll" in problem["errors"][0]["message"]


# --------------------------------------------------------------------------- read


def test_get_returns_the_full_order_object_with_invoice_numbers(api, db_session, org):
    created = create(api)
    db_session.add(Invoice(organization_id=org.id, order_id=created["id"],
                           invoice_number="INV-0002", amount=479))
    db_session.add(Invoice(organization_id=org.id, order_id=created["id"],
                           invoice_number="INV-0001", amount=1))
    db_session.commit()
    order = data(api.get(f"/api/orders/{created['id']}"))
    assert order["invoiceNumbers"] == ["INV-0001", "INV-0002"]
    assert order["id"] == created["id"] and order["organizationId"] == org.id
    for key in ("orderNumber", "orderDate", "orderStatus", "orderType", "poNumber", "priceTier",
                "currencyCode", "terms", "channel", "externalId", "notes", "customer",
                "primarySalesRep", "items", "shippingDetails", "tax", "taxFormatted", "subtotal",
                "orderTotal", "discountAmount", "active", "createdAt", "updatedAt"):
        assert key in order


def test_get_accepts_the_id_in_upper_case(api):
    created = create(api)
    assert api.get(f"/api/orders/{created['id'].upper()}").status_code == 200


@pytest.mark.parametrize("order_id", [guid(), "not-a-guid", "1", "x" * 40])
def test_unknown_ids_are_404_problems(api, order_id):
    assert_problem(api.get(f"/api/orders/{order_id}"), 404)


# --------------------------------------------------------------------------- updates


def test_shipping_update_keeps_an_omitted_address_and_clears_an_explicit_null(api):
    order_id = create(api)["id"]
    kept = data(api.put(f"/api/orders/{order_id}/shipping", {"method": "Pickup", "total": 0}))
    assert kept["shippingDetails"]["shippingAddress"]["city"] == "Portland"
    assert kept["shippingDetails"]["method"] == "Pickup"
    assert str(kept["orderTotal"]) == "460.80"
    cleared = data(api.put(f"/api/orders/{order_id}/shipping",
                           {"method": "Pickup", "total": 0, "shippingAddress": None}))
    assert cleared["shippingDetails"]["shippingAddress"] is None
    assert cleared["customer"]["shippingAddress"] is None


def test_shipping_update_requires_method_and_total(api):
    order_id = create(api)["id"]
    problem = assert_problem(api.put(f"/api/orders/{order_id}/shipping", {"total": "x"}), 422)
    assert {e["field"] for e in problem["errors"]} == {"method", "total"}


def test_customer_update_keeps_omitted_fields_and_clears_explicit_nulls(api):
    order_id = create(api)["id"]
    order = data(api.put(f"/api/orders/{order_id}/customer", {
        "customerNumber": "CUST-1042", "companyName": "Renamed", "companyPhone": None,
    }))
    customer = order["customer"]
    assert customer["companyName"] == "Renamed"
    assert customer["companyPhone"] is None
    assert customer["companyEmail"] == "orders@brightfield.example"
    assert customer["billingAddress"]["city"] == "Portland"


def test_shipping_is_locked_once_shipped_with_409_and_the_reason(api, db_session, actor):
    order_id = create(api)["id"]
    change_status(db_session, actor, order_id, "Processing")
    change_status(db_session, actor, order_id, "Shipped")
    problem = assert_problem(api.put(f"/api/orders/{order_id}/shipping",
                                     {"method": "Pickup", "total": 0}), 409)
    assert "Pending or Processing" in problem["detail"]
    assert data(api.get(f"/api/orders/{order_id}"))["shippingDetails"]["method"] == "FedEx Ground"


def test_customer_is_locked_on_a_cancelled_order(api, db_session, actor):
    order_id = create(api)["id"]
    change_status(db_session, actor, order_id, "Cancelled")
    problem = assert_problem(api.put(f"/api/orders/{order_id}/customer",
                                     {"customerNumber": "C", "companyName": "N"}), 409)
    assert "Cancelled" in problem["detail"]


def test_updates_of_unknown_orders_are_404(api):
    assert_problem(api.put(f"/api/orders/{guid()}/shipping", {"method": "m", "total": 1}), 404)
    assert_problem(api.put(f"/api/orders/{guid()}/customer",
                           {"customerNumber": "C", "companyName": "N"}), 404)


# --------------------------------------------------------------------------- search


@pytest.fixture()
def catalogue(api, db_session, org):
    """Five orders with distinct values for every filterable field."""
    orders = []
    for n in range(5):
        order = bulk_orders()[n % 2]
        order.update(
            externalId=f"EXT-{n}", orderNumber=f"ORD-9{n:04d}", poNumber=f"PO-{n}",
            orderDate=f"2024-0{n + 1}-10T12:00:00Z", channel=["Web", "Phone"][n % 2],
            terms=["Net30", "Net60", "COD", "Net30", "Net60"][n],
            orderStatus=["Pending", "Processing", "Shipped", "Complete", "Cancelled"][n],
            orderType=["EDI", "Direct", "Web", "EDI", "Direct"][n],
        )
        order["customer"] = {"customerNumber": f"CUST-{n}", "companyName": f"Company {n} Ltd"}
        order["primarySalesRep"] = {"repNumber": f"REP-{n}"}
        if n == 4:
            order["takenBySalesRep"] = {"repNumber": "REP-0"}
        order["items"] = [{"sku": f"SKU-{n}", "quantity": n + 1, "price": 10}]
        orders.append(order)
    results = data(api.post("/api/orders/bulk", {"orders": orders}))
    ids = [r["data"]["id"] for r in results]
    db_session.add(Invoice(organization_id=org.id, order_id=ids[3], invoice_number="INV-77", amount=40))
    db_session.commit()
    return ids


def search(api, query: str) -> dict:
    response = api.get(f"/api/orders?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return data(response)


def numbers(page: dict) -> list[str]:
    return [o["orderNumber"] for o in page["items"]]


def filt(*filters: dict) -> str:
    return "filters=" + quote(json.dumps(list(filters)))


@pytest.mark.parametrize("query, expected", [
    (filt({"field": "orderStatus", "operator": "eq", "value": "Shipped"}), ["ORD-90002"]),
    ("orderStatus=Shipped", ["ORD-90002"]),
    (filt({"field": "orderStatus", "operator": "ne", "value": "Shipped"}),
     ["ORD-90000", "ORD-90001", "ORD-90003", "ORD-90004"]),
    (filt({"field": "orderNumber", "operator": "in", "value": ["ORD-90001", "ORD-90003"]}),
     ["ORD-90001", "ORD-90003"]),
    (filt({"field": "companyName", "operator": "contains", "value": "company 2"}), ["ORD-90002"]),
    (filt({"field": "poNumber", "operator": "startsWith", "value": "po-4"}), ["ORD-90004"]),
    ("orderType=EDI", ["ORD-90000", "ORD-90003"]),
    ("channel=Phone", ["ORD-90001", "ORD-90003"]),
    ("terms=Net60", ["ORD-90001", "ORD-90004"]),
    ("priceTier=Wholesale&currencyCode=USD&externalId=EXT-1", ["ORD-90001"]),
    ("customerNumber=CUST-3", ["ORD-90003"]),
    ("companyName=Company%201%20Ltd", ["ORD-90001"]),
    ("repNumber=REP-0", ["ORD-90000", "ORD-90004"]),
    ("sku=SKU-2", ["ORD-90002"]),
    ("invoiceNumber=INV-77", ["ORD-90003"]),
    (filt({"field": "orderDate", "operator": "gte", "value": "2024-04-01T00:00:00Z"}),
     ["ORD-90003", "ORD-90004"]),
    (filt({"field": "orderDate", "operator": "lt", "value": "2024-02-01"}), ["ORD-90000"]),
    (filt({"field": "orderTotal", "operator": "gt", "value": 30}), ["ORD-90003", "ORD-90004"]),
    (filt({"field": "orderTotal", "operator": "lte", "value": "10.00"}), ["ORD-90000"]),
    (filt({"field": "createdAt", "operator": "gt", "value": "2000-01-01T00:00:00Z"},
          {"field": "updatedAt", "operator": "lt", "value": "2999-01-01T00:00:00Z"},
          {"field": "orderStatus", "operator": "in", "value": "Pending,Complete"}),
     ["ORD-90000", "ORD-90003"]),
    ("q=cust-4", ["ORD-90004"]),
    ("q=ORD-9000", ["ORD-90000", "ORD-90001", "ORD-90002", "ORD-90003", "ORD-90004"]),
    ("q=ext-2", ["ORD-90002"]),
    ("q=100%25", []),
])
def test_search_filters(api, catalogue, query, expected):
    page = search(api, query + "&sortOn=orderNumber")
    assert numbers(page) == expected
    assert page["totalCount"] == len(expected)


@pytest.mark.parametrize("sort_on", ["createdAt", "updatedAt", "orderDate", "orderNumber",
                                     "orderStatus", "orderTotal", "poNumber", "companyName",
                                     "customerNumber"])
def test_search_sorts_on_every_key_both_ways(api, catalogue, sort_on):
    ascending = search(api, f"sortOn={sort_on}&sortDirection=asc")["items"]
    descending = search(api, f"sortOn={sort_on}&sortDirection=DESC")["items"]
    assert [o["id"] for o in descending] == [o["id"] for o in reversed(ascending)]
    keys = [o["customer"][sort_on] if sort_on in ("companyName", "customerNumber") else o[sort_on]
            for o in ascending]
    assert keys == sorted(keys)


def test_search_pages_and_reports_totals(api, catalogue):
    page = search(api, "pageSize=2&pageNumber=2&sortOn=orderNumber")
    assert numbers(page) == ["ORD-90002", "ORD-90003"]
    assert (page["totalCount"], page["pageNumber"], page["pageSize"], page["totalPages"]) == (5, 2, 2, 3)
    past = search(api, "pageSize=2&pageNumber=9")
    assert past["items"] == [] and past["totalCount"] == 5


def test_search_items_are_full_orders_with_invoice_numbers(api, catalogue):
    page = search(api, "invoiceNumber=INV-77")
    order = page["items"][0]
    assert order["invoiceNumbers"] == ["INV-77"]
    assert order == data(api.get(f"/api/orders/{order['id']}"))


def test_search_defaults(api, catalogue):
    page = search(api, "")
    assert (page["pageNumber"], page["pageSize"]) == (1, 25)
    created = [o["createdAt"] for o in page["items"]]
    assert created == sorted(created)


@pytest.mark.parametrize("query, field, allowed", [
    ("sortOn=price", "sortOn", "orderTotal"),
    ("sortDirection=up", "sortDirection", "asc"),
    (filt({"field": "color", "operator": "eq", "value": "x"}), "filters[0].field", "invoiceNumber"),
    (filt({"field": "poNumber", "operator": "like", "value": "x"}), "filters[0].operator", "startsWith"),
    ("colour=blue", "colour", "orderStatus"),
    ("pageSize=101", "pageSize", "100"),
    ("pageNumber=0", "pageNumber", "1"),
    ("filters=%7Bnot-json", "filters", "JSON"),
])
def test_search_rejects_unknown_fields_operators_and_sort_keys_listing_the_allowed(api, query, field, allowed):
    problem = assert_problem(api.get(f"/api/orders?{query}"), 422)
    error = next(e for e in problem["errors"] if e["field"] == field)
    assert allowed in error["message"]
