"""The managers' pages at scale on PostgreSQL: fills a throwaway database with N orders
(default 1,000,000) of one organization over three years (two lines each, a tenth as
many in another organization) with set-based INSERT … SELECT, VACUUM ANALYZEs, then
times full requests through the app (sign-in session, SQL, templates) for the dashboard
over 30 days and over this quarter, rep performance and the needs-attention queue:
p50/p95 server time, against a baseline measured in the same run (one bare COUNT of the
30-day period), and prints each query's plan with its actual time.

    .venv/bin/python benchmarks/dashboard_bench.py [--orders 1000000] [--runs 20] [--keep DBNAME]

Needs a PostgreSQL server (TEST_POSTGRES_URL, default postgres@127.0.0.1:5432). Target:
p95 ≤ 150 ms for each page."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, select, text  # noqa: E402

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DAYS = 3 * 365
PASSWORD = "bench-password-1"

# Order g is dated (g mod DAYS) days before now, at a time of day spread over the day; orders
# of the last 20 days are still open (Pending/Processing) one time in ten.
FILL = """
INSERT INTO orders (id, organization_id, order_number, order_date, order_status, order_type, po_number,
  price_tier, currency_code, terms, channel, external_id, customer_number, company_name,
  billing_address, shipping_address, shipping_method, primary_rep_number, user_type,
  shipping_total, tax, discount_amount, subtotal, order_total, active, created_at, updated_at,
  overridden_lines, below_list_pct, discount_pct, approval_state, approval_reasons, units)
SELECT md5(CAST(:org AS text) || g::text)::uuid::text, CAST(:org AS text), 'ORD-' || lpad(g::text, 7, '0'),
  now() - (g % :days) * interval '1 day' - (g % 86400) * interval '1 second',
  CASE WHEN g % :days < 20 AND g % 10 = 0 THEN (ARRAY['Pending','Processing'])[1 + g % 2]
       ELSE (ARRAY['Complete','Complete','Shipped','Complete','Cancelled'])[1 + g % 5] END,
  (ARRAY['Direct','Web','EDI'])[1 + g % 3], 'PO-' || (g::bigint * 7919 % 1000003)::text,
  (ARRAY['Wholesale','Retail'])[1 + g % 2], (ARRAY['USD','USD','CAD','EUR'])[1 + g % 4],
  'Net30', (ARRAY['Phone','Web','EDI','Email'])[1 + g % 4],
  'ERP-' || g::text, 'CUST-' || (g % 5000)::text, 'Company ' || (g % 5000)::text,
  NULL, CASE WHEN g % 7 = 0 THEN NULL ELSE '{"city": "Portland"}'::json END, 'Freight',
  'REP-' || lpad((g % 50)::text, 3, '0'), 'Admin',
  10, 5, (g % 9), (g % 10000) / 10.0 + 8.5, (g % 10000) / 10.0 + 15 - (g % 9), true, now(), now(),
  g % 3, CASE WHEN g % 11 = 0 THEN 12.5 ELSE 0 END, CASE WHEN g % 13 = 0 THEN 18 ELSE 2 END,
  CASE WHEN g % :days < 20 AND g % 10 = 0 AND g % 3 = 0 THEN 'pending' END,
  CASE WHEN g % :days < 20 AND g % 10 = 0 AND g % 3 = 0 THEN '["Total above the limit"]'::json END, 3
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS g
"""
LINES = """
INSERT INTO order_lines (organization_id, order_id, line_no, sku, product_name, quantity, price,
  discount_amount, sub_total, minimum_order_quantity, quantity_increment)
SELECT CAST(:org AS text), md5(CAST(:org AS text) || g::text)::uuid::text, l, 'SKU-' || ((g * 31 + l) % 2000)::text,
  'Part', 1 + l, 4.25, 0, 4.25 * (1 + l), 1, 1
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS g, generate_series(0, 1) AS l
"""
EMAILS = """
INSERT INTO outbox_emails (id, organization_id, order_id, recipients, subject, html_body, text_body, status,
  attempts, created_at)
