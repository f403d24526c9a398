"""A small catalog, customers and reps for the order builder's tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.db.models import Customer, Product, ProductPrice
from app.services import accounts

ADDRESS = {"address1": "1 Harbor Way", "city": "Portland", "stateProvince": "OR",
           "zipPostalCode": "97201", "country": "US"}


def add_product(session, org, sku: str, name: str, prices: dict[tuple[str, str], str],
                moq: int = 1, inc: int = 1, active: bool = True) -> Product:
    product = Product(organization_id=org.id, sku=sku, name=name, minimum_order_quantity=moq,
                      quantity_increment=inc, active=active)
    for (tier, currency), price in prices.items():
        product.prices.append(ProductPrice(price_tier=tier, currency_code=currency, price=Decimal(price)))
    session.add(product)
    return product


@pytest.fixture()
def catalog(db_session, org):
    """Three widgets and a gasket; WID-BLU sells in 6s from 12, GSK-001 has no CAD price."""
    add_product(db_session, org, "WID-RED", "Widget Red", {
        ("Wholesale", "USD"): "10.00", ("Retail", "USD"): "14.50", ("Wholesale", "CAD"): "13.60"})
    add_product(db_session, org, "WID-BLU", "Widget Blue", {
        ("Wholesale", "USD"): "2.125", ("Retail", "USD"): "3.00", ("Wholesale", "CAD"): "2.90"}, moq=12, inc=6)
    add_product(db_session, org, "WID-GRN", "Widget Green", {
        ("Wholesale", "USD"): "7.00", ("Retail", "USD"): "9.00"})
    add_product(db_session, org, "GSK-001", "Gasket 40 mm", {("Wholesale", "USD"): "0.35"}, moq=10, inc=10)
    add_product(db_session, org, "OLD-001", "Discontinued widget", {("Wholesale", "USD"): "1.00"}, active=False)
    db_session.add(Customer(
        organization_id=org.id, customer_number="C-100", company_name="Harbor Industrial",
        company_email="buying@harbor.example", company_phone="555-0100", billing_address=ADDRESS,
        shipping_address={**ADDRESS, "address1": "9 Dock Rd"}, default_price_tier="Retail",
        default_terms="Net60", default_currency="USD"))
    db_session.add(Customer(
        organization_id=org.id, customer_number="C-200", company_name="Maple Leaf Wholesale",
        company_email="orders@maple.example", default_price_tier="Wholesale", default_currency="CAD"))
    accounts.ensure_rep(db_session, org, "REP-1", "Jordan", "Avery", "jordan@acme.example")
    accounts.ensure_rep(db_session, org, "REP-2", "Sam", "Okafor", "sam@acme.example")
    db_session.commit()
    return org


PASSWORD = "builder-pass-1"


@pytest.fixture()
def rep_user(db_session, catalog):
    """A rep linked to REP-1."""
    user = accounts.create_user(db_session, catalog, email="rep@acme.example", password=PASSWORD, role="rep",
                                rep_number="REP-1", first_name="Jordan", last_name="Avery")
    db_session.commit()
    return user


def sign_in(client, user) -> None:
    """Sign ``user`` in through the session cookie, as the sign-in page does: a
    server-side session whose token the cookie carries."""
    from flask import current_app

    from app.extensions import db
    from app.services import sessions

    lifetimes = sessions.Lifetimes(current_app.config["SESSION_IDLE"], current_app.config["REMEMBER_COOKIE_DURATION"])
    token = sessions.start(db.session, user, remember=False, lifetimes=lifetimes)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


@pytest.fixture()
def rep_client(client, rep_user):
    sign_in(client, rep_user)
    return client


def csrf_from(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
