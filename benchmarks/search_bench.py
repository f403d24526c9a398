"""Search at scale: fills a throwaway database with N orders for one organization, plus
another organization's rows, ANALYZEs, then runs every sort key and every filter of the
search service, and text search (``q`` as the web's search box sends it, ``contains``,
``startsWith``) over a set of texts (digits only, one word, several words, a SKU,
one and two characters, texts matching none, a few, 100,000 and nearly every order),
printing server-side timings (p50/p95 over repeated runs, page and exact count
together) and each text search's plan.

    .venv/bin/python benchmarks/search_bench.py [--db postgres|sqlite] [--orders N] [--runs 15]

PostgreSQL (default 1,000,000 orders, filled server-side in one INSERT … SELECT per
200,000) needs a server (TEST_POSTGRES_URL, default postgres@127.0.0.1:5432); SQLite
(default 100,000 orders, inserted in bulk with executemany) uses a temporary file."""

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
  'ERP-' || g::text, 'CUST-' || (g % 5000)::text, 'Company ' || (g % 5000)::text || CASE WHEN g % 10 = 0 THEN ' Trading' ELSE ' Supply' END,
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
    ("page 400 of default", {"pageNumber": "400"}),
]


# Text searches: q as the web's search box sends it (its five fields, or a SKU equal to
# it), and text filters. The fill gives "Trading" to every tenth order (100,000 of a
# million), "Supply" to the rest.
TEXT_CASES = [
    ("q digits 4242", {"q": "4242"}),
    ("q two characters 42", {"q": "42"}),
    ("q one character 7", {"q": "7"}),
    ("q word Trading (10%)", {"q": "Trading"}),
    ("q word supply (90%)", {"q": "supply"}),
    ("q words Company 4242 Supply", {"q": "Company 4242 Supply"}),
    ("q words ny 4242 su", {"q": "ny 4242 su"}),
    ("q a SKU SKU-42", {"q": "SKU-42"}),
    ("q one order ORD-0123456", {"q": "ORD-0123456"}),
    ("q PO-12345", {"q": "PO-12345"}),
    ("q nothing zqxv", {"q": "zqxv"}),
    ("q nothing, 2 words Acme Widgets", {"q": "Acme Widgets"}),
    ("companyName contains 4242", {"filters": '[{"field":"companyName","operator":"contains","value":"4242"}]'}),
    ("companyName contains Trading", {"filters": '[{"field":"companyName","operator":"contains","value":"Trading"}]'}),
    ("poNumber startsWith PO-1234", {"filters": '[{"field":"poNumber","operator":"startsWith","value":"PO-1234"}]'}),
    ("sku contains U-42", {"filters": '[{"field":"sku","operator":"contains","value":"U-42"}]'}),
    ("q=4242 page 3 by total desc", {"q": "4242", "pageNumber": "3", "sortOn": "orderTotal", "sortDirection": "desc"}),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--orders", type=int)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", metavar="NAME", help="fill (once) and keep this database (PostgreSQL: a database "
                                                       "name; SQLite: a file) instead of a throwaway one")
    parser.add_argument("--text-only", action="store_true", help="only the text searches")
    args = parser.parse_args()
    n = args.orders or (1_000_000 if args.db == "postgres" else 100_000)
    if args.db == "sqlite":
        import tempfile

        if args.keep:
            run(f"sqlite:///{Path(args.keep).resolve()}", n, args.runs, args.text_only)
            return
        with tempfile.TemporaryDirectory(prefix="orderdesk-search-") as tmp:
            run(f"sqlite:///{tmp}/search.sqlite3", n, args.runs, args.text_only)
        return
    if args.keep:
        run(ADMIN_URL.rsplit("/", 1)[0] + "/" + args.keep, n, args.runs, args.text_only, create=True)
        return
    name = f"orderdesk_search_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(ADMIN_URL.rsplit("/", 1)[0] + "/" + name, n, args.runs, args.text_only)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_rows(org: str, start: int, stop: int):
    """The PostgreSQL fill's rows, computed here (SQLite has no generate_series or md5)."""
    import hashlib
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    base = datetime(2020, 1, 1, tzinfo=UTC)
    statuses = ["Pending", "Processing", "Shipped", "Complete", "Cancelled"]
    orders, lines, invoices = [], [], []
    for g in range(start, stop + 1):
        oid = str(uuid.UUID(hashlib.md5(f"{org}{g}".encode()).hexdigest()))
        created = base + timedelta(minutes=g)
        orders.append({
            "id": oid, "organization_id": org, "order_number": f"ORD-{g:07d}",
            "order_date": base + timedelta(days=g % 2000, seconds=g % 86400),
            "order_status": statuses[g % 5], "order_type": ["Direct", "Web", "EDI"][g % 3],
            "po_number": f"PO-{g * 7919 % 1000003}", "price_tier": ["Wholesale", "Retail"][g % 2],
            "currency_code": ["USD", "CAD", "EUR"][g % 3], "terms": ["Net30", "Net60", "COD"][g % 3],
            "channel": ["Phone", "Web", "EDI", "Email"][g % 4], "external_id": f"ERP-{g}",
            "customer_number": f"CUST-{g % 5000}",
            "company_name": f"Company {g % 5000} " + ("Trading" if g % 10 == 0 else "Supply"),
            "primary_rep_number": f"REP-{g % 50:03d}",
            "taken_by_rep_number": f"REP-{(g + 7) % 50:03d}" if g % 4 == 0 else None, "user_type": "Admin",
            "shipping_total": Decimal(10), "tax": Decimal(5), "discount_amount": Decimal(0),
            "subtotal": Decimal(g % 10000) / 10, "order_total": Decimal(g % 10000) / 10 + 15, "active": True,
            "created_at": created, "updated_at": created,
        })
        for line in (0, 1):
            lines.append({
                "organization_id": org, "order_id": oid, "line_no": line, "sku": f"SKU-{(g * 31 + line) % 2000}",
                "product_name": "Part", "quantity": 1 + line, "price": Decimal("4.25"), "discount_amount": Decimal(0),
                "sub_total": Decimal("4.25") * (1 + line), "minimum_order_quantity": 1, "quantity_increment": 1,
            })
        if (g - start) % 3 == 0:
            invoices.append({"id": str(uuid.UUID(hashlib.md5(f"inv{org}{g}".encode()).hexdigest())),
                             "organization_id": org, "order_id": oid, "invoice_number": f"INV-{g}",
                             "amount": Decimal(10), "issued_at": created})
    return orders, lines, invoices


