"""Bulk import throughput: 10,000 orders with 40,000 lines through the import service
(validation included), against the raw driver's executemany of the same rows, and on
PostgreSQL also against COPY of the same rows.

    .venv/bin/python benchmarks/import_bench.py                 # SQLite (temp file)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/import_bench.py

On PostgreSQL it works in a throwaway database it creates and drops."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.memory import PeakMemory  # noqa: E402
from benchmarks.orders_data import bench_app, payloads  # noqa: E402
from benchmarks.throwaway import throwaway_database  # noqa: E402

ORDERS, LINES_PER_ORDER, BATCH = 10_000, 4, 1000


def main() -> None:
    with throwaway_database() as url:
        run(url)


def run(db_url: str) -> None:
    from app.extensions import db
    from app.services.context import Actor
    from app.services.orders import REJECT_ALL, import_orders

    with bench_app(db_url) as org:
        actor = Actor(organization_id=org.id, name="bench")
        batches = [payloads(i, BATCH, lines=LINES_PER_ORDER) for i in range(0, ORDERS, BATCH)]
        started = time.perf_counter()
        with PeakMemory() as first:
            import_orders(db.session, actor, batches[0], REJECT_ALL)
        with PeakMemory() as rest:
            for batch in batches[1:]:
                import_orders(db.session, actor, batch, REJECT_ALL)
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        for batch in batches:
            import_orders(db.session, actor, batch, REJECT_ALL)
        reimport_s = time.perf_counter() - started

        raw_s, copy_s = raw_driver_insert(db.engine)
    rows = ORDERS * (1 + LINES_PER_ORDER)
    print(f"database: {db_url.split(':')[0]}")
    print(f"import {ORDERS} orders / {ORDERS * LINES_PER_ORDER} lines: {import_s:.2f} s "
          f"({ORDERS / import_s:,.0f} orders/s, {rows / import_s:,.0f} rows/s)")
    print(f"peak memory: +{first.mib:.0f} MiB for the first batch of {BATCH}, "
          f"+{rest.mib:.0f} MiB above that over the next {len(batches) - 1} (flat: no growth with the import's size)")
    print(f"identical re-import (no change): {reimport_s:.2f} s ({ORDERS / reimport_s:,.0f} orders/s)")
    print(f"raw driver executemany of the same rows into the same tables: {raw_s:.2f} s ({rows / raw_s:,.0f} rows/s)")
    print(f"import speed vs raw driver: {raw_s / import_s:.2f}x (target >= 0.5x)")
    if copy_s is not None:
        print(f"COPY of the same rows into the same tables: {copy_s:.2f} s ({rows / copy_s:,.0f} rows/s)")
        print(f"import speed vs COPY: {copy_s / import_s:.2f}x (target >= 0.5x)")


def raw_driver_insert(engine) -> tuple[float, float | None]:
    """The same orders and lines, as the driver's own tuples, deleted and inserted
    again with plain executemany into the same tables (same indexes): the floor any
    import could reach, without parsing, validation or matching. On PostgreSQL also
    the time of psycopg's ``COPY … FROM STDIN`` of the same rows (else None)."""
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
        executemany_s = time.perf_counter() - started
        if engine.dialect.name != "postgresql":
            return executemany_s, None
        cur.execute("DELETE FROM order_events")
        cur.execute("DELETE FROM order_lines")
        cur.execute("DELETE FROM orders")
        raw.commit()
        started = time.perf_counter()
        for table, cols, rows in (("orders", order_cols, orders), ("order_lines", line_cols, lines)):
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
        return executemany_s, time.perf_counter() - started
    finally:
        raw.close()


if __name__ == "__main__":
    main()
