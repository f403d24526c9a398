"""Bulk import throughput: 10,000 orders with 40,000 lines through the import service
(validation included), against the raw driver's executemany of the same rows.

    .venv/bin/python benchmarks/import_bench.py                 # SQLite (temp file)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/import_bench.py

On PostgreSQL it works in a throwaway database it creates and drops."""

from __future__ import annotations

import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.throwaway import throwaway_database  # noqa: E402

ORDERS, LINES_PER_ORDER, BATCH = 10_000, 4, 1000


def payloads(start: int, count: int) -> list[dict]:
    out = []
    for n in range(start, start + count):
        out.append({
            "externalId": f"BENCH-{n}", "orderNumber": f"H-{n:07d}", "orderDate": "2024-03-15T10:22:00Z",
            "orderStatus": "Complete", "orderType": "EDI", "poNumber": f"PO-{n}", "priceTier": "Wholesale",
            "currencyCode": "USD", "terms": "Net30", "channel": "EDI",
            "customer": {"customerNumber": f"C-{n % 300}", "companyName": f"Customer {n % 300}"},
            "primarySalesRep": {"repNumber": f"REP-{n % 5}"}, "user": {"userType": "Admin"},
            "items": [{"sku": f"SKU-{(n + i) % 1000}", "productName": "Part", "quantity": 1 + i,
                       "price": Decimal("4.25")} for i in range(LINES_PER_ORDER)],
            "shippingDetails": {"method": "Freight", "total": Decimal("18.50")}, "tax": Decimal("2.10"),
        })
    return out


def main() -> None:
    with throwaway_database() as url:
        run(url)


def run(db_url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services import accounts
    from app.services.context import Actor
    from app.services.orders import REJECT_ALL, import_orders

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        org = accounts.create_organization(db.session, "Bench", tiers=["Wholesale"])
        db.session.commit()
        actor = Actor(organization_id=org.id, name="bench")
        batches = [payloads(i, BATCH) for i in range(0, ORDERS, BATCH)]
        started = time.perf_counter()
        for batch in batches:
            import_orders(db.session, actor, batch, REJECT_ALL)
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        for batch in batches:
            import_orders(db.session, actor, batch, REJECT_ALL)
        reimport_s = time.perf_counter() - started

        raw_s = raw_driver_insert(db.engine)
        db.engine.dispose()
    rows = ORDERS * (1 + LINES_PER_ORDER)
    print(f"database: {db_url.split(':')[0]}")
    print(f"import {ORDERS} orders / {ORDERS * LINES_PER_ORDER} lines: {import_s:.2f} s "
          f"({ORDERS / import_s:,.0f} orders/s, {rows / import_s:,.0f} rows/s)")
    print(f"identical re-import (no change): {reimport_s:.2f} s ({ORDERS / reimport_s:,.0f} orders/s)")
    print(f"raw driver executemany of the same rows into the same tables: {raw_s:.2f} s ({rows / raw_s:,.0f} rows/s)")
    print(f"import speed vs raw driver: {raw_s / import_s:.2f}x (target >= 0.5x)")


def raw_driver_insert(engine) -> float:
    """The same orders and lines, as the driver's own tuples, deleted and inserted
    again with plain executemany into the same tables (same indexes): the floor any
    import could reach, without parsing, validation or matching."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT * FROM orders")
        orders = cur.fetchall()
        order_cols = [d[0] for d in cur.description]
        cur.execute("SELECT * FROM order_lines")
        lines = cur.fetchall()
        line_cols = [d[0] for d in cur.description]
        cur.execute("DELETE FROM order_events")
        cur.execute("DELETE FROM order_lines")
        cur.execute("DELETE FROM orders")
        raw.commit()
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        started = time.perf_counter()
        cur.executemany(f"INSERT INTO orders ({', '.join(order_cols)}) VALUES ({', '.join([mark] * len(order_cols))})", orders)
        cur.executemany(f"INSERT INTO order_lines ({', '.join(line_cols)}) VALUES ({', '.join([mark] * len(line_cols))})", lines)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


if __name__ == "__main__":
    main()
