"""The Orders API reference's own examples, sent as written, answer as documented."""

from __future__ import annotations

import json
import re

from tests.api.helpers import data, order_count
from tests.seed_examples import BULK, CUSTOMER_UPDATE, SHIPPING_UPDATE, SINGLE_CREATE

# The create example's body exactly as the reference prints it (numbers such as 12.50
# keep their trailing zero on the wire), with deliverable example addresses.
SEED_CREATE_TEXT = """{
    "customer": {
      "customerNumber": "CUST-1042",
      "companyName": "Brightfield Supply Co.",
      "companyEmail": "orders@brightfield.example",
      "companyPhone": "555-400-1200",
      "billingAddress": {
        "address1": "300 Commerce Blvd",
        "city": "Portland",
        "stateProvince": "OR",
        "zipPostalCode": "97201",
        "country": "US"
      },
      "shippingAddress": {
        "address1": "300 Commerce Blvd",
        "city": "Portland",
        "stateProvince": "OR",
        "zipPostalCode": "97201",
        "country": "US"
      }
    },
    "orderType": "Direct",
    "poNumber": "PO-88412",
    "priceTier": "Wholesale",
    "currencyCode": "USD",
    "primarySalesRep": {
      "repNumber": "REP-007",
      "firstName": "Jordan",
      "lastName": "Avery",
      "email": "jordan.avery@brightfield.example"
    },
    "items": [
      {
        "sku": "WDG-BLU-L",
        "productName": "Widget Blue Large",
        "quantity": 24,
        "price": 12.50
      },
      {
        "sku": "WDG-RED-M",
        "productName": "Widget Red Medium",
        "quantity": 12,
        "price": 11.00
      }
    ],
    "user": {
      "userId": "usr_abc123",
      "userType": "SalesRep"
    },
    "shippingDetails": {
      "method": "FedEx Ground",
      "total": 18.50
    },
    "terms": "Net30",
    "channel": "Phone",
    "externalId": "ERP-ORDER-99821",
    "tax": 28.80,
    "notes": "Customer requested delivery before end of month."
  }"""


def test_seed_create_text_is_the_seed_example(api):
    assert json.loads(SEED_CREATE_TEXT) == SINGLE_CREATE


def test_create_example_answers_201_with_id_order_number_self_link_and_location(api):
    response = api.post("/api/orders", raw=SEED_CREATE_TEXT)
    assert response.status_code == 201
    body = data(response)
    order_id = body["data"]["id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", order_id)
    assert re.fullmatch(r"ORD-\d{5,}", body["data"]["orderNumber"])
    assert body["links"] == [{"rel": "self", "href": f"/api/orders/{order_id}"}]
    assert response.headers["Location"].endswith(f"/api/orders/{order_id}")


def test_created_example_reads_back_with_the_documented_totals_and_formats(api):
    order_id = data(api.post("/api/orders", raw=SEED_CREATE_TEXT))["data"]["id"]
    response = api.get(f"/api/orders/{order_id}")
    assert response.status_code == 200
    order = data(response)
    assert str(order["subtotal"]) == "432.00"
    assert str(order["orderTotal"]) == "479.30"
    assert str(order["items"][0]["subTotal"]) == "300.00"
    assert str(order["items"][1]["subTotal"]) == "132.00"
    assert order["items"][0]["priceFormatted"] == "$12.50"
    assert order["items"][0]["subTotalFormatted"] == "$300.00"
    assert order["shippingDetails"]["totalFormatted"] == "$18.50"
    assert order["taxFormatted"] == "$28.80"
    assert order["subtotalFormatted"] == "$432.00"
    assert order["orderTotalFormatted"] == "$479.30"
    assert order["orderStatus"] == "Pending"
    assert order["primarySalesRep"]["fullName"] == "Jordan Avery"
    assert order["customer"]["billingAddress"]["city"] == "Portland"
    assert order["invoiceNumbers"] == []
    assert order["createdAt"].endswith("Z") and order["orderDate"].endswith("Z")
    # Money is written as JSON numbers with their cents, never as strings or floats.
    text = response.get_data(as_text=True)
    for literal in ('"subtotal": 432.00', '"orderTotal": 479.30', '"subTotal": 300.00',
                    '"price": 12.50', '"tax": 28.80', '"total": 18.50'):
        assert literal in text, literal
    assert '"432.00"' not in text and "432.0," not in text


