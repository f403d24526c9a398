"""The catalog pages in Chromium, by keyboard: an admin finds a product by typing in the
search (the / shortcut), sorts the list, edits the price grid with a typing mistake
shown beside its cell, then saves; a manager finds a customer, reads their totals, edits
their terms and starts a new order for them in the builder. axe finds nothing."""

from __future__ import annotations

import copy
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.db.models import Customer, Product, ProductPrice
from app.services import catalog
from app.services.orders import create_order
from tests.browser.conftest import axe_violations
from tests.seed_examples import SINGLE_CREATE
from tests.web.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def shop(db_session, org, actor):
    make_user(db_session, org, "admin", "ada@acme.example")
    make_user(db_session, org, "manager", "max@acme.example")
    catalog.upsert_products(db_session, actor, [
        {"sku": "WDG-BLU-L", "name": "Widget Blue Large", "minimumOrderQuantity": 12, "quantityIncrement": 6,
         "prices": [{"priceTier": "Wholesale", "currencyCode": "USD", "price": Decimal("12.50")}]},
        {"sku": "WDG-RED-M", "name": "Widget Red Medium"},
        *({"sku": f"BLT-{i:03d}", "name": f"Bolt {i} mm"} for i in range(30)),
    ])
    for n in range(2):
        body = copy.deepcopy(SINGLE_CREATE)
        body["externalId"] = f"UI-{n}"
        create_order(db_session, actor, body)
    catalog.upsert_customers(db_session, actor, [{
        "customerNumber": "CUST-1042", "companyName": "Brightfield Supply Co.", "companyEmail": "buy@brightfield.example",
        "billingAddress": {"city": "Austin", "country": "US"}, "defaultPriceTier": "Wholesale", "defaultTerms": "Net30",
        "defaultCurrency": "USD"}])
    return org


def test_an_admin_finds_a_product_and_edits_its_price_grid_by_keyboard(open_page, shop, db_session):
    page = open_page("ada@acme.example", PASSWORD, bypass_csp=True)
    page.get_by_role("link", name="Products").click()
    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    expect(page.locator("#result-count")).to_have_text("32 products · page 1 of 2")
    assert axe_violations(page) == []
    page.locator("th a[data-sort=name]").click()
    expect(page.locator("#results tbody tr").first).to_contain_text("Bolt 0 mm")
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("blue")
    expect(page.locator("#result-count")).to_have_text("1 product")
    assert re.search(r"q=blue", page.url)
    page.get_by_role("link", name="WDG-BLU-L").click()

    expect(page.get_by_role("heading", name="Widget Blue Large")).to_be_visible()
    expect(page.get_by_role("table", name="Customers who bought WDG-BLU-L")).to_contain_text("Brightfield Supply Co.")
    assert axe_violations(page) == []
    cell = page.get_by_label("Retail price in USD")
    cell.focus()
    page.keyboard.type("16,90")
    page.get_by_role("button", name="Save product").click()
    expect(page.locator(".price-grid .field-error")).to_contain_text("“16,90” is ambiguous")
    expect(cell).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    cell.fill("16.90")
    cell.press("Enter")
    expect(page.locator(".flash")).to_have_text("Saved 1 change: Retail price in USD.")
    expect(page.get_by_label("Retail price in USD")).to_have_value("16.90")
    db_session.expire_all()
    assert db_session.scalar(select(ProductPrice.price).where(ProductPrice.price_tier == "Retail")) == Decimal("16.90")


def test_a_manager_reads_a_customer_edits_the_terms_and_starts_an_order(open_page, shop, db_session):
    page = open_page("max@acme.example", PASSWORD, bypass_csp=True)
    page.get_by_role("link", name="Customers").click()
    page.locator("#q").fill("bright")
    expect(page.locator("#result-count")).to_have_text("1 customer")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Brightfield Supply Co.").click()
    expect(page.locator(".customer-totals")).to_contain_text("$958.60")
    expect(page.get_by_role("table", name=re.compile("Products Brightfield"))).to_contain_text("WDG-BLU-L")
    assert axe_violations(page) == []

    page.locator("summary", has_text="Edit customer").click()
    page.get_by_label("Default terms").select_option("Net60")
    page.get_by_label("Phone", exact=True).fill("+1 512 555 0199")
    page.get_by_role("button", name="Save customer").click()
    expect(page.locator(".flash")).to_have_text("Saved 2 changes: phone, default terms.")
    db_session.expire_all()
    assert db_session.scalar(select(Customer.default_terms).where(Customer.customer_number == "CUST-1042")) == "Net60"

    page.get_by_role("link", name="New order").last.click()
    page.wait_for_url("**/orders/new?customer=CUST-1042")
    expect(page.locator("#f-customer-customerNumber")).to_have_value("CUST-1042")
    expect(page.locator("#f-terms")).to_have_value("Net60")


def test_an_admin_adds_a_product_from_the_list_and_a_manager_cannot(open_page, shop, db_session):
    page = open_page("ada@acme.example", PASSWORD, bypass_csp=True)
    page.get_by_role("link", name="Products").click()
    page.locator("summary", has_text="New product").click()
    assert axe_violations(page) == []
    page.get_by_label("SKU").fill("NUT-M8")
    page.get_by_label("Minimum order quantity").fill("ten")
    page.get_by_label("Wholesale price in USD").fill("-0.10")
    page.get_by_role("button", name="Create product").click()
    expect(page.locator("#name-error")).to_have_text("must not be empty")
    expect(page.locator("#minimumOrderQuantity-error")).to_contain_text("“ten” is not a quantity")
    expect(page.locator("#price-0-0-error")).to_have_text("must not be negative")
    expect(page.get_by_label("SKU")).to_have_value("NUT-M8")
    assert axe_violations(page) == []

    page.get_by_label("Name", exact=True).fill("Hex nut M8")
    page.get_by_label("Minimum order quantity").fill("100")
    page.get_by_label("Quantity increment").fill("50")
    page.get_by_label("Wholesale price in USD").fill("0.08")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("heading", name="Hex nut M8")).to_be_visible()
    expect(page.locator(".flash")).to_have_text("Product NUT-M8 created.")
    expect(page.get_by_label("Wholesale price in USD")).to_have_value("0.08")
    db_session.expire_all()
    product = db_session.scalar(select(Product).where(Product.sku == "NUT-M8"))
    assert (product.name, product.minimum_order_quantity, product.quantity_increment) == ("Hex nut M8", 100, 50)
    assert [(p.price_tier, p.currency_code, p.price) for p in product.prices] == [("Wholesale", "USD", Decimal("0.08"))]

    manager = open_page("max@acme.example", PASSWORD, bypass_csp=True)
    manager.get_by_role("link", name="Products").click()
    expect(manager.locator("#result-count")).to_have_text("33 products · page 1 of 2")
    expect(manager.locator("summary", has_text="New product")).to_have_count(0)
