"""Search at scale on PostgreSQL: fills a throwaway database with N orders (default
1,000,000) for one organization, plus another organization's rows, ANALYZEs, then runs
every sort key and every filter of the search service and prints server-side timings
(p50/p95 over repeated runs) and the plan's access path.

    .venv/bin/python benchmarks/search_bench.py [--orders 1000000] [--runs 20]

Needs a PostgreSQL server (TEST_POSTGRES_URL, default postgres@127.0.0.1:5432)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text  # noqa: E402

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

FILL = """
INSERT INTO orders (id, organization_id, order_number, order_date, order_status, order_type, po_number,
  price_tier, currency_code, terms, channel, external_id, customer_number, company_name,
  billing_address, shipping_address, primary_rep_number, taken_by_rep_number, user_type,
  shipping_total, tax, discount_amount, subtotal, order_total, active, created_at, updated_at)
SELECT md5(CAST(:org AS text) || g::text)::uuid::text, CAST(:org AS text), 'ORD-' || lpad(g::text, 7, '0'),
  timestamptz '2020-01-01' + (g % 2000) * interval '1 day' + (g % 86400) * interval '1 second',
  (ARRAY['Pending','Processing','Shipped','Complete','Cancelled'])[1 + g % 5],
  (ARRAY['Direct','Web','EDI'])[1 + g % 3], 'PO-' || (g::bigint * 7919 % 1000003)::text,
  (ARRAY['Wholesale','Retail'])[1 + g % 2], (ARRAY['USD','CAD','EUR'])[1 + g % 3],
  (ARRAY['Net30','Net60','COD'])[1 + g % 3], (ARRAY['Phone','Web','EDI','Email'])[1 + g % 4],
  'ERP-' || g::text, 'CUST-' || (g % 5000)::text, 'Company ' || (g % 5000)::text || ' Supply',
  NULL, NULL, 'REP-' || lpad((g % 50)::text, 3, '0'),
  CASE WHEN g % 4 = 0 THEN 'REP-' || lpad(((g + 7) % 50)::text, 3, '0') END, 'Admin',
  10, 5, 0, (g % 10000) / 10.0, (g % 10000) / 10.0 + 15, true,
  timestamptz '2020-01-01' + g * interval '1 minute', timestamptz '2020-01-01' + g * interval '1 minute'
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS g
"""
LINES = """
INSERT INTO order_lines (organization_id, order_id, line_no, sku, product_name, quantity, price,
  discount_amount, sub_total, minimum_order_quantity, quantity_increment)
