"""The text index (FTS5 trigram tables on SQLite, the q trigram index on PostgreSQL)
finds exactly what a case-insensitive substring or prefix test finds, for text a
trigram cannot hold (one or two characters), LIKE's wildcards, quotes and accents; and
it follows every write to the orders and their lines."""

import copy
import json

import pytest
from sqlalchemy import delete, select, text, update

from app.db.models import Order, OrderLine
from app.services.orders import change_status, import_orders, update_customer
from app.services.search import parse_search_params, search_orders
from tests.conftest import BACKEND
from tests.seed_examples import BULK

COMPANIES = ["Émile & Fils", "émile et fille", "Crème Brûlée Co", "CRÈME BRULEE", 'Say "Hi" Ltd', "O'Brien's Parts",
             "50%_off Ltd", "50x_off", "A_B Co", "ab", "Zoë", "Ünited Ä", "a"]
SKUS = ["É-1", "e-1", "50%", "5_0", 'Q"1', "AB"]


def fold(value: str) -> str:
    """The database's case folding: SQLite's LIKE and lower() fold ASCII letters only;
    PostgreSQL's fold every letter."""
    if BACKEND == "postgres":
        return value.lower()
    return "".join(ch.lower() if ch.isascii() else ch for ch in value)


@pytest.fixture()
def corpus(db_session, actor):
    payloads = []
    for n, company in enumerate(COMPANIES):
        order = copy.deepcopy(BULK["orders"][1])
        order.update(externalId=f"FTS-{n}", orderNumber=f"FT-{n:03d}", poNumber=company[::-1][:20] or "x")
        order["customer"]["companyName"] = company
        order["items"] = [{"sku": SKUS[n % len(SKUS)], "quantity": 1, "price": 2}]
        payloads.append(order)
    import_orders(db_session, actor, payloads)
    db_session.commit()


def rows(db_session):
    return db_session.execute(select(Order.order_number, Order.company_name, Order.po_number,
                                     Order.customer_number, Order.external_id)).all()


def found(db_session, actor, query):
    page = search_orders(db_session, actor, parse_search_params({**query, "pageSize": "100"}))
    assert page.total_count == len(page.items)
    return sorted(o.order_number for o in page.items)


def contains(field, value):
    return {"filters": json.dumps([{"field": field, "operator": "contains", "value": value}])}


VALUES = ["é", "É", "É", "ém", "ÉMILE", "émile", "crème", "CRÈME", "brûlée", "ü", "Ä", "ë",
          "%", "_", "%_", "50%_", "0%", "A_B", "a_", "\"", '"Hi"', "Say \"", "'", "O'B", "'s P",
          "a", "A", "ab", "AB", "b", "zo", "Co", "co", "ltd", " ", "e ", "nothing here"]


@pytest.mark.parametrize("value", VALUES)
def test_contains_matches_the_substring_test(db_session, actor, corpus, value):
    expected = sorted(r.order_number for r in rows(db_session) if fold(value) in fold(r.company_name))
    assert found(db_session, actor, contains("companyName", value)) == expected


@pytest.mark.parametrize("value", ["é", "É", "émi", "ÉMI", "cr", "CRÈ", "%", "50%", "50%_", "_", "A_", "a",
                                   "'", "O'b", '"', 'Say "H', "Zoë", "ab", "AB"])
def test_starts_with_matches_the_prefix_test(db_session, actor, corpus, value):
    field = {"filters": json.dumps([{"field": "companyName", "operator": "startsWith", "value": value}])}
    expected = sorted(r.order_number for r in rows(db_session) if fold(r.company_name).startswith(fold(value)))
    assert found(db_session, actor, field) == expected


@pytest.mark.parametrize("value", ["é", "ÉMILE", "%", "_", "'s", '"', "a", "ab", "ft-00", "FTS-1", "ffo_", "1"])
def test_q_matches_the_substring_test_on_its_fields(db_session, actor, corpus, value):
    v = fold(value)
    expected = sorted(r.order_number for r in rows(db_session)
                      if any(v in fold(c or "") for c in (r.order_number, r.company_name, r.po_number,
                                                          r.customer_number, r.external_id)))
    assert found(db_session, actor, {"q": value}) == expected


