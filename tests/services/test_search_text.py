"""Text filters (contains, startsWith, q) match exactly what a case-insensitive substring
or prefix test says, and a search found through a lookup index (text, SKU, invoice) pages
and counts exactly like the general path, whatever its size."""

import copy
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.db.models import Order, OrderLine
from app.services import search
from app.services.orders import import_orders
from app.services.search import count_exactly, ordered_ids, parse_search_params, search_orders
from tests.seed_examples import BULK

COMPANIES = [
    "Company 4242 Supply", "COMPANY 4242 SUPPLY CO", "Company 42420 Supply", "Company 4242Supply",
    "Acme 50%_off Ltd", "Acme 50xyoff Ltd", "Müller 4242 Söhne", "ny 4242 su", "Other",
    "po-1234 trading", "PO_1234 Trading",
]
PO_NUMBERS = ["PO-1234", "po-12345", "PO-123", "PO_1234", "XPO-1234", "PO-1234-B", "P%-1234", "po-9",
              "PO-12340", "Po-1234x", "ZZ"]


@pytest.fixture()
def orders(db_session, actor):
    payloads = []
    for n, (company, po) in enumerate(zip(COMPANIES, PO_NUMBERS, strict=True)):
        order = copy.deepcopy(BULK["orders"][1])
        order.update(externalId=f"EXT-{n}", orderNumber=f"TXT-{n:03d}", poNumber=po)
        order["customer"]["companyName"] = company
        order["items"] = [{"sku": f"SKU-{n % 3}", "quantity": 1, "price": 2},
                          {"sku": f"sku-x{n}", "quantity": 1, "price": 2}]
        payloads.append(order)
    import_orders(db_session, actor, payloads)
    db_session.commit()
    rows = db_session.execute(select(Order.id, Order.company_name, Order.po_number, Order.order_number)).all()
    return {r.order_number: r for r in rows}


def _filter(field, operator, value):
    return {"filters": json.dumps([{"field": field, "operator": operator, "value": value}]), "pageSize": "100"}


def _found(db_session, actor, query):
    page = search_orders(db_session, actor, parse_search_params(query))
    assert page.total_count == len(page.items)
    return sorted(o.order_number for o in page.items)


@pytest.mark.parametrize("value", ["ny 4242 su", "NY 4242 SU", "4242", "4242 s", "y 42", "50%_", "50%",
                                   "%", "_", "0x", "ller 4242 s", "ü", "1234 t", "-1234", "Company 4242 Supply",
                                   "PO_1234", "po-1234", "P%-1234", "42420 Supply"])
def test_contains_is_a_case_insensitive_substring_test(db_session, actor, orders, value):
    expected = sorted(n for n, r in orders.items() if value.lower() in r.company_name.lower())
    assert _found(db_session, actor, _filter("companyName", "contains", value)) == expected


@pytest.mark.parametrize("value", ["po-1234", "PO-1234", "PO_", "po_1234", "P%", "p", "PO-123", "Po-1234X", "x"])
def test_starts_with_is_a_case_insensitive_prefix_test(db_session, actor, orders, value):
    expected = sorted(n for n, r in orders.items() if r.po_number.lower().startswith(value.lower()))
    assert _found(db_session, actor, _filter("poNumber", "startsWith", value)) == expected


@pytest.mark.parametrize("value", ["1234 t", "PO-1234", "4242 su", "txt-00", "ext-1", "PO-12340", "xPO-123",
                                   "Supply 4242", "p%-1234", "TXT-010"])
def test_q_matches_any_of_its_columns(db_session, actor, orders, value):
    v = value.lower()
    expected = sorted(n for n, r in orders.items()
                      if v in r.company_name.lower() or v in r.po_number.lower() or v in n.lower()
                      or v in f"ext-{int(n[4:])}")
    assert _found(db_session, actor, {"q": value, "pageSize": "100"}) == expected


@pytest.mark.parametrize(("value", "pattern"), [
    ("ny 4242 su", "%4242%"), ("Company 4242 Supply", "%4242%"), ("ORD-0123456", "%0123456%"),
    ("PO-12345", "%12345%"), ("A12-345678-B9", "%345678%"), ("2026-0153", "%2026%0153%"), ("PO_1234", "%1234%"),
    ("4242", None), ("SKU-42", None), ("SKU-100", None), ("Smith 1000", None), ("Trading", None), ("50%_off", None),
])
def test_the_trigram_index_is_given_a_pattern_with_rarer_trigrams(value, pattern):
    from app.services.text_search import index_pattern

    assert index_pattern(value) == pattern


