"""Bearer tokens decide the organization; other organizations' orders do not exist."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.models import ApiToken
from app.db.types import guid
from app.services import accounts
from tests.api.helpers import Api, assert_problem, data, order_body
from tests.seed_examples import BULK


@pytest.fixture()
def other(client, db_session) -> Api:
    """A client for a second organization."""
    org = accounts.create_organization(db_session, "Other Co", tiers=["Wholesale"])
    issued = accounts.create_token(db_session, org, "Other ERP")
    db_session.commit()
    return Api(client, {"Authorization": f"Bearer {issued.secret}"})


ENDPOINTS = [
    ("GET", "/api/orders"),
    ("POST", "/api/orders"),
    ("POST", "/api/orders/bulk"),
    ("GET", f"/api/orders/{guid()}"),
    ("PUT", f"/api/orders/{guid()}/shipping"),
    ("PUT", f"/api/orders/{guid()}/customer"),
]


@pytest.mark.parametrize("method, path", ENDPOINTS)
@pytest.mark.parametrize("header, error", [
    (None, None),
    ("", None),
    ("Bearer", "invalid_request"),
    ("Basic dXNlcjpwYXNz", "invalid_request"),
    ("Bearer odk_not-a-real-token", "invalid_token"),
    ("Bearer " + "x" * 500, "invalid_token"),
])
def test_every_endpoint_needs_a_valid_bearer_token(client, org, method, path, header, error):
    headers = {"Authorization": header} if header is not None else {}
    response = client.open(path, method=method, headers=headers, json={})
    problem = assert_problem(response, 401)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert challenge.startswith('Bearer realm="orderdesk"')
    assert ("error=" in challenge) == (error is not None)
    if error:
        assert f'error="{error}"' in challenge
    assert problem["title"] == "Unauthorized"


def test_a_revoked_token_is_refused(api, db_session, org, api_token):
    assert api.get("/api/orders").status_code == 200
    token = db_session.scalar(select(ApiToken).where(ApiToken.organization_id == org.id))
    accounts.revoke_token(db_session, org, token.id)
    db_session.commit()
    response = api.get("/api/orders")
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_authenticating_records_the_tokens_last_use(api, db_session, org):
    token = db_session.scalar(select(ApiToken).where(ApiToken.organization_id == org.id))
    assert token.last_used_at is None
    api.get("/api/orders")
    db_session.expire_all()
    assert db_session.get(ApiToken, token.id).last_used_at is not None


def test_the_scheme_name_is_case_insensitive(client, api_token):
    response = client.get("/api/orders", headers={"Authorization": f"bearer {api_token}"})
    assert response.status_code == 200


def test_another_organizations_order_is_the_same_404_as_a_random_id(api, other):
    order_id = data(api.post("/api/orders", order_body()))["data"]["id"]
    mine = other.get(f"/api/orders/{order_id}")
    random = other.get(f"/api/orders/{guid()}")
    assert_problem(mine, 404)
    assert mine.get_data() == random.get_data()
    # Every response has its own X-Request-ID; nothing else may tell the two apart.
    assert dict(mine.headers, **{"X-Request-ID": ""}) == dict(random.headers, **{"X-Request-ID": ""})
    body = {"method": "m", "total": 1}
    assert other.put(f"/api/orders/{order_id}/shipping", body).get_data() == \
        other.put(f"/api/orders/{guid()}/shipping", body).get_data()
    assert_problem(other.put(f"/api/orders/{order_id}/customer",
                             {"customerNumber": "C", "companyName": "N"}), 404)
    assert data(api.get(f"/api/orders/{order_id}"))["shippingDetails"]["method"] == "FedEx Ground"


def test_search_never_shows_another_organizations_orders(api, other):
    api.post("/api/orders/bulk", BULK)
    other.post("/api/orders", order_body(priceTier="Wholesale"))
    mine, theirs = data(api.get("/api/orders")), data(other.get("/api/orders"))
    assert mine["totalCount"] == 2 and theirs["totalCount"] == 1
    assert {o["organizationId"] for o in mine["items"]}.isdisjoint(
        {o["organizationId"] for o in theirs["items"]})
    assert data(other.get("/api/orders?q=ERP-1000"))["totalCount"] == 0
    assert data(other.get("/api/orders?externalId=ERP-10001"))["totalCount"] == 0


def test_the_same_external_id_in_two_organizations_is_two_orders(api, other):
    mine = api.post("/api/orders", order_body())
    theirs = other.post("/api/orders", order_body())
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert data(mine)["data"]["id"] != data(theirs)["data"]["id"]


def test_bulk_import_cannot_update_another_organizations_order_by_number(api, other):
    data(api.post("/api/orders/bulk", BULK))
    response = other.post("/api/orders/bulk", BULK)
    assert response.status_code == 201
    assert data(other.get("/api/orders"))["totalCount"] == 2
    assert data(api.get("/api/orders"))["totalCount"] == 2


def test_api_posts_need_no_csrf_token_although_csrf_protection_is_on(app, api):
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert api.post("/api/orders", order_body()).status_code == 201


def test_the_description_and_reference_page_are_public(client):
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200
