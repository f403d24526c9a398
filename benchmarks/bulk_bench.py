"""Bulk action throughput: one bulk job moving 10,000 orders (all of a search) from
Pending to Processing, each order through ``change_status`` and committed with its
outcome, against the same service called once per order in a plain loop (the single
action's work without HTTP), measured in the same run.

    .venv/bin/python benchmarks/bulk_bench.py                 # SQLite (temp file)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/bulk_bench.py

On PostgreSQL it works in a throwaway database it creates and drops."""

from __future__ import annotations

import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.throwaway import throwaway_database  # noqa: E402

ORDERS, BASELINE, BATCH = 10_000, 1_000, 1000


def payloads(prefix: str, start: int, count: int) -> list[dict]:
    return [{
        "externalId": f"{prefix}-{n}", "orderNumber": f"{prefix}-{n:07d}", "orderDate": "2024-03-15T10:22:00Z",
        "orderStatus": "Pending", "orderType": "EDI", "poNumber": f"PO-{prefix}-{n}", "priceTier": "Wholesale",
        "currencyCode": "USD", "terms": "Net30", "channel": "EDI",
        "customer": {"customerNumber": f"C-{n % 300}", "companyName": f"Customer {n % 300}"},
        "primarySalesRep": {"repNumber": f"REP-{n % 5}"}, "user": {"userType": "Admin"},
        "items": [{"sku": f"SKU-{n % 1000}", "productName": "Part", "quantity": 2, "price": Decimal("4.25")}],
        "shippingDetails": {"method": "Freight", "total": Decimal("18.50")}, "tax": Decimal("2.10"),
    } for n in range(start, start + count)]


def main() -> None:
    with throwaway_database() as url:
        run(url)


def run(db_url: str) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.db.models import Order
    from app.extensions import db
    from app.services import accounts, bulk, jobs
    from app.services.context import Actor
    from app.services.orders import change_status, import_orders
    from app.services.search import parse_search_params

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        org = accounts.create_organization(db.session, "Bench", tiers=["Wholesale"])
        db.session.commit()
        seeder = Actor(organization_id=org.id, name="bench")
        manager = Actor(organization_id=org.id, name="Bench Manager", role="manager", user_id="bench")
        for start in range(0, ORDERS, BATCH):
            import_orders(db.session, seeder, payloads("BULK", start, BATCH))
        import_orders(db.session, seeder, payloads("ONE", 0, BASELINE))

        ids = db.session.scalars(select(Order.id).where(Order.order_number.like("ONE-%"))).all()
        started = time.perf_counter()
        for order_id in ids:
            change_status(db.session, manager, order_id, "Processing")
        single_s = time.perf_counter() - started

        search = parse_search_params({"q": "PO-BULK", "sortOn": "orderNumber"})
        started = time.perf_counter()
        job = bulk.start(db.session, manager, "status", key="bench-bulk-job", search=search, target="Processing")
        claimed = jobs.claim_next(db.session, "bench-worker")
        state = jobs.run_claimed(db.session, db.engine, claimed)
        bulk_s = time.perf_counter() - started
        result = jobs.get_job(db.session, manager, job.id).result
        db.engine.dispose()
    assert state == "succeeded" and result["done"] == ORDERS, (state, result and result["done"])
    single_rate, bulk_rate = BASELINE / single_s, ORDERS / bulk_s
    print(f"database: {db_url.split(':')[0]}")
    print(f"single change_status loop, {BASELINE:,} orders: {single_s:.2f} s ({single_rate:,.0f} orders/s)")
    print(f"bulk job (search resolved in the job, per-order commit + outcome), {ORDERS:,} orders: {bulk_s:.2f} s "
          f"({bulk_rate:,.0f} orders/s)")
    print(f"bulk job vs single-call loop: {bulk_rate / single_rate:.2f}x")


if __name__ == "__main__":
    main()