def _like(pattern: str, text: str) -> bool:
    """LIKE without escapes, case-insensitive: ``%`` is any run of characters."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("%"))), text, re.IGNORECASE | re.DOTALL) is not None


@settings(max_examples=400, deadline=None)
@given(value=st.lists(st.sampled_from(["ORD", "po", "-", "_", "%", "\\", " ", "ü", "123", "4567", "89", "0", "x"]),
                      min_size=1, max_size=6).map("".join),
       before=st.text(max_size=6), after=st.text(max_size=6), upper=st.booleans())
def test_every_text_that_contains_the_value_matches_its_index_pattern(value, before, after, upper):
    from app.services.text_search import index_pattern

    pattern = index_pattern(value)
    if pattern is not None:
        assert _like(pattern, before + (value.upper() if upper else value) + after)


def test_sku_and_invoice_lookups_use_text_operators_too(db_session, actor, orders):
    assert len(_found(db_session, actor, _filter("sku", "startsWith", "SKU-X1"))) == 2  # sku-x1, sku-x10
    assert len(_found(db_session, actor, _filter("sku", "contains", "u-x1"))) == 2
    assert len(_found(db_session, actor, _filter("sku", "eq", "SKU-0"))) == 4


QUERIES = [
    {"filters": json.dumps([{"field": "companyName", "operator": "contains", "value": "4242"}])},
    {"filters": json.dumps([{"field": "companyName", "operator": "contains", "value": "ny 4242 su"}])},
    {"filters": json.dumps([{"field": "poNumber", "operator": "startsWith", "value": "po"}])},
    {"sku": "SKU-1"},
    {"filters": json.dumps([{"field": "sku", "operator": "in", "value": ["SKU-1", "SKU-2"]}])},
    {"q": "1234"},
    {"q": "nothing matches this"},
]


@pytest.mark.parametrize("small_result", [search.SMALL_RESULT, 2])
def test_lookup_searches_page_and_count_like_the_general_path(db_session, actor, orders, monkeypatch, small_result):
    monkeypatch.setattr(search, "SMALL_RESULT", small_result)
    # Ties on the sort key: the id breaks them in both paths.
    db_session.execute(update(Order).where(Order.order_number.in_(["TXT-001", "TXT-004", "TXT-007"]))
                       .values(po_number="PO-TIE", order_total=5))
    db_session.commit()
    for query in QUERIES:
        for sort_on in ("createdAt", "poNumber", "orderTotal", "companyName"):
            for direction in ("asc", "desc"):
                for page_number in (1, 2, 3, 9):
                    args = {**query, "pageSize": "3", "pageNumber": str(page_number),
                            "sortOn": sort_on, "sortDirection": direction}
                    params = parse_search_params(args)
                    assert search.found_through_a_lookup_index(params)
                    page = search_orders(db_session, actor, params)
                    expected = db_session.scalars(
                        ordered_ids(actor, params).limit(3).offset((page_number - 1) * 3)).all()
                    assert page.total_count == count_exactly(db_session, actor, params), args
                    assert [o.id for o in page.items] == [o.id for o in expected], args
                    assert all(len(o.items) == 2 for o in page.items)
                    db_session.rollback()


def test_a_lookup_search_sees_only_the_actors_orders(db_session, actor, orders):
    from app.services import accounts
    from app.services.context import REP, Actor

    other_org = accounts.create_organization(db_session, "Elsewhere", tiers=["Wholesale", "Retail"])
    db_session.commit()
    other = Actor(organization_id=other_org.id, name="Other")
    assert _found(db_session, other, _filter("companyName", "contains", "4242")) == []
    assert db_session.scalar(select(OrderLine.sku).where(OrderLine.sku == "SKU-1").limit(1)) == "SKU-1"
    assert _found(db_session, other, {"sku": "SKU-1"}) == []
    assert _found(db_session, other, _filter("sku", "contains", "u-x1")) == []
    assert _found(db_session, other, _filter("sku", "startsWith", "sku-x")) == []
    rep = Actor(organization_id=actor.organization_id, name="Rep", role=REP, rep_numbers=("REP-999",))
    assert _found(db_session, rep, _filter("companyName", "contains", "4242")) == []


@pytest.mark.sqlite_only
def test_a_text_search_with_many_candidates_walks_the_sort_index_for_its_page(db_session, actor, orders, monkeypatch):
    """Ranking thousands of text matches means sorting them all; the requested order's
    index, with the candidates as a filter, meets a page of them first (SQLite)."""
    from sqlalchemy import text

    from app.services.search import search_statements

    params = parse_search_params({"q": "4242", "sortOn": "orderTotal", "sortDirection": "desc"})

    def statements():
        return [str(stmt.compile(dialect=db_session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
                for stmt in search_statements(db_session, actor, params)]

    assert not search.many_text_candidates(db_session, params)
    assert "row_number()" in statements()[0]  # matches ranked in one pass
    monkeypatch.setattr(search, "SMALL_RESULT", 2)
    assert search.many_text_candidates(db_session, params)
    count, page_sql = statements()
    assert count.startswith("SELECT count(*)") and "orders_fts" in count and "orders_fts" not in page_sql
    plan = " ".join(r[-1] for r in db_session.execute(text("EXPLAIN QUERY PLAN " + page_sql)))
    assert plan.startswith("SEARCH orders USING INDEX ix_orders_org_total"), plan
    # The text index's condition stays a term SQLite can look rows up by, not "(…) = 1".
    assert "= 1" not in count and "= 1" not in page_sql
    # Another organization's order that the text matches too stays out of it.
    from app.services import accounts
    from app.services.context import Actor

    elsewhere = accounts.create_organization(db_session, "Elsewhere", tiers=["Wholesale", "Retail"])
    stranger = copy.deepcopy(BULK["orders"][1])
    stranger.update(externalId="EXT-4242", orderNumber="ELSE-4242")
    import_orders(db_session, Actor(organization_id=elsewhere.id, name="Else"), [stranger])
    db_session.commit()
    page = search_orders(db_session, actor, params)
    expected = [n for n, r in orders.items() if "4242" in r.company_name or "4242" in n]
    assert page.total_count == len(expected)
    assert [o.order_number for o in page.items] == [
        o.order_number for o in db_session.scalars(ordered_ids(actor, params).limit(25))]
