"""The products and customers endpoints: paging and search, PUT by key, bulk upserts
with both error policies, problem+json field paths, tenancy and token scopes."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.db.models import Customer, Product
from app.services import accounts
from tests.api.helpers import Api, assert_problem, data


def product(sku="WID-1", **changes):
    body = {"sku": sku, "name": "Widget", "minimumOrderQuantity": 6, "quantityIncrement": 6, "active": True,
            "prices": [{"priceTier": "Wholesale", "currencyCode": "USD", "price": Decimal("12.50")},
                       {"priceTier": "Retail", "currencyCode": "USD", "price": Decimal("16.90")}]}
    body.update(changes)
    return body


def customer(number="C-1", **changes):
    body = {"customerNumber": number, "companyName": "Brightfield Supply", "companyEmail": "buy@brightfield.example",
            "companyPhone": "+1 512 555 0100", "billingAddress": {"city": "Austin", "country": "US"},
            "defaultPriceTier": "Wholesale", "defaultTerms": "Net30", "defaultCurrency": "USD"}
    body.update(changes)
    return body


def test_put_creates_with_201_then_answers_200_and_get_reads_it_back(api):
    response = api.put("/api/products/WID%2F1", {k: v for k, v in product().items() if k != "sku"})
    assert response.status_code == 201 and response.headers["Location"] == "/api/products/WID%2F1"
    assert data(response) == {**product("WID/1"), "prices": [
        {"priceTier": "Retail", "currencyCode": "USD", "price": Decimal("16.90")},
        {"priceTier": "Wholesale", "currencyCode": "USD", "price": Decimal("12.50")}]}
    again = api.put("/api/products/WID%2F1", product("WID/1", name="Widget XL"))
    assert again.status_code == 200 and data(again)["name"] == "Widget XL"
    assert data(api.get("/api/products/WID%2F1"))["name"] == "Widget XL"
    assert_problem(api.get("/api/products/NOPE"), 404)
    mismatch = assert_problem(api.put("/api/products/WID%2F1", product("OTHER")), 422)
    assert mismatch["errors"] == [{"field": "sku", "message": "must match the sku in the path ('WID/1')"}]

    created = api.put("/api/customers/C-9", customer("C-9"))
    assert created.status_code == 201 and data(created)["defaultTerms"] == "Net30"
    assert data(api.put("/api/customers/C-9", customer("C-9")))["companyName"] == "Brightfield Supply"


def test_bulk_answers_one_result_per_item_and_the_same_body_twice_is_unchanged(api, db_session):
    body = {"products": [product("A-1"), product("A-2", name="Gadget")]}
    first = api.post("/api/products/bulk", body)
    assert first.status_code == 200
    assert [(r["index"], r["sku"], r["status"]) for r in data(first)] == [(0, "A-1", "created"), (1, "A-2", "created")]
    assert [r["status"] for r in data(api.post("/api/products/bulk", body))] == ["unchanged", "unchanged"]
    changed = data(api.post("/api/products/bulk", {"products": [product("A-1", active=False)]}))
    assert changed == [{"index": 0, "sku": "A-1", "status": "updated", "errors": [],
                        "changes": [{"field": "active", "old": True, "new": False}]}]
    customers = {"customers": [customer("C-1"), customer("C-2", companyName="Northwind")]}
    assert [r["status"] for r in data(api.post("/api/customers/bulk", customers))] == ["created", "created"]
    assert [r["status"] for r in data(api.post("/api/customers/bulk", customers))] == ["unchanged", "unchanged"]
    assert db_session.scalar(select(func.count()).select_from(Customer)) == 2


def test_bad_items_are_refused_with_their_paths_under_each_error_policy(api, db_session):
    body = {"products": [
        product("B-1"),
        product("B-2", minimumOrderQuantity="six", prices=[{"priceTier": "Gold", "currencyCode": "USD", "price": 1}]),
        product("B-3", prices=[{"priceTier": "Retail", "currencyCode": "EUR", "price": Decimal("1.5")}]),
    ]}
    problem = assert_problem(api.post("/api/products/bulk", body), 422)
    assert problem["detail"] == "2 of 3 products are invalid; nothing was written."
    assert problem["errors"] == [
        {"field": "products[1].minimumOrderQuantity", "message": "must be a whole number"},
        {"field": "products[1].prices[0].priceTier",
         "message": "must be one of the organization's price tiers: Wholesale, Retail"},
        {"field": "products[2].prices[0].currencyCode", "message": "must be one of the organization's currencies: USD"},
    ]
    assert db_session.scalar(select(func.count()).select_from(Product)) == 0

    results = data(api.post("/api/products/bulk?errorPolicy=rejectFailed", body))
    assert [r["status"] for r in results] == ["created", "failed", "failed"]
    assert results[2]["errors"] == [{"field": "products[2].prices[0].currencyCode",
                                     "message": "must be one of the organization's currencies: USD"}]
    assert db_session.scalar(select(func.count()).select_from(Product)) == 1

    wrong = assert_problem(api.put("/api/customers/C-1", customer(companyName=5, defaultPriceTier="Gold",
                                                                 billingAddress="Austin")), 422)
    assert [e["field"] for e in wrong["errors"]] == ["companyName", "billingAddress", "defaultPriceTier"]


def test_bulk_bodies_take_1_to_1000_items(api):
    many = {"products": [product(f"S-{i}") for i in range(1001)]}
    problem = assert_problem(api.post("/api/products/bulk", many), 422)
    assert problem["errors"] == [{"field": "products", "message": "must contain between 1 and 1000 products (got 1001)"}]
    assert assert_problem(api.post("/api/customers/bulk", {"customers": []}), 422)["errors"][0]["field"] == "customers"
    assert assert_problem(api.post("/api/customers/bulk", [customer()]), 422)["errors"][0]["field"] == "body"
    assert_problem(api.post("/api/products/bulk?errorPolicy=sometimes", {"products": [product()]}), 422)
    assert_problem(api.call("POST", "/api/products/bulk", raw="{", content_type="application/json"), 400)


def test_lists_page_search_and_sort(api):
    api.post("/api/products/bulk", {"products": [product(f"P-{i:02d}", name=f"Widget {i}") for i in range(30)]
                                    + [product("Q-1", name="Bolt")]})
    page = data(api.get("/api/products?pageSize=10&pageNumber=2&sortOn=sku&sortDirection=desc"))
    assert page["totalCount"] == 31 and page["pageNumber"] == 2 and page["pageSize"] == 10
    assert [p["sku"] for p in page["items"]][:2] == ["P-20", "P-19"]
    assert [p["sku"] for p in data(api.get("/api/products?q=bOLt"))["items"]] == ["Q-1"]
    bad = assert_problem(api.get("/api/products?pageSize=500&sortOn=price"), 422)
    assert {e["field"] for e in bad["errors"]} == {"pageSize", "sortOn"}
    api.post("/api/customers/bulk", {"customers": [customer("C-1"), customer("C-2", companyName="Northwind Traders")]})
    found = data(api.get("/api/customers?q=northwind"))
    assert found["totalCount"] == 1 and found["items"][0]["customerNumber"] == "C-2"


def test_another_organizations_catalog_is_invisible_and_read_tokens_only_read(api, client, db_session):
    api.put("/api/products/T-1", product("T-1"))
    api.put("/api/customers/C-1", customer())
    other = accounts.create_organization(db_session, "Other Co", tiers=["Wholesale", "Retail"])
    theirs = Api(client, {"Authorization": f"Bearer {accounts.create_token(db_session, other, 'ERP').secret}"})
    reader = Api(client, {"Authorization": "Bearer " + accounts.create_token(
        db_session, other, "BI", scope="read").secret})
    db_session.commit()
    assert_problem(theirs.get("/api/products/T-1"), 404)
    assert_problem(theirs.get("/api/customers/C-1"), 404)
    assert data(theirs.get("/api/products"))["totalCount"] == 0
    # The same SKU in another organization is another product.
    assert theirs.put("/api/products/T-1", product("T-1", name="Theirs")).status_code == 201
    assert data(api.get("/api/products/T-1"))["name"] == "Widget"
    assert_problem(reader.put("/api/products/T-1", product("T-1")), 403)
    assert_problem(reader.post("/api/customers/bulk", {"customers": [customer()]}), 403)
    assert data(reader.get("/api/products/T-1"))["name"] == "Theirs"
    assert_problem(client.get("/api/products"), 401)


def test_wrong_types_in_each_field_are_refused_by_path_and_1001_customers_too(api, db_session):
    body = {"products": [
        "WID-1",
        product("T-2", name=["Widget"], active="yes", quantityIncrement=1.5, prices={"Wholesale": 1}),
        product("T-3", prices=[{"priceTier": "Retail", "currencyCode": "USD", "price": "cheap"}, 7]),
        product(42),
    ]}
    results = data(api.post("/api/products/bulk?errorPolicy=rejectFailed", body))
    assert [r["status"] for r in results] == ["failed"] * 4
    assert [(e["field"], e["message"]) for r in results for e in r["errors"]] == [
        ("products[0]", "must be an object"),
        ("products[1].name", "must be a string"),
        ("products[1].quantityIncrement", "must be a whole number"),
        ("products[1].active", "must be true or false"),
        ("products[1].prices", "must be an array"),
        ("products[2].prices[0].price", "must be a number"),
        ("products[2].prices[1]", "must be an object"),
        ("products[3].sku", "must be a string"),
    ]
    assert db_session.scalar(select(func.count()).select_from(Product)) == 0

    many = {"customers": [customer(f"C-{i}") for i in range(1001)]}
    problem = assert_problem(api.post("/api/customers/bulk?errorPolicy=rejectFailed", many), 422)
    assert problem["errors"] == [
        {"field": "customers", "message": "must contain between 1 and 1000 customers (got 1001)"}]
    assert db_session.scalar(select(func.count()).select_from(Customer)) == 0
    wrong = assert_problem(api.put("/api/products/T-9", {"sku": "T-9", "name": "Nine", "minimumOrderQuantity": True}),
                           422)
    assert wrong["errors"] == [{"field": "minimumOrderQuantity", "message": "must be a whole number"}]
