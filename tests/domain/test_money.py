from decimal import Decimal as D

import pytest

from app.domain import money
from app.domain.orders import compute_totals


def test_seed_example_totals_come_out_exactly():
    totals = compute_totals(
        [(24, D("12.50"), D(0)), (12, D("11.00"), D(0))],
        currency="USD", shipping=D("18.50"), tax=D("28.80"),
    )
    assert totals.line_subtotals == (D("300.00"), D("132.00"))
    assert totals.subtotal == D("432.00")
    assert totals.total == D("479.30")


@pytest.mark.parametrize(("currency", "places"), [("USD", 2), ("JPY", 0), ("BHD", 3), ("EUR", 2)])
def test_minor_units_come_from_the_locale_library(currency, places):
    assert money.minor_units(currency) == places


def test_jpy_rounds_half_up_to_whole_yen():
    totals = compute_totals([(3, D("100.5"), D(0))], currency="JPY")
    assert totals.line_subtotals == (D("302"),)  # 301.5 → 302
    assert money.round_amount(D("2.5"), "JPY") == D("3")
    assert money.round_amount(D("-2.5"), "JPY") == D("-3")


def test_bhd_rounds_half_up_to_three_places():
    totals = compute_totals([(1, D("1.0005"), D(0))], currency="BHD", shipping=D("0.0015"))
    assert totals.subtotal == D("1.001")
    assert totals.shipping == D("0.002")
    assert totals.total == D("1.003")


def test_usd_half_cent_rounds_up_not_to_even():
    assert money.round_amount(D("0.125"), "USD") == D("0.13")
    assert money.round_amount(D("0.135"), "USD") == D("0.14")


def test_line_discount_and_order_discount_enter_the_totals():
    totals = compute_totals([(10, D("9.99"), D("4.90"))], currency="USD",
                            shipping=D("5"), tax=D("1.25"), discount=D("10"))
    assert totals.line_subtotals == (D("95.00"),)
    assert totals.total == D("91.25")


@pytest.mark.parametrize(("value", "currency", "locale", "expected"), [
    (D("12.5"), "USD", "en_US", "$12.50"),
    (D("479.3"), "USD", "en_US", "$479.30"),
    (D("12.5"), "CAD", "en_US", "CA$12.50"),
    (D("1200"), "JPY", "en_US", "¥1,200"),
    (D("1.234"), "BHD", "en_US", "BHD 1.234".replace(" ", "")),
    (D("1234.5"), "EUR", "de_DE", "1.234,50\xa0€"),
    (D("0.1250"), "USD", "en_US", "$0.125"),
])
def test_formatting_uses_the_locale_and_currency(value, currency, locale, expected):
    assert money.format_money(value, currency, locale) == expected


def test_real_iso_currency_codes_only():
    assert money.is_currency("USD")
    assert money.is_currency("BHD")
    assert not money.is_currency("usd")
    assert not money.is_currency("ABC")
    assert not money.is_currency(12)