def test_resending_the_create_example_updates_in_place_with_200_and_the_same_id(api, db_session):
    first = api.post("/api/orders", raw=SEED_CREATE_TEXT)
    second = api.post("/api/orders", raw=SEED_CREATE_TEXT)
    assert (first.status_code, second.status_code) == (201, 200)
    assert data(second)["data"] == data(first)["data"]
    assert second.headers["Location"] == first.headers["Location"]
    assert order_count(db_session) == 1


def test_bulk_example_answers_201_with_one_result_per_order_in_order(api):
    response = api.post("/api/orders/bulk", BULK)
    assert response.status_code == 201
    results = data(response)
    assert [r["data"]["orderNumber"] for r in results] == ["ORD-2023-001", "ORD-2023-002"]
    for result in results:
        assert result["links"] == [{"rel": "self", "href": f"/api/orders/{result['data']['id']}"}]
    first = data(api.get(results[0]["links"][0]["href"]))
    assert first["orderStatus"] == "Complete"
    assert first["orderDate"] == "2023-06-15T09:30:00Z"
    assert str(first["orderTotal"]) == "425.00"
    second = data(api.get(results[1]["links"][0]["href"]))
    assert second["orderStatus"] == "Pending"
    assert str(second["subtotal"]) == "499.50"


def test_resending_the_bulk_example_creates_nothing_new(api, db_session):
    first = data(api.post("/api/orders/bulk", BULK))
    again = api.post("/api/orders/bulk", BULK)
    assert again.status_code == 201
    assert data(again) == first
    assert order_count(db_session) == 2


def test_shipping_and_customer_examples_answer_200_with_the_updated_order(api):
    order_id = data(api.post("/api/orders", raw=SEED_CREATE_TEXT))["data"]["id"]
    shipped = api.put(f"/api/orders/{order_id}/shipping", SHIPPING_UPDATE)
    assert shipped.status_code == 200
    order = data(shipped)
    assert order["shippingDetails"]["method"] == "UPS Next Day Air"
    assert order["shippingDetails"]["totalFormatted"] == "$42.00"
    assert order["shippingDetails"]["shippingAddress"]["city"] == "Salem"
    assert order["customer"]["shippingAddress"]["city"] == "Salem"
    assert str(order["orderTotal"]) == "502.80"  # 432.00 + 42.00 + 28.80

    changed = api.put(f"/api/orders/{order_id}/customer", CUSTOMER_UPDATE)
    assert changed.status_code == 200
    customer = data(changed)["customer"]
    assert customer["companyName"] == "Brightfield Supply Co. (Updated)"
    assert customer["companyPhone"] == "555-400-1201"
    assert customer["billingAddress"]["address1"] == "301 Commerce Blvd"
    assert data(api.get(f"/api/orders/{order_id}"))["customer"] == customer


def test_search_example_returns_the_documented_envelope(api):
    api.post("/api/orders/bulk", BULK)
    response = api.get("/api/orders?pageNumber=1&pageSize=20&sortOn=orderDate&sortDirection=desc")
    assert response.status_code == 200
    page = data(response)
    assert set(page) == {"items", "totalCount", "pageNumber", "pageSize", "totalPages"}
    assert (page["totalCount"], page["pageNumber"], page["pageSize"], page["totalPages"]) == (2, 1, 20, 1)
    assert [o["orderNumber"] for o in page["items"]] == ["ORD-2023-002", "ORD-2023-001"]
    assert all("invoiceNumbers" in o for o in page["items"])
