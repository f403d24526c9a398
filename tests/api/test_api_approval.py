"""Approvals over the API: the additive ``approval`` object, and the import, re-import
and email doors refused while an order awaits approval (SQLite and PostgreSQL)."""

from app.services import org_settings
from tests.api.helpers import assert_problem, order_body


def test_the_api_shows_the_approval_and_refuses_every_bypass(api, db_session, actor):
    org_settings.update_review(db_session, actor, {"pending_days": "3", "below_list_percent": "10",
                                                   "discount_percent": "15", "approval_total_USD": "400"})
    pending = order_body(externalId="API-1", orderNumber="H-100")
    created = api.post("/api/orders/bulk", {"orders": [pending]})
    assert created.status_code == 201
    order_id = created.get_json()[0]["data"]["id"]
    order = api.get(f"/api/orders/{order_id}").get_json()
    assert order["approval"] == {"state": "pending", "reasons": ["Total $479.30 is above $400.00"],
                                 "decidedBy": None, "decidedAt": None, "reason": None}
    reimport = api.post("/api/orders/bulk", {"orders": [{**pending, "orderStatus": "Processing"}]})
    problem = assert_problem(reimport, 422)
    assert problem["errors"][0]["field"] == "orders[0].orderStatus"
    assert "awaiting a manager's approval" in problem["errors"][0]["message"]
    resubmit = api.post("/api/orders", {**order_body(externalId="API-1"), "orderStatus": "Processing"})
    assert "awaiting a manager's approval" in assert_problem(resubmit, 409)["detail"]
    emailed = api.post(f"/api/orders/{order_id}/email", {"emailAddresses": ["buyer@example.com"]})
    assert "once it is approved" in assert_problem(emailed, 409)["detail"]
    assert api.get(f"/api/orders/{order_id}").get_json()["orderStatus"] == "Pending"
    small = api.post("/api/orders", order_body(externalId="API-2", items=[{"sku": "A", "quantity": 1, "price": 5}]))
    small_id = small.get_json()["data"]["id"]
    assert api.get(f"/api/orders/{small_id}").get_json()["approval"] is None