SECONDARY_INDEXES = """
SELECT indexname, indexdef FROM pg_indexes
WHERE tablename IN ('orders', 'order_lines', 'invoices') AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'
"""


def fill(db, org_id: str, count: int) -> None:
    """Bulk: on PostgreSQL one INSERT … SELECT per 200,000 orders with the secondary
    indexes dropped and built again afterwards (a GIN index maintained row by row is
    the slow part of a fill); on SQLite executemany of prepared rows, the FTS tables
    rebuilt once at the end instead of by their triggers row by row."""

    from app.db import text_index

    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as conn:
        if postgres:
            indexes = conn.execute(text(SECONDARY_INDEXES)).all()
            for name, _ in indexes:
                conn.execute(text(f'DROP INDEX "{name}"'))
        else:
            for statement in text_index.sqlite_drop_statements():
                conn.execute(text(statement))
        _fill(conn, org_id, count, postgres)
        if postgres:
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            for _, definition in indexes:
                conn.execute(text(definition))
        else:
            for statement in text_index.sqlite_statements():
                conn.execute(text(statement))


def _fill(conn, org_id: str, count: int, postgres: bool) -> None:
    from sqlalchemy import insert

    from app.db.models import Invoice, Order, OrderLine

    if True:
        for start in range(1, count + 1, 200_000 if postgres else 20_000):
            if postgres:
                stop = min(start + 199_999, count)
                params = {"org": org_id, "start": start, "stop": stop}
                conn.execute(text(FILL), params)
                conn.execute(text(LINES), params)
                conn.execute(text(INVOICES), params)
            else:
                orders, lines, invoices = sqlite_rows(org_id, start, min(start + 19_999, count))
                conn.execute(insert(Order.__table__), orders)
                conn.execute(insert(OrderLine.__table__), lines)
                conn.execute(insert(Invoice.__table__), invoices)


