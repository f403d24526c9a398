"""The search query's shape: what it reads, the problems it reports (paths, messages,
order) and the parameters it generates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from app.domain import money
from app.domain.errors import ValidationFailed
from app.services.search import FILTER_FIELDS, Filter
from app.shapes.search import parameters, read_query


def _problems(args) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        read_query(args)
    return [(e.field, e.message) for e in exc.value.errors]


def test_a_query_reads_paging_sort_q_filters_and_shorthand_in_the_order_given():
    params = read_query(MultiDict([
        ("sku", "A-1"), ("pageSize", "010"), ("sortDirection", "DESC"), ("q", "  po 7 "),
        ("filters", json.dumps({"field": "orderTotal", "operator": "in", "value": "1.5, 2"})),
        ("orderDate", "2026-03-01T00:00:00Z"), ("sku", "B-2"),
    ]))
    assert (params.page_number, params.page_size, params.sort_on, params.sort_direction, params.q) == (
        1, 10, "createdAt", "desc", "po 7")
    assert params.filters == [
        Filter("orderTotal", "in", [Decimal("1.5"), Decimal("2")]),
        Filter("sku", "eq", "A-1"), Filter("sku", "eq", "B-2"),
        Filter("orderDate", "eq", datetime(2026, 3, 1, tzinfo=UTC)),
    ]


def test_problems_come_fixed_parameters_first_then_the_other_keys_as_given():
    problems = _problems(MultiDict([
        ("orderTotal", "1.23456"), ("color", "red"), ("pageNumber", "0"),
        ("filters", json.dumps([{"field": "nope", "operator": "like"}, 5,
                                {"field": "orderDate", "operator": "contains", "value": "x"}])),
        ("q", "a\x01"), ("sortOn", "price"),
    ]))
    assert [path for path, _ in problems] == [
        "pageNumber", "sortOn", "q", "filters[0].field", "filters[0].operator", "filters[1]",
        "filters[2].operator", "orderTotal.value", "color",
    ]
    messages = dict(problems)
    assert messages["pageNumber"] == "must be between 1 and 10000000"
    assert messages["filters[1]"] == "must be an object with field, operator and value"
    assert messages["filters[2].operator"] == "contains applies to text fields only"
    assert messages["orderTotal.value"] == (
        f"must be a number of at most {money.MAX_AMOUNT} with at most {money.PRICE_PLACES} decimal places")
    assert messages["color"].startswith("unknown query parameter; filterable fields: orderNumber, ")


def test_the_operation_parameters_are_the_declared_fields_in_order():
    params = parameters()
    assert [p["name"] for p in params] == [
        "pageNumber", "pageSize", "sortOn", "sortDirection", "filters", "q", *FILTER_FIELDS]
    by_name = {p["name"]: p for p in params}
    assert by_name["filters"]["content"]["application/json"]["schema"]["anyOf"][1] == {
        "$ref": "#/components/schemas/Filter"}
    assert by_name["pageSize"]["allowEmptyValue"] is True and "allowEmptyValue" not in by_name["sku"]
    assert by_name["repNumber"]["description"].endswith("Matches the primary or taken-by rep.")
