"""The catalog service: upserts of products and customers in batches, as the API, the
pages and file imports use it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.models import AuditEvent, Customer, Product, ProductPrice
from app.domain.errors import PermissionDenied
from app.services import catalog
from app.services.context import Actor


def product(sku="W-1", **changes):
    body = {"sku": sku, "name": "Widget", "minimumOrderQuantity": 6, "quantityIncrement": 6, "active": True,
            "prices": [{"priceTier": "Wholesale", "currencyCode": "USD", "price": Decimal("4.50")},
                       {"priceTier": "Retail", "currencyCode": "USD", "price": 6}]}
    body.update(changes)
    return body


def customer(number="C-1", **changes):
    body = {"customerNumber": number, "companyName": "Brightfield Supply", "companyEmail": "buy@brightfield.example",
            "billingAddress": {"city": "Austin", "country": "US"}, "defaultPriceTier": "Retail",
            "defaultTerms": "Net30", "defaultCurrency": "USD"}
    body.update(changes)
    return body


def count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_products_are_created_then_unchanged_then_updated_with_each_change(db_session, actor):
    first = catalog.upsert_products(db_session, actor, [product(), product("W-2", name="Gadget")])
    assert [(r.index, r.key, r.status) for r in first] == [(0, "W-1", "created"), (1, "W-2", "created")]
    assert count(db_session, Product) == 2 and count(db_session, ProductPrice) == 4

    again = catalog.upsert_products(db_session, actor, [product(), product("W-2", name="Gadget")])
    assert [r.status for r in again] == ["unchanged", "unchanged"]

    changed = catalog.upsert_products(db_session, actor, [product(
        name="Widget XL", prices=[{"priceTier": "Wholesale", "currencyCode": "USD", "price": "x"}])])
    assert changed[0].status == "failed"
    assert [(e.field, e.message) for e in changed[0].errors] == [("prices[0].price", "must be a number")]

    changed = catalog.upsert_products(db_session, actor, [product(
        name="Widget XL", prices=[{"priceTier": "Wholesale", "currencyCode": "USD", "price": Decimal("4.75")}])])
    assert changed[0].status == "updated"
    assert changed[0].changes == {"name": ("Widget", "Widget XL"),
                                  "prices.Wholesale.USD": (Decimal("4.5000"), Decimal("4.7500")),
                                  "prices.Retail.USD": (Decimal("6.0000"), None)}
    db_session.expire_all()
    stored = db_session.scalar(select(Product).where(Product.sku == "W-1"))
    assert stored.name == "Widget XL" and [(p.price_tier, p.price) for p in stored.prices] == [("Wholesale", Decimal("4.75"))]
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "product.updated")).all()
    assert len(events) == 1 and events[0].changes["name"] == ["Widget", "Widget XL"]


def test_items_are_checked_against_the_organizations_lists_and_the_price_rules(db_session, actor):
    results = catalog.upsert_products(db_session, actor, [
        product(prices=[{"priceTier": "Gold", "currencyCode": "USD", "price": 1}]),
        product("W-2", prices=[{"priceTier": "Retail", "currencyCode": "EUR", "price": 1}]),
        product("W-3", prices=[{"priceTier": "Retail", "currencyCode": "USD", "price": Decimal("1.00005")}]),
        product("W-4", minimumOrderQuantity=0, name=" ", active="yes"),
        product("W-5", prices=[{"priceTier": "Retail", "currencyCode": "USD", "price": 1},
                               {"priceTier": "Retail", "currencyCode": "USD", "price": 2}]),
        "nope",
    ])
    errors = {r.index: [(e.field, e.message) for e in r.errors] for r in results}
    assert errors[0] == [("prices[0].priceTier", "must be one of the organization's price tiers: Wholesale, Retail")]
    assert errors[1] == [("prices[0].currencyCode", "must be one of the organization's currencies: USD")]
    assert errors[2] == [("prices[0].price", "must have at most 4 decimal places")]
    assert errors[3] == [("name", "must not be empty"), ("minimumOrderQuantity", "must be at least 1"),
                         ("active", "must be true or false")]
    assert errors[4] == [("prices[1]", "Retail in USD is priced twice (also prices[0])")]
    assert errors[5] == [("", "must be an object")]
    assert all(r.status == "failed" for r in results) and count(db_session, Product) == 0


def test_reject_all_and_dry_runs_write_nothing(db_session, actor):
    items = [product(), product("W-2", name="")]
    results = catalog.upsert_products(db_session, actor, items, error_policy="rejectAll")
    assert [r.status for r in results] == ["created", "failed"] and count(db_session, Product) == 0
    results = catalog.upsert_products(db_session, actor, items)
    assert [r.status for r in results] == ["created", "failed"] and count(db_session, Product) == 1

    dry = catalog.upsert_products(db_session, actor, [product(name="Renamed"), product("W-3")], dry_run=True)
    assert [r.status for r in dry] == ["updated", "created"] and dry[0].changes == {"name": ("Widget", "Renamed")}
    assert count(db_session, Product) == 1
    assert db_session.scalar(select(Product.name).where(Product.sku == "W-1")) == "Widget"


def test_keys_are_normalized_and_a_key_twice_in_a_batch_fails_both(db_session, actor):
    results = catalog.upsert_products(db_session, actor, [product("ＷＸ-1"), product(" WX-1 ")])
    assert [(r.key, r.status) for r in results] == [("WX-1", "failed"), ("WX-1", "failed")]
    assert results[0].errors[0].field == "sku" and "more than once" in results[0].errors[0].message


def test_customers_by_customer_number_with_their_defaults(db_session, actor):
    results = catalog.upsert_customers(db_session, actor, [customer(), customer("C-2", defaultTerms="Net 15")])
    assert [r.status for r in results] == ["created", "failed"]
    assert [(e.field, e.message.split(":")[0]) for e in results[1].errors] == [
        ("defaultTerms", "must be one of the organization's payment terms")]
    assert catalog.upsert_customers(db_session, actor, [customer()])[0].status == "unchanged"
    updated = catalog.upsert_customers(db_session, actor, [customer(billingAddress={"city": "Dallas", "country": " US "},
                                                                    companyEmail=None)])[0]
    assert updated.status == "updated"
    assert updated.changes == {"companyEmail": ("buy@brightfield.example", None),
                               "billingAddress": ({"city": "Austin", "country": "US"}, {"city": "Dallas", "country": "US"})}
    db_session.expire_all()
    row = db_session.scalar(select(Customer).where(Customer.customer_number == "C-1"))
    assert row.billing_address == {"city": "Dallas", "country": "US"} and row.default_terms == "Net30"


def test_who_may_change_the_catalog_and_the_directory(db_session, org):
    manager = Actor(organization_id=org.id, name="M", role="manager")
    rep = Actor(organization_id=org.id, name="R", role="rep")
    with pytest.raises(PermissionDenied):
        catalog.upsert_products(db_session, manager, [product()])
    assert catalog.upsert_customers(db_session, manager, [customer()])[0].status == "created"
    with pytest.raises(PermissionDenied):
        catalog.upsert_customers(db_session, rep, [customer()])
