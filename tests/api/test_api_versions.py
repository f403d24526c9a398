"""ETag on GET of an order and If-Match on the PUTs: a change made on an older version
is refused with 412 problem+json and changes nothing; without If-Match the PUTs apply
as always; every write (edits, status changes, re-imports, invoices) moves the ETag."""

from __future__ import annotations

import copy

from app.services.context import MANAGER, Actor
from app.services.invoices import issue_invoice
from app.services.orders import change_status, import_orders
from tests.seed_examples import BULK, CUSTOMER_UPDATE, SHIPPING_UPDATE, SINGLE_CREATE


def created(api) -> str:
    response = api.post("/api/orders", SINGLE_CREATE)
    assert response.status_code == 201
    return response.get_json()["data"]["id"]


def test_etag_if_match_and_412(api):
    order_id = created(api)
    first = api.get(f"/api/orders/{order_id}")
    etag = first.headers["ETag"]
    assert etag == '"1"'
    shipping = f"/api/orders/{order_id}/shipping"
    ok = api.put(shipping, SHIPPING_UPDATE, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    assert api.get(f"/api/orders/{order_id}").headers["ETag"] == '"2"'

    changed = {**SHIPPING_UPDATE, "method": "Freight"}
    stale = api.put(shipping, changed, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.content_type.startswith("application/problem+json")
    problem = stale.get_json()
    assert problem["status"] == 412 and "changed since version 1" in problem["detail"]
    assert api.get(f"/api/orders/{order_id}").get_json()["shippingDetails"]["method"] == SHIPPING_UPDATE["method"]

    stale_customer = api.put(f"/api/orders/{order_id}/customer", CUSTOMER_UPDATE, headers={"If-Match": '"1"'})
    assert stale_customer.status_code == 412
    for header in ('W/"2"', "garbage", '"two"', '""', ''):
        assert api.put(shipping, changed, headers={"If-Match": header}).status_code == 412, header
    assert api.put(shipping, changed, headers={"If-Match": '"1", "2"'}).status_code == 200
    assert api.put(shipping, SHIPPING_UPDATE, headers={"If-Match": "*"}).status_code == 200
    # Without If-Match: the seed's behaviour, last write wins.
    plain = api.put(f"/api/orders/{order_id}/customer", CUSTOMER_UPDATE)
    assert plain.status_code == 200 and plain.headers["ETag"] == '"5"'


def test_every_write_moves_the_etag(api, db_session, actor, org):
    order = copy.deepcopy(BULK["orders"][0])
    order.update(externalId="ETAG-1", orderNumber="ETAG-1", orderStatus="Pending")
    order_id = import_orders(db_session, actor, [order])[0].result.id
    tags = [api.get(f"/api/orders/{order_id}").headers["ETag"]]
    import_orders(db_session, actor, [{**order, "poNumber": "PO-CHANGED"}])
    tags.append(api.get(f"/api/orders/{order_id}").headers["ETag"])
    import_orders(db_session, actor, [{**order, "poNumber": "PO-CHANGED"}])  # unchanged: no new version
    tags.append(api.get(f"/api/orders/{order_id}").headers["ETag"])
    for status in ("Processing", "Shipped"):
        change_status(db_session, actor, order_id, status)
    tags.append(api.get(f"/api/orders/{order_id}").headers["ETag"])
    issue_invoice(db_session, Actor(organization_id=org.id, name="M", role=MANAGER), order_id)
    body = api.get(f"/api/orders/{order_id}")
    tags.append(body.headers["ETag"])
    assert tags == ['"1"', '"2"', '"2"', '"4"', '"5"']
    assert body.get_json()["invoiceNumbers"] == ["INV-00001"]


def test_the_document_describes_etag_and_if_match(api):
    doc = api.get("/api/openapi.json").get_json()
    get = doc["paths"]["/api/orders/{orderId}"]["get"]
    assert "ETag" in get["responses"]["200"]["headers"]
    for path in ("/api/orders/{orderId}/shipping", "/api/orders/{orderId}/customer"):
        put = doc["paths"][path]["put"]
        assert [p["name"] for p in put["parameters"]] == ["If-Match"]
        assert "412" in put["responses"] and "ETag" in put["responses"]["200"]["headers"]
