"""Amounts as people type them are read with the organization's locale, never guessed:
``12,50`` in en_US was saved as 1250.00 and ``1.234,56`` as 1.23."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.models import Order, OrderLine, Organization
from app.domain.numbers import TypedNumberError, for_input, read_decimal
from app.services.orders import get_order
from tests.builder.test_builder_web import HX, base_form, lines, page_csrf
from tests.web.helpers import csrf_from, order_for


@pytest.mark.parametrize(("locale", "typed", "expected"), [
    ("en_US", "12.50", Decimal("12.50")),
    ("en_US", "1,234.56", Decimal("1234.56")),
    ("en_US", " 1234.5 ", Decimal("1234.50")),
    ("de_DE", "12,50", Decimal("12.50")),
    ("de_DE", "1.234,56", Decimal("1234.56")),
    ("fr_FR", "1 234,56", Decimal("1234.56")),
    ("fr_FR", "1\u202f234,56", Decimal("1234.56")),
    ("de_CH", "1'234.50", Decimal("1234.50")),
])
def test_a_number_written_the_locales_way_is_read_exactly(locale, typed, expected):
    assert read_decimal(typed, locale, places=2) == expected


@pytest.mark.parametrize(("locale", "typed", "said"), [
    ("en_US", "12,50", "did you mean “1,250” or “12.5”"),
    ("en_US", "1.234,56", "is ambiguous in English (United States)"),
    ("de_DE", "12.50", "did you mean “1.250” or “12,5”"),
    ("en_US", "1_000", "type digits 0–9"),
    ("en_US", "١٢", "type digits 0–9"),
    ("en_US", "5e-7", "type digits 0–9"),
    ("en_US", "NaN", "type digits 0–9"),
    ("en_US", "12.505", "has 3 decimal places; at most 2 decimal places are allowed"),
    ("en_US", "1" * 41, "too long"),
])
def test_an_ambiguous_or_malformed_number_is_refused_with_what_was_understood(locale, typed, said):
    with pytest.raises(TypedNumberError) as info:
        read_decimal(typed, locale, places=2)
    assert said in info.value.message


def test_a_currency_without_minor_units_takes_no_decimals():
    assert read_decimal("1,200", "en_US", places=0) == Decimal(1200)
    with pytest.raises(TypedNumberError, match="no decimal places are allowed"):
        read_decimal("12.5", "en_US", places=0)


def test_what_goes_back_into_a_field_reads_back_the_same():
    for locale in ("en_US", "de_DE", "fr_FR", "de_CH", "ja_JP"):
        text = for_input(Decimal("1234.5"), locale)
        assert read_decimal(text, locale, places=2) == Decimal("1234.50"), (locale, text)


def _edit_shipping(client, oid: str, total: str):
    token = csrf_from(client.get(f"/orders/{oid}").get_data(as_text=True))
    return client.post(f"/orders/{oid}/shipping/edit", headers=HX,
                       data={"csrf_token": token, "method": "UPS Ground", "total": total})


@pytest.mark.parametrize("typed", ["12,50", "1.234,56", "1_000", "5e-7", "12.505"])
def test_the_order_page_refuses_an_unreadable_shipping_cost_beside_the_field(manager, db_session, actor, typed):
    oid = order_for(db_session, actor, "REP-1", "E-1")
    before = get_order(db_session, actor, oid).shipping_total
    response = _edit_shipping(manager, oid, typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"“{typed}”" in html and "Shipping cost" in html
    db_session.expire_all()
    order = get_order(db_session, actor, oid)
    assert order.shipping_total == before and order.shipping_method != "UPS Ground"


def test_the_order_page_reads_a_german_organizations_decimal_comma(manager, db_session, actor, org):
    db_session.get(Organization, org.id).locale = "de_DE"
    db_session.commit()
    oid = order_for(db_session, actor, "REP-1", "E-1")
    form = manager.get(f"/orders/{oid}/shipping/edit", headers=HX).get_data(as_text=True)
    assert 'value="18,50"' in form
    assert _edit_shipping(manager, oid, "1.234,56").status_code == 200
    db_session.expire_all()
    assert get_order(db_session, actor, oid).shipping_total == Decimal("1234.56")


def test_the_builder_refuses_a_decimal_comma_in_a_price_tax_and_shipping(rep_client, db_session):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, tax="2,50", **{"shippingDetails.method": "Freight", "shippingDetails.total": "1.234,56"},
                     **lines(("a1", "WID-RED", "12", "12,50", "1")))
    response = rep_client.post("/orders/new", data=form, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“12,50” is ambiguous" in html and "“2,50” is ambiguous" in html and "“1.234,56” is ambiguous" in html
    assert "must be a number" not in html
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


def test_the_builder_stores_grouped_amounts_exactly(rep_client, db_session):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, tax="1,000.25", **lines(("a1", "WID-RED", "1,200", "1,234.5", "1")))
    response = rep_client.post("/orders/new", data=form, headers=HX)
    assert response.status_code == 204, response.get_data(as_text=True)
    order = db_session.scalars(select(Order)).one()
    line = db_session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    assert order.tax == Decimal("1000.25") and line.price == Decimal("1234.5") and line.quantity == 1200