SELECT md5('mail' || g::text)::uuid::text, CAST(:org AS text), md5(CAST(:org AS text) || g::text)::uuid::text,
  '["a@example.com"]'::json, 'Order', '', '', CASE WHEN g % 50 = 0 THEN 'failed' ELSE 'sent' END, 1,
  now() - (g % :days) * interval '1 day'
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer), 97) AS g
"""

PAGES = [
    ("dashboard, last 30 days", "/dashboard?period=30d&currency=USD"),
    ("dashboard, this quarter", "/dashboard?period=quarter&currency=USD"),
    ("rep performance, 30 days", "/dashboard/reps?period=30d"),
    ("needs-attention queue", "/attention"),
    ("needs-attention count (nav)", "/attention/count"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", metavar="DBNAME", help="fill (once) and keep this database instead of a throwaway one")
    parser.add_argument("--no-plans", action="store_true")
    args = parser.parse_args()
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = args.keep or f"orderdesk_dash_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        exists = c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(ADMIN_URL.rsplit("/", 1)[0] + "/" + name, args.orders, args.runs, not args.no_plans)
    finally:
        if not args.keep:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(url: str, n: int, runs: int, plans: bool) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.db.models import Organization
    from app.extensions import db
    from app.services import accounts, facets, summaries

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        org = db.session.scalar(select(Organization).where(Organization.slug == "big"))
        if org is None:
            org = accounts.create_organization(db.session, "Big", tiers=["Wholesale", "Retail"])
            other = accounts.create_organization(db.session, "Other", tiers=["Wholesale", "Retail"])
            accounts.create_user(db.session, org, email="manager@big.example", password=PASSWORD, role="manager",
                                 first_name="Bench", last_name="Manager")
            db.session.commit()
            started = time.perf_counter()
            with db.engine.begin() as conn:
                # Bulk load without the secondary indexes, then build them once.
                indexes = conn.execute(text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('orders', 'order_lines') "
                    "AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'")).all()
                for name, _ in indexes:
                    conn.execute(text(f'DROP INDEX "{name}"'))
                for org_id, count in ((org.id, n), (other.id, max(n // 10, 1000))):
                    for start in range(1, count + 1, 200_000):
                        params = {"org": org_id, "start": start, "stop": min(start + 199_999, count), "days": DAYS}
                        conn.execute(text(FILL), params)
                        conn.execute(text(LINES), params)
                        if org_id == org.id:
                            conn.execute(text(EMAILS), params)
                for _, definition in indexes:
                    conn.execute(text(definition))
            for org_id in (org.id, other.id):
                facets.rebuild(db.session, org_id)
                summaries.rebuild(db.session, org_id, "UTC")
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            print(f"filled {n:,} orders (+{max(n // 10, 1000):,} in another organization) "
                  f"in {time.perf_counter() - started:.0f} s")
        org_id = org.id
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE order_day_figures, order_day_customers, order_day_products, orders, outbox_emails"))
    client = app.test_client()
    response = client.post("/login", data={"email": "manager@big.example", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    engine = None
    with app.app_context():
        engine = db.engine
        baseline = timed(runs, lambda: db.session.execute(text(
            "SELECT count(*) FROM orders WHERE organization_id = :o AND order_date >= now() - interval '30 days'"),
            {"o": org_id}).scalar())
        db.session.remove()
    print(f"\nbaseline: one bare COUNT(*) of the 30-day period: p50 {baseline[0]:.1f} ms, p95 {baseline[1]:.1f} ms\n")
    print(f"{'page':30} {'p50 ms':>8} {'p95 ms':>8} {'× base':>7} {'queries':>8}  {'≤150 ms':>7}")
    captured: dict[str, list[tuple[str, object]]] = {}
    for label, path in PAGES:
        statements: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany, _s=statements):
            _s.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        first = client.get(path)
        event.remove(engine, "before_cursor_execute", capture)
        assert first.status_code == 200, (path, first.status_code)
        captured[label] = [(s, p) for s, p in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
        p50, p95 = timed(runs, lambda path=path: client.get(path))
        print(f"{label:30} {p50:8.1f} {p95:8.1f} {p95 / baseline[1]:7.1f} {len(captured[label]):8d}  "
              f"{'yes' if p95 <= 150 else 'NO':>7}")
    if plans:
        with engine.connect() as conn:
            for label, statements in captured.items():
                print(f"\n=== plans: {label}")
                for statement, parameters in statements:
                    if "FROM users" in statement or "user_sessions" in statement or "FROM organizations" in statement:
                        continue
                    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) " + statement, parameters).all()
                    lines = [r[0] for r in rows]
                    head = " ".join(statement.split())[:110]
                    print(f"--- {head}")
                    for line in lines:
                        if re.search(r"Scan|Aggregate|Join|Sort|Execution Time|Limit|Append|Unique", line):
                            print("   ", line.rstrip()[:150])
    engine.dispose()


def timed(runs: int, call) -> tuple[float, float]:
    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


if __name__ == "__main__":
    main()
