"""The products and customers pages: lists with search, sort and paging; the product
page's price grid (admins edit, others read) and who bought it; the customer page with
its orders, totals per currency, last order, top products and edit form."""

from __future__ import annotations

import copy
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.models import AuditEvent, Customer, Product
from app.services import catalog
from app.services.orders import create_order
from tests.seed_examples import SINGLE_CREATE
from tests.web.helpers import csrf_from, login, make_user


@pytest.fixture()
def shop(db_session, org, actor):
    """Three products, two customers and three orders of 479.30 (one in CAD)."""
    org.currencies = ["CAD"]
    db_session.commit()
    catalog.upsert_products(db_session, actor, [
        {"sku": "WDG-BLU-L", "name": "Widget Blue Large", "minimumOrderQuantity": 12, "quantityIncrement": 6,
         "prices": [{"priceTier": "Wholesale", "currencyCode": "USD", "price": Decimal("12.50")},
                    {"priceTier": "Retail", "currencyCode": "CAD", "price": Decimal("17.125")}]},
        {"sku": "WDG-RED-M", "name": "Widget Red Medium"},
        {"sku": "GSK-001", "name": "Gasket 40 mm", "active": False},
    ])
    catalog.upsert_customers(db_session, actor, [
        {"customerNumber": "CUST-1042", "companyName": "Brightfield Supply Co.", "companyEmail": "buy@brightfield.example",
         "billingAddress": {"city": "Austin", "country": "US"}, "defaultPriceTier": "Wholesale",
         "defaultTerms": "Net30", "defaultCurrency": "USD"},
        {"customerNumber": "CUST-2000", "companyName": "Northwind Traders"},
    ])
    for external, currency, day in (("E-1", "USD", "2026-03-01"), ("E-2", "CAD", "2026-04-02"), ("E-3", "USD", "2026-05-03")):
        body = copy.deepcopy(SINGLE_CREATE)
        body.update(externalId=external, currencyCode=currency, orderDate=day)
        create_order(db_session, actor, body)
    return org


def signed_in(app, db_session, org, role):
    client = app.test_client()
    make_user(db_session, org, role, f"{role}@acme.example", rep_number="REP-X" if role == "rep" else None)
    assert login(client, f"{role}@acme.example").status_code == 302
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_products_list_searches_sorts_and_pages(app, db_session, shop):
    client = signed_in(app, db_session, shop, "rep")
    page = text(client.get("/products"))
    assert "3 products" in page and page.index("GSK-001") < page.index("WDG-BLU-L") < page.index("WDG-RED-M")
    assert 'href="/products"' in page and 'href="/customers"' in page  # in the navigation
    found = text(client.get("/products?q=blue", headers={"HX-Request": "true"}))
    assert "1 product" in found and "WDG-BLU-L" in found and "WDG-RED-M" not in found
    by_name = text(client.get("/products?sort=name&dir=desc"))
    assert by_name.index("Widget Red Medium") < by_name.index("Widget Blue Large") < by_name.index("Gasket 40 mm")
    catalog.upsert_products(db_session, catalog_admin(shop), [{"sku": f"P-{i:02d}", "name": f"Part {i}"} for i in range(30)])
    second = text(client.get("/products?page=2"))
    assert "33 products · page 2 of 2" in second and 'rel="prev"' in second
    assert "No products match" in text(client.get("/products?q=zzz"))


def catalog_admin(org):
    from app.services.context import Actor

    return Actor(organization_id=org.id, name="Test Admin")


def test_the_product_page_shows_its_grid_and_buyers_and_reps_only_read(app, db_session, shop):
    rep = signed_in(app, db_session, shop, "rep")
    page = text(rep.get("/products/WDG-BLU-L"))
    assert "Widget Blue Large" in page and "$12.50" in page and "CA$17.125" in page
    assert "<form" not in page.split("Prices", 1)[1].split("Customers who bought it")[0]
    # A rep sees no orders that are not theirs.
    assert "No orders hold this product yet." in page
    assert rep.post("/products/WDG-BLU-L", data={"csrf_token": csrf_from(page), "name": "X"}).status_code == 403

    manager = signed_in(app, db_session, shop, "manager")
    page = text(manager.get("/products/WDG-BLU-L"))
    assert "Brightfield Supply Co." in page and "Orders with it <span class=\"hint\">(3)</span>" in page
    assert manager.get("/products/NOPE").status_code == 404


def test_an_admin_edits_the_product_and_its_price_grid_in_the_locale(app, db_session, shop):
    client = signed_in(app, db_session, shop, "admin")
    page = client.get("/products/WDG-BLU-L").get_data(as_text=True)
    assert 'value="12.50"' in page and 'value="17.125"' in page and 'inputmode="decimal"' in page
    form = {"csrf_token": csrf_from(page), "name": "Widget Blue XL", "minimumOrderQuantity": "6",
            "quantityIncrement": "6", "active": "y", "price-0-0": "13.00", "price-0-1": "", "price-1-1": "1,234.5"}
    response = client.post("/products/WDG-BLU-L", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    db_session.expire_all()
    product = db_session.scalar(select(Product).where(Product.sku == "WDG-BLU-L"))
    assert (product.name, product.minimum_order_quantity) == ("Widget Blue XL", 6)
    assert sorted((p.price_tier, p.currency_code, p.price) for p in product.prices) == [
        ("Retail", "CAD", Decimal("1234.5000")), ("Wholesale", "USD", Decimal("13.0000"))]
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "product.updated"))
    assert event.changes["name"] == ["Widget Blue Large", "Widget Blue XL"] and event.target == "Product WDG-BLU-L"
    assert ("Saved 4 changes: name, minimum order quantity, Retail price in CAD, Wholesale price in USD."
            in text(client.get("/products/WDG-BLU-L")))

    bad = client.post("/products/WDG-BLU-L", data={**form, "minimumOrderQuantity": "0", "price-0-0": "12.3456789"})
    assert bad.status_code == 422
    html = text(bad)
    assert "must be at least 1" in html and "has 7 decimal places" in html and 'value="12.3456789"' in html
    db_session.expire_all()
    assert db_session.scalar(select(Product.minimum_order_quantity).where(Product.sku == "WDG-BLU-L")) == 6


