import copy
from decimal import Decimal as D

import pytest

from app import jsonutil
from app.domain.orders import CatalogRule, OrderRules, nearest_valid_quantities, parse_order, quantity_problem
from tests.seed_examples import SINGLE_CREATE

RULES = OrderRules(tiers=["Wholesale", "Retail"])


def body(**changes):
    data = copy.deepcopy(SINGLE_CREATE)
    data.update(changes)
    return data


def fields(errors):
    return [e.field for e in errors]


def test_seed_example_is_valid():
    order, errors = parse_order(body(), RULES)
    assert errors == []
    assert order.items[0].price == D("12.5")
    assert order.shipping_address["city"] == "Portland"


def test_every_violation_is_reported_at_once_with_its_path():
    data = body(orderType=None, priceTier="Gold", currencyCode="XYZ")
    data["customer"] = {"customerNumber": ""}
    data["items"] = [{"sku": "A", "quantity": 0, "price": -1}, {"quantity": 2.5, "price": "x"}]
    data["user"] = {}
    order, errors = parse_order(data, RULES)
    assert order is None
    assert fields(errors) == [
        "customer.customerNumber", "customer.companyName", "orderType", "priceTier",
        "currencyCode", "user.userType", "items[0].quantity", "items[0].price",
        "items[1].sku", "items[1].quantity", "items[1].price",
    ]
    tier_error = next(e for e in errors if e.field == "priceTier")
    assert "Wholesale, Retail" in tier_error.message


def test_required_fields_are_named():
    _, errors = parse_order({}, RULES)
    assert fields(errors) == [
        "customer", "orderType", "poNumber", "priceTier", "currencyCode", "primarySalesRep", "user", "items",
    ]


@pytest.mark.parametrize("raw", ['NaN', 'Infinity', '-Infinity'])
def test_nan_and_infinity_are_rejected_by_field(raw):
    text = jsonutil.dumps(body()).replace('"tax": 28.8', f'"tax": {raw}')
    assert raw in text
    _, errors = parse_order(jsonutil.loads(text), RULES)
    assert fields(errors) == ["tax"]
    assert "finite" in errors[0].message or "negative" in errors[0].message


def test_nan_price_and_quantity_are_rejected():
    data = jsonutil.loads(jsonutil.dumps(body()).replace('"price": 12.5', '"price": NaN').replace('"quantity": 24', '"quantity": Infinity'))
    _, errors = parse_order(data, RULES)
    assert fields(errors) == ["items[0].quantity", "items[0].price"]


@pytest.mark.parametrize(("quantity", "ok"), [(1, True), (24, True), (D("24.0"), True), (0, False), (-3, False),
                                              (D("2.5"), False), ("24", False), (True, False), (None, False)])
def test_quantity_must_be_a_positive_integer(quantity, ok):
    data = body()
    data["items"][0]["quantity"] = quantity
    _, errors = parse_order(data, RULES)
    assert (errors == []) is ok, errors


def test_negative_amounts_and_too_many_price_places_are_rejected():
    data = body(tax=-1)
    data["items"][0]["price"] = D("1.23456")
    data["shippingDetails"]["total"] = D("-0.01")
    _, errors = parse_order(data, RULES)
    assert fields(errors) == ["tax", "shippingDetails.total", "items[0].price"]
    assert "4 decimal places" in errors[-1].message


def test_status_email_dates_and_lengths_are_checked():
    data = body(orderStatus="Shipping", notes="x" * 4001, orderDate="yesterday")
    data["customer"]["companyEmail"] = "not-an-email"
    _, errors = parse_order(data, RULES)
    assert fields(errors) == ["customer.companyEmail", "notes", "orderStatus", "orderDate"]


def test_time_without_offset_is_utc_and_output_has_z():
    from app.domain.orders import format_datetime

    order, _ = parse_order(body(orderDate="2024-03-15T10:22:00"), RULES)
    assert format_datetime(order.order_date) == "2024-03-15T10:22:00Z"
    order, _ = parse_order(body(orderDate="2024-03-15T12:22:00+02:00"), RULES)
    assert format_datetime(order.order_date) == "2024-03-15T10:22:00Z"


def test_catalog_minimum_and_increment_are_enforced_on_single_create():
    rules = OrderRules(tiers=["Wholesale"], catalog={"WDG-BLU-L": CatalogRule("Widget", 30, 6)})
    _, errors = parse_order(body(), rules)
    assert fields(errors) == ["items[0].quantity"]
    assert "minimum order quantity of 30" in errors[0].message


def test_catalog_rules_are_stored_but_not_enforced_on_import():
    rules = OrderRules(tiers=["Wholesale"], catalog={"WDG-BLU-L": CatalogRule("Widget", 30, 6)},
                       enforce_catalog=False, allow_import_fields=True)
    order, errors = parse_order(body(), rules)
    assert errors == []
    assert (order.items[0].minimum_order_quantity, order.items[0].quantity_increment) == (30, 6)


def test_product_name_defaults_to_catalog_name_then_sku():
    data = body()
    for item in data["items"]:
        del item["productName"]
    rules = OrderRules(tiers=["Wholesale"], catalog={"WDG-BLU-L": CatalogRule("Widget Blue Large")})
    order, _ = parse_order(data, rules)
    assert [i.product_name for i in order.items] == ["Widget Blue Large", "WDG-RED-M"]


def test_quantity_increments_start_at_the_minimum():
    rule = CatalogRule("Widget", 12, 6)
    assert quantity_problem(12, rule) is None
    assert quantity_problem(18, rule) is None
    assert "minimum" in quantity_problem(6, rule)
    assert "nearest valid: 12 or 18" in quantity_problem(13, rule)
    assert nearest_valid_quantities(5, rule) == [12]
    assert nearest_valid_quantities(20, rule) == [18, 24]


def test_non_object_bodies_are_rejected():
    for value in (None, [], "x", 3):
        _, errors = parse_order(value, RULES)
        assert errors and errors[0].field in ("body",)


@pytest.mark.parametrize("address", [
    "buyer@example.com", "first.last+tag@sub.example.co.uk", "a..b@example.com", ".a@example.com", "a.@example.com",
    "a b@example.com", '"quoted"@example.com', "x@localhost", "x@example", "x@-bad.example.com", "x@exa_mple.com",
    "x@example.invalid", "x@[127.0.0.1]", "müller@example.de", "m@müller.example", "a" * 65 + "@example.com",
    "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 60 + ".com", "x@@example.com",
    "@example.com", "x@", "x@EXAMPLE.COM", "x@example.com.", "o'brien@example.ie",
])
def test_the_quick_email_check_answers_as_the_full_validation(address):
    from email_validator import EmailNotValidError, validate_email

    from app.domain.orders import email_problem

    try:
        validate_email(address, check_deliverability=False)
        expected = None
    except EmailNotValidError as exc:
        expected = f"is not a valid email address: {exc}"
    assert email_problem(address) == email_problem(address) == expected
