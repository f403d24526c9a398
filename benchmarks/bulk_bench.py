"""Bulk action throughput: one bulk job moving 10,000 orders (all of a search) from
Pending to Processing, each order through ``change_status`` and committed with its
outcome, against the same service called once per order in a plain loop (the single
action's work without HTTP, the baseline), measured in the same run.

    .venv/bin/python benchmarks/bulk_bench.py                     # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bulk_bench.py --db sqlite         # SQLite only (temp file)
    .venv/bin/python benchmarks/bulk_bench.py --db postgres       # PostgreSQL only
    .venv/bin/python benchmarks/bulk_bench.py --orders 2000       # a smaller job

PostgreSQL is the server DATABASE_URL names (else postgres@127.0.0.1:5432); the
benchmark works in a throwaway database it creates there and drops."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.orders_data import bench_app, payloads  # noqa: E402
from benchmarks.throwaway import throwaway_database  # noqa: E402

ORDERS, BASELINE, BATCH = 10_000, 1_000, 1000
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--orders", type=int, default=ORDERS, help="orders in the bulk job (at most 10,000)")
    args = parser.parse_args()
    figures = []
    for name in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        server = None
        if name == "postgres":
            env = os.environ.get("DATABASE_URL") or ""
            server = env if env.startswith("postgres") else POSTGRES
        else:
            os.environ.pop("DATABASE_URL", None)
        with throwaway_database(server) as url:
            figures.append((name, *run(url, args.orders)))
    print()
    print(f"{'database':<10} {'baseline (single calls)':>24} {'bulk job':>12} {'ratio':>7}")
    for name, single_rate, bulk_rate in figures:
        print(f"{name:<10} {single_rate:>18,.0f} ord/s {bulk_rate:>6,.0f} ord/s {bulk_rate / single_rate:>6.2f}x")


def run(db_url: str, orders: int) -> tuple[float, float]:
    """(baseline orders/s, bulk job orders/s) on ``db_url``."""
    from sqlalchemy import select

    from app.db.models import Order
    from app.extensions import db
    from app.services import bulk, jobs
    from app.services.context import Actor
    from app.services.orders import change_status, import_orders
    from app.services.search import parse_search_params

    with bench_app(db_url) as org:
        seeder = Actor(organization_id=org.id, name="bench")
        manager = Actor(organization_id=org.id, name="Bench Manager", role="manager", user_id="bench")
        for start in range(0, orders, BATCH):
            import_orders(db.session, seeder, payloads(start, min(BATCH, orders - start), prefix="BULK",
                                                       status="Pending", lines=1))
        import_orders(db.session, seeder, payloads(0, BASELINE, prefix="ONE", status="Pending", lines=1))

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
    assert state == "succeeded" and result["done"] == orders, (state, result and result["done"])
    single_rate, bulk_rate = BASELINE / single_s, orders / bulk_s
    print(f"database: {db_url.split(':')[0]}")
    print(f"single change_status loop (baseline), {BASELINE:,} orders: {single_s:.2f} s ({single_rate:,.0f} orders/s)")
    print(f"bulk job (search resolved in the job, per-order commit + outcome), {orders:,} orders: {bulk_s:.2f} s "
          f"({bulk_rate:,.0f} orders/s)")
    print(f"bulk job vs single-call loop: {bulk_rate / single_rate:.2f}x")
    return single_rate, bulk_rate


if __name__ == "__main__":
    main()