SELECT CAST(:org AS text), md5(CAST(:org AS text) || g::text)::uuid::text, l, 'SKU-' || ((g * 31 + l) % 2000)::text, 'Part', 1 + l, 4.25, 0,
  4.25 * (1 + l), 1, 1
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS g, generate_series(0, 1) AS l
"""
INVOICES = """
INSERT INTO invoices (id, organization_id, order_id, invoice_number, amount, issued_at)
SELECT md5('inv' || CAST(:org AS text) || g::text)::uuid::text, CAST(:org AS text), md5(CAST(:org AS text) || g::text)::uuid::text, 'INV-' || g::text, 10, now()
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer), 3) AS g
"""

CASES = [
    ("default (createdAt asc)", {}),
    *[(f"sort {key} desc", {"sortOn": key, "sortDirection": "desc"}) for key in (
        "createdAt", "updatedAt", "orderDate", "orderNumber", "orderStatus", "orderTotal",
        "poNumber", "companyName", "customerNumber")],
    ("orderStatus=Pending", {"orderStatus": "Pending"}),
    ("orderType=EDI", {"orderType": "EDI"}),
    ("channel=Phone", {"channel": "Phone"}),
    ("priceTier=Retail", {"priceTier": "Retail"}),
    ("currencyCode=CAD", {"currencyCode": "CAD"}),
    ("terms=Net60", {"terms": "Net60"}),
    ("orderNumber eq", {"orderNumber": "ORD-0123456"}),
    ("poNumber eq", {"poNumber": "PO-12345"}),
    ("externalId eq", {"externalId": "ERP-777"}),
    ("customerNumber eq", {"customerNumber": "CUST-42"}),
    ("companyName eq", {"companyName": "Company 42 Supply"}),
    ("repNumber eq", {"repNumber": "REP-007"}),
    ("sku eq", {"sku": "SKU-42"}),
    ("invoiceNumber eq", {"invoiceNumber": "INV-3001"}),
    ("companyName contains", {"filters": '[{"field":"companyName","operator":"contains","value":"ny 4242 su"}]'}),
    ("poNumber startsWith", {"filters": '[{"field":"poNumber","operator":"startsWith","value":"PO-1234"}]'}),
    ("orderDate range", {"filters": '[{"field":"orderDate","operator":"gte","value":"2024-01-01T00:00:00Z"},'
                                    '{"field":"orderDate","operator":"lt","value":"2024-01-08T00:00:00Z"}]'}),
    ("orderTotal gt", {"filters": '[{"field":"orderTotal","operator":"gt","value":990}]'}),
    ("createdAt lt", {"filters": '[{"field":"createdAt","operator":"lt","value":"2020-01-02T00:00:00Z"}]'}),
    ("status in + sort orderDate", {"filters": '[{"field":"orderStatus","operator":"in","value":["Pending","Processing"]}]',
                                    "sortOn": "orderDate", "sortDirection": "desc"}),
    ("q=4242", {"q": "4242"}),
    ("page 400 of default", {"pageNumber": "400"}),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", metavar="DBNAME", help="fill (once) and keep this database instead of a throwaway one")
    args = parser.parse_args()
    if args.keep:
        run(ADMIN_URL.rsplit("/", 1)[0] + "/" + args.keep, args.orders, args.runs, create=True)
        return
    name = f"orderdesk_search_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(ADMIN_URL.rsplit("/", 1)[0] + "/" + name, args.orders, args.runs)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(url: str, n: int, runs: int, create: bool = False) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services import accounts
    from app.services.context import Actor

    if create:
        from sqlalchemy.exc import ProgrammingError

        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            try:
                c.execute(text(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"'))
            except ProgrammingError:
                pass
        admin.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        from app.db.models import Organization

        existing = db.session.scalar(select(Organization).where(Organization.slug == "big"))
        if existing is not None:
            from app.services import facets

            facets.rebuild(db.session, existing.id)
            db.session.commit()
            measure(db, Actor(organization_id=existing.id, name="bench"), runs)
            db.engine.dispose()
            return
        org = accounts.create_organization(db.session, "Big", tiers=["Wholesale", "Retail"])
        other = accounts.create_organization(db.session, "Other", tiers=["Wholesale", "Retail"])
        db.session.commit()
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for org_id, count in ((org.id, n), (other.id, max(n // 10, 1000))):
                for start in range(1, count + 1, 200_000):
                    stop = min(start + 199_999, count)
                    params = {"org": org_id, "start": start, "stop": stop}
                    conn.execute(text(FILL), params)
                    conn.execute(text(LINES), params)
                    conn.execute(text(INVOICES), params)
        from app.services import facets

        for org_id in (org.id, other.id):
            facets.rebuild(db.session, org_id)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"filled {n:,} orders (+{max(n // 10, 1000):,} in another organization) in {time.perf_counter() - started:.0f} s")
        measure(db, Actor(organization_id=org.id, name="bench"), runs)
        db.engine.dispose()


def measure(db, actor, runs: int) -> None:
    from app.services.search import (
        found_through_a_lookup_index,
        ordered_ids,
        parse_search_params,
        search_orders,
        small_result_statement,
        stored_count_key,
    )

    if True:
        print(f"{'case':34} {'total':>9} {'p50 ms':>8} {'p95 ms':>8}  plan")
        for label, query in CASES:
            params = parse_search_params(query)
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                page = search_orders(db.session, actor, params)
                times.append((time.perf_counter() - t) * 1000)
                db.session.rollback()
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            if stored_count_key(actor, params) is None and found_through_a_lookup_index(params):
                plan = access_path(db.session, small_result_statement(actor, params))
            else:
                plan = access_path(db.session, ordered_ids(actor, params).limit(params.page_size))
            print(f"{label:34} {page.total_count:>9,} {statistics.median(times):8.1f} {p95:8.1f}  {plan}")


def access_path(session, stmt) -> str:
    compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    lines = [r[0] for r in session.execute(text("EXPLAIN " + str(compiled)))]
    scans = [line.strip().split("  (")[0].lstrip("-> ") for line in lines if "Scan" in line]
    return "; ".join(dict.fromkeys(scans))[:110]


if __name__ == "__main__":
    main()