def run(url: str, n: int, runs: int, text_only: bool, create: bool = False) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services import accounts, facets
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
            facets.rebuild(db.session, existing.id)
            db.session.commit()
            measure(db, Actor(organization_id=existing.id, name="bench"), runs, text_only)
            db.engine.dispose()
            return
        org = accounts.create_organization(db.session, "Big", tiers=["Wholesale", "Retail"])
        other = accounts.create_organization(db.session, "Other", tiers=["Wholesale", "Retail"])
        db.session.commit()
        started = time.perf_counter()
        for org_id, count in ((org.id, n), (other.id, max(n // 10, 1000))):
            fill(db, org_id, count)
        for org_id in (org.id, other.id):
            facets.rebuild(db.session, org_id)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
        print(f"filled {n:,} orders (+{max(n // 10, 1000):,} in another organization) in "
              f"{time.perf_counter() - started:.0f} s ({db.engine.dialect.name})")
        measure(db, Actor(organization_id=org.id, name="bench"), runs, text_only)
        db.engine.dispose()


def measure(db, actor, runs: int, text_only: bool) -> None:
    from app.services.search import parse_search_params

    print(f"{'case':34} {'total':>9} {'p50 ms':>8} {'p95 ms':>8}  plan")
    for label, query in ([] if text_only else CASES):
        params = parse_search_params(query)
        page, p50, p95 = timed(db, actor, params, runs)
        print(f"{label:34} {page.total_count:>9,} {p50:8.1f} {p95:8.1f}  {'; '.join(plans(db.session, actor, params, short=True))[:110]}")
    print("\ntext searches (q as the web's search box sends it: its five fields, or a SKU equal to it)")
    worst = 0.0
    for label, query in TEXT_CASES:
        params = parse_search_params(query)
        params.q_includes_sku = True
        page, p50, p95 = timed(db, actor, params, runs)
        worst = max(worst, p95)
        print(f"{label:34} {page.total_count:>9,} {p50:8.1f} {p95:8.1f}")
        for plan in plans(db.session, actor, params):
            print("      " + plan)
    print(f"\nworst text search p95: {worst:.1f} ms (target 25 ms)")


def timed(db, actor, params, runs):
    from app.services.search import search_orders

    times = []
    for _ in range(runs):
        t = time.perf_counter()
        page = search_orders(db.session, actor, params)
        times.append((time.perf_counter() - t) * 1000)
        db.session.rollback()
    times.sort()
    return page, statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def plans(session, actor, params, short: bool = False) -> list[str]:
    """The plan of each statement the search runs (EXPLAIN / EXPLAIN QUERY PLAN)."""
    from app.services.search import search_statements

    out = []
    for stmt in search_statements(session, actor, params):
        compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        sql = str(compiled)
        if session.get_bind().dialect.name == "postgresql":
            lines = [r[0] for r in session.execute(text("EXPLAIN " + sql.replace("%%", "%")))]
        else:
            lines = [r[-1] for r in session.execute(text("EXPLAIN QUERY PLAN " + sql))]
        if short:
            scans = [line.strip().split("  (")[0].lstrip("-> ") for line in lines if "Scan" in line or "SCAN" in line
                     or "SEARCH" in line]
            out.append(", ".join(dict.fromkeys(scans)))
        else:
            out.append(" | ".join(line.strip().split("  (cost")[0] for line in lines))
    session.rollback()
    return out


if __name__ == "__main__":
    main()