@pytest.mark.parametrize("value", ["é", "É-", "e-1", "%", "_", "5_0", '"', 'q"1', "a", "ab", "-1"])
def test_sku_contains_matches_the_substring_test(db_session, actor, corpus, value):
    skus = dict(db_session.execute(select(OrderLine.order_id, OrderLine.sku)).all())
    numbers = dict(db_session.execute(select(Order.id, Order.order_number)).all())
    expected = sorted(numbers[oid] for oid, sku in skus.items() if fold(value) in fold(sku))
    assert found(db_session, actor, contains("sku", value)) == expected


def test_the_web_search_box_also_finds_an_equal_sku(db_session, actor, corpus):
    params = parse_search_params({"q": "É-1", "pageSize": "100"})
    params.q_includes_sku = True
    page = search_orders(db_session, actor, params)
    assert sorted(o.order_number for o in page.items) == ["FT-000", "FT-006", "FT-012"]


def test_the_index_follows_every_write(db_session, actor, corpus):
    def company(value):
        return found(db_session, actor, contains("companyName", value))

    first = db_session.scalar(select(Order).where(Order.order_number == "FT-000"))
    update_customer(db_session, actor, first.id, {"customerNumber": "C-NEW", "companyName": "Xylophone Works"})
    db_session.commit()
    assert company("xylophone") == ["FT-000"]
    assert "FT-000" not in company("émile")
    assert found(db_session, actor, {"q": "c-new"}) == ["FT-000"]
    change_status(db_session, actor, first.id, "Cancelled")
    db_session.commit()
    assert found(db_session, actor, contains("orderStatus", "cancel")) == ["FT-000"]

    # Re-import of an order with its external id: new fields and new lines.
    again = copy.deepcopy(BULK["orders"][1])
    again.update(externalId="FTS-1", orderNumber="FT-001", poNumber="PO-REIMPORT")
    again["customer"]["companyName"] = "Quartz Again"
    again["items"] = [{"sku": "NEWSKU-77", "quantity": 1, "price": 2}]
    import_orders(db_session, actor, [again])
    db_session.commit()
    assert company("quartz") == ["FT-001"]
    assert found(db_session, actor, contains("sku", "sku-7")) == ["FT-001"]
    assert "FT-001" not in found(db_session, actor, contains("sku", "e-1"))
    assert found(db_session, actor, {"q": "PO-REIM"}) == ["FT-001"]

    # Statements outside the services are followed too.
    db_session.execute(update(Order).where(Order.order_number == "FT-002").values(po_number="Zebra-9"))
    db_session.execute(update(OrderLine).where(OrderLine.sku == "AB").values(sku="Walrus"))
    db_session.execute(delete(Order).where(Order.order_number == "FT-004"))
    db_session.commit()
    assert found(db_session, actor, {"q": "zebra"}) == ["FT-002"]
    assert found(db_session, actor, contains("sku", "walrus")) == ["FT-005", "FT-011"]
    assert found(db_session, actor, contains("sku", "AB")) == []
    assert "FT-004" not in found(db_session, actor, contains("companyName", "Hi"))


def test_searches_go_through_the_text_index(db_session, actor, corpus):
    from sqlalchemy import func

    from app.services.search import search_conditions

    def plan(query):
        # The text condition alone: with a dozen rows the organization's index would do.
        stmt = select(func.count()).select_from(Order).where(search_conditions(actor, parse_search_params(query))[-1])
        compiled = stmt.compile(dialect=db_session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN " if BACKEND == "sqlite" else "EXPLAIN "
        return " ".join(str(r[-1]) for r in db_session.execute(text(explain + str(compiled))))

    if BACKEND == "postgres":
        # A dozen rows are read faster without an index; forbid that to see the index chosen.
        db_session.execute(text("SET LOCAL enable_seqscan = off"))
        assert "ix_orders_q_trgm" in plan({"q": "émile"})
        return
    for query in ({"q": "émile"}, contains("companyName", "brûl"), contains("sku", "e-1"),
                  {"filters": json.dumps([{"field": "poNumber", "operator": "startsWith", "value": "sdl"}])}):
        assert "VIRTUAL TABLE INDEX" in plan(query), query
    assert db_session.execute(text("SELECT count(*) FROM orders_fts")).scalar() == len(COMPANIES)
    assert db_session.execute(text("SELECT count(*) FROM order_lines_fts")).scalar() == len(COMPANIES)