def test_the_customer_page_shows_orders_totals_per_currency_and_top_products(app, db_session, shop):
    client = signed_in(app, db_session, shop, "manager")
    listing = text(client.get("/customers?q=bright"))
    assert "1 customer" in listing and "Brightfield Supply Co." in listing and "Northwind" not in listing
    page = text(client.get("/customers/CUST-1042"))
    assert "buy@brightfield.example" in page and "Wholesale" in page and "Net30" in page
    assert "$958.60" in page and "CA$479.30" in page and "(2 orders)" in page
    assert "last order May 3, 2026" in page
    assert page.index("WDG-BLU-L") < page.index("WDG-RED-M")  # 24 bought per order against 12
    assert 'href="/orders/new?customer=CUST-1042"' in page
    builder = text(client.get("/orders/new?customer=CUST-1042"))
    assert 'value="CUST-1042"' in builder and "Brightfield Supply Co." in builder


def test_managers_edit_customers_through_the_catalog_service_and_reps_may_not(app, db_session, shop):
    client = signed_in(app, db_session, shop, "manager")
    page = client.get("/customers/CUST-2000").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "companyName": "Northwind Traders Ltd", "companyEmail": "not-an-email",
            "defaultTerms": "Net60", "defaultCurrency": "CAD", "billing_city": "Leeds"}
    bad = client.post("/customers/CUST-2000", data=form)
    assert bad.status_code == 422 and "is not a valid email address" in text(bad)
    response = client.post("/customers/CUST-2000", data={**form, "companyEmail": "orders@northwind.example"})
    assert response.status_code == 303
    db_session.expire_all()
    row = db_session.scalar(select(Customer).where(Customer.customer_number == "CUST-2000"))
    assert (row.company_name, row.default_terms, row.default_currency, row.billing_address) == (
        "Northwind Traders Ltd", "Net60", "CAD", {"city": "Leeds"})
    assert db_session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "customer.updated")) == \
        "Manager Tester"
    rep = signed_in(app, db_session, shop, "rep")
    page = rep.get("/customers/CUST-2000").get_data(as_text=True)
    assert "Edit customer" not in page
    assert rep.post("/customers/CUST-2000", data={"csrf_token": csrf_from(page), "companyName": "X"}).status_code == 403


def test_an_admin_creates_a_product_from_the_list_page_with_the_apis_words(app, db_session, shop):
    client = signed_in(app, db_session, shop, "admin")
    page = client.get("/products").get_data(as_text=True)
    assert "New product" in page and 'name="sku"' in page and 'name="price-1-1"' in page
    form = {"csrf_token": csrf_from(page), "sku": " BLT-9 ", "name": "Bolt 9 mm", "minimumOrderQuantity": "10",
            "quantityIncrement": "5", "active": "y", "price-0-0": "0.25", "price-1-1": "0.40"}

    bad = client.post("/products", data={**form, "sku": "", "name": "", "quantityIncrement": "two",
                                         "price-0-1": "-1"})
    assert bad.status_code == 422
    html = text(bad)
    assert "<details class=\"customer-edit product-new card\" open>" in html
    assert 'id="sku-error">must not be empty' in html and 'id="name-error">must not be empty' in html
    assert "“two” is not a quantity" in html and 'id="price-0-1-error">must not be negative' in html
    assert 'value="two"' in html and 'value="0.40"' in html  # what was typed stays
    assert db_session.scalar(select(Product).where(Product.sku == "BLT-9")) is None

    api_words = catalog.upsert_products(db_session, catalog_admin(shop), [{"sku": "X", "name": "x" * 301}],
                                        dry_run=True)[0].errors[0].message
    long_name = text(client.post("/products", data={**form, "name": "x" * 301}))
    assert api_words in long_name

    created = client.post("/products", data=form)
    assert created.status_code == 303 and created.headers["Location"].endswith("/products/BLT-9")
    db_session.expire_all()
    product = db_session.scalar(select(Product).where(Product.sku == "BLT-9"))
    assert (product.name, product.minimum_order_quantity, product.quantity_increment, product.active) == (
        "Bolt 9 mm", 10, 5, True)
    assert sorted((p.price_tier, p.currency_code, p.price) for p in product.prices) == [
        ("Retail", "CAD", Decimal("0.4000")), ("Wholesale", "USD", Decimal("0.2500"))]
    assert db_session.scalar(select(AuditEvent.target).where(AuditEvent.action == "product.created",
                                                             AuditEvent.target == "Product BLT-9"))
    assert "Product BLT-9 created." in text(client.get("/products/BLT-9"))

    again = client.post("/products", data={**form, "name": "Another name"})
    assert again.status_code == 422
    assert "&#39;BLT-9&#39; already exists" in again.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(Product.name).where(Product.sku == "BLT-9")) == "Bolt 9 mm"


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_cannot_create_products(app, db_session, shop, role):
    client = signed_in(app, db_session, shop, role)
    page = client.get("/products").get_data(as_text=True)
    assert "New product" not in page and 'name="sku"' not in page
    response = client.post("/products", data={"csrf_token": csrf_from(page), "sku": "NOPE-1", "name": "Nope"})
    assert response.status_code == 403
    assert db_session.scalar(select(Product).where(Product.sku == "NOPE-1")) is None
