"""Search costs a constant number of queries, pages stably under ties, and (on
PostgreSQL) every filter and sort of the API is served by an index."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from sqlalchemy import event, text, update
from werkzeug.datastructures import MultiDict

from app.db.models import Invoice, Order
from app.services import accounts
from app.services.context import Actor
from app.services.search import (
    count_exactly,
    found_through_a_lookup_index,
    ordered_ids,
    parse_search_params,
    small_result_statement,
    stored_count_key,
)
from tests.api.helpers import data
from tests.seed_examples import BULK


def load_orders(api, db_session, org, count: int) -> list[str]:
    """``count`` imported orders of three lines, each with two invoices."""
    orders = []
    for n in range(count):
        order = json.loads(json.dumps(BULK["orders"][1]))
        order.update(externalId=f"EXT-{n}", orderNumber=f"HIST-{n:05d}")
        order["items"] = [{"sku": f"SKU-{n}-{i}", "quantity": i + 1, "price": 2} for i in range(3)]
        orders.append(order)
    ids = [r["data"]["id"] for r in data(api.post("/api/orders/bulk", {"orders": orders}))]
    for n, order_id in enumerate(ids):
        for k in range(2):
            db_session.add(Invoice(organization_id=org.id, order_id=order_id,
                                   invoice_number=f"INV-{n}-{k}", amount=1))
    db_session.commit()
    return ids


@contextmanager
def counted_queries(engine):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_page_costs_the_same_few_queries_whatever_its_size(app, api, db_session, org):
    from app.extensions import db

    load_orders(api, db_session, org, 120)
    costs = {}
    for size in (1, 10, 100):
        for query in (f"pageSize={size}", f"pageSize={size}&filters="
                      + quote(json.dumps([{"field": "orderTotal", "operator": "gt", "value": 1}]))):
            with counted_queries(db.engine) as statements:
                page = data(api.get(f"/api/orders?{query}"))
            assert len(page["items"]) == size
            assert all(len(o["items"]) == 3 and len(o["invoiceNumbers"]) == 2 for o in page["items"])
            costs[(size, "filters" in query)] = len(statements)
    assert len({cost for (size, _), cost in costs.items()}) <= 2, costs
    assert costs[(1, False)] == costs[(100, False)]
    assert costs[(1, True)] == costs[(100, True)]
    # token lookup + last-use update, organization, count, page, lines, invoice numbers
    assert max(costs.values()) <= 8, costs


def test_paging_is_stable_when_sort_keys_tie(api, db_session, org):
    ids = load_orders(api, db_session, org, 23)
    same = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    db_session.execute(update(Order).values(created_at=same, order_date=same, po_number="PO-SAME"))
    db_session.commit()
    for sort_on in ("createdAt", "orderDate", "poNumber"):
        for direction in ("asc", "desc"):
            seen = []
            for number in range(1, 6):
                page = data(api.get(f"/api/orders?pageSize=5&pageNumber={number}"
                                    f"&sortOn={sort_on}&sortDirection={direction}"))
                seen.extend(o["id"] for o in page["items"])
            assert len(seen) == len(set(seen)) == 23
            assert seen == sorted(ids, reverse=direction == "desc")
            again = data(api.get(f"/api/orders?pageSize=5&pageNumber=3&sortOn={sort_on}"
                                 f"&sortDirection={direction}"))
            assert [o["id"] for o in again["items"]] == seen[10:15]


# --------------------------------------------------------------------------- PostgreSQL plans

BULK_ROWS = 60_000

FILTERS = {
    "orderNumber": ("eq", "ORD-0012345"), "orderStatus": ("eq", "Shipped"),
    "orderType": ("eq", "EDI"), "channel": ("eq", "Fax"), "poNumber": ("eq", "PO-777"),
    "priceTier": ("eq", "Distributor"), "currencyCode": ("eq", "JPY"), "terms": ("eq", "COD"),
    "externalId": ("eq", "EXT-4242"), "customerNumber": ("eq", "CUST-00042"),
    "companyName": ("contains", "ompany 4"), "repNumber": ("eq", "REP-07"),
    "sku": ("eq", "SKU-00042"), "invoiceNumber": ("eq", "INV-0000042"),
    "orderDate": ("gte", "2026-01-01T00:00:00Z"), "createdAt": ("gte", "2026-06-01T00:00:00Z"),
    "updatedAt": ("lt", "2020-01-02T00:00:00Z"), "orderTotal": ("gt", "9990"),
}
TEXT_OPERATORS = ("startsWith", "contains", "in")


def _fill(conn, org_id: str, rows: int) -> None:
    """Rows with realistic spreads (statuses, types, dates, totals) straight in SQL."""
    conn.execute(text("""
        INSERT INTO orders (id, organization_id, order_number, order_date, order_status, order_type,
            po_number, price_tier, currency_code, terms, channel, external_id, customer_number,
            company_name, primary_rep_number, taken_by_rep_number, shipping_total, tax,
            discount_amount, subtotal, order_total, active, created_at, updated_at)
        SELECT gen_random_uuid()::text, :org, 'ORD-' || lpad(g::text, 7, '0'),
            timestamptz '2020-01-01' + (g * interval '47 minutes'),
            (ARRAY['Pending','Processing','Shipped','Complete','Cancelled'])[1 + g % 5],
            (ARRAY['Direct','Web','EDI','Phone','Fax','Email','Portal','Rep'])[1 + g % 8],
            'PO-' || g, (ARRAY['Wholesale','Retail','Distributor'])[1 + g % 3],
            (ARRAY['USD','CAD','EUR','GBP','JPY'])[1 + g % 5],
            (ARRAY['Net30','Net60','COD','Prepaid'])[1 + g % 4],
            (ARRAY['Web','Phone','EDI','Fax','Email','Portal'])[1 + g % 6],
            'EXT-' || g, 'CUST-' || lpad((g % 5000)::text, 5, '0'),
            'Company ' || (g % 5000), 'REP-' || lpad((g % 40)::text, 2, '0'),
            CASE WHEN g % 10 = 0 THEN 'REP-' || lpad((g % 37)::text, 2, '0') END,
            0, 0, 0, (g % 10000), (g % 10000), true,
            timestamptz '2020-01-01' + (g * interval '53 minutes'),
            timestamptz '2020-01-01' + (g * interval '59 minutes')
        FROM generate_series(1, :rows) AS g
    """), {"org": org_id, "rows": rows})
    conn.execute(text("""
        INSERT INTO order_lines (organization_id, order_id, line_no, sku, product_name, quantity,
            price, discount_amount, sub_total, minimum_order_quantity, quantity_increment)
        SELECT o.organization_id, o.id, n, 'SKU-' || lpad(((hashtext(o.id) & 65535) % 9000 + n)::text, 5, '0'),
            'Part', 1, 1, 0, 1, 1, 1
        FROM orders o CROSS JOIN generate_series(0, 1) AS n WHERE o.organization_id = :org
    """), {"org": org_id})
    conn.execute(text("""
        INSERT INTO invoices (id, organization_id, order_id, invoice_number, amount, issued_at)
        SELECT gen_random_uuid()::text, o.organization_id, o.id,
            'INV-' || lpad(row_number() OVER (ORDER BY o.id)::text, 7, '0'), 1, now()
        FROM orders o WHERE o.organization_id = :org AND o.order_status IN ('Shipped', 'Complete')
    """), {"org": org_id})


def _plan(conn, statement) -> str:
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    rows = conn.exec_driver_sql("EXPLAIN " + str(compiled).replace("%", "%%")).scalars()
    return "\n".join(rows)


@pytest.mark.postgres_only
def test_every_filter_and_sort_uses_an_index_on_postgresql(app, db_session):
    org = accounts.create_organization(db_session, "Big Co")
    other = accounts.create_organization(db_session, "Neighbour Co")
    db_session.commit()
    engine = db_session.get_bind()
    with engine.begin() as conn:
        _fill(conn, org.id, BULK_ROWS)
        _fill(conn, other.id, BULK_ROWS // 4)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE orders, order_lines, invoices")
    actor = Actor(organization_id=org.id, name="plans")
    problems = []
    with engine.connect() as conn:
        cases = [(f"sort {key} {direction}", {"sortOn": key, "sortDirection": direction})
                 for key in ("createdAt", "updatedAt", "orderDate", "orderNumber", "orderStatus",
                             "orderTotal", "poNumber", "companyName", "customerNumber")
                 for direction in ("asc", "desc")]
        for field_name, (operator, value) in FILTERS.items():
            filters = [{"field": field_name, "operator": operator, "value": value}]
            cases.append((f"filter {field_name} {operator}", {"filters": json.dumps(filters)}))
        for field_name in ("orderNumber", "poNumber", "companyName", "customerNumber", "externalId"):
            for operator in TEXT_OPERATORS:
                value = ["x-1", "x-2"] if operator == "in" else "12345"
                filters = [{"field": field_name, "operator": operator, "value": value}]
                cases.append((f"filter {field_name} {operator}", {"filters": json.dumps(filters)}))
        cases.append(("q", {"q": "ompany 123"}))
        for label, args in cases:
            params = parse_search_params(MultiDict(args))
            page = ordered_ids(actor, params).limit(25)
            plans = {"page": _plan(conn, page)}
            # Counts the stored facet counts answer never touch the orders table.
            if (params.filters or params.q) and stored_count_key(actor, params) is None:
                plans["count"] = _plan(conn, count_exactly_statement(actor, params))
            if found_through_a_lookup_index(params):
                plans["matches"] = _plan(conn, small_result_statement(actor, params))
            for kind, plan in plans.items():
                if "Seq Scan on orders" in plan or "Index" not in plan:
                    problems.append(f"{label} ({kind}):\n{plan}")
    assert not problems, "\n\n".join(problems)


def count_exactly_statement(actor: Actor, params):
    """The statement count_exactly runs, for EXPLAIN."""
    from sqlalchemy import func, select

    from app.services.search import search_conditions

    assert count_exactly  # the function whose query this mirrors
    return select(func.count()).select_from(Order).where(*search_conditions(actor, params))
