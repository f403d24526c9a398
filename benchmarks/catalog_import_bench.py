"""Catalog file import throughput: products with 3 price tiers × 2 currencies (one file
row a product, seven database rows: the product and its six prices) and customers, from
CSV and from XLSX, through the whole import (stored upload, streamed reading, the dry
run, the apply through the catalog service), against the raw driver's executemany of
the same database rows; and the peak memory of each phase above the process's resident
size before it (sampled), to show it stays flat as the file grows.

    .venv/bin/python benchmarks/catalog_import_bench.py                       # SQLite, full size
    .venv/bin/python benchmarks/catalog_import_bench.py --products 20000 --customers 10000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/catalog_import_bench.py

Full size is 100,000 products (700,000 rows) and 50,000 customers. On PostgreSQL it
works in a throwaway database it creates and drops."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.memory import PeakMemory  # noqa: E402
from benchmarks.throwaway import throwaway_database  # noqa: E402

TIERS = ["Wholesale", "Retail", "Distributor"]
CURRENCIES = ["USD", "EUR"]




def product_rows(n: int):
    for i in range(n):
        yield [f"SKU-{i:06d}", f"Product {i}", 1 + i % 6, 1 + i % 3, i % 10 != 0,
               *(f"{(i % 500) + t * 0.5 + c:.2f}" for t in range(len(TIERS)) for c in range(len(CURRENCIES)))]


def customer_rows(n: int, header: list[str]):
    for i in range(n):
        values = {"customerNumber": f"CUST-{i:06d}", "companyName": f"Customer {i} GmbH",
                  "companyEmail": f"buyer{i}@example.com", "companyPhone": f"+49 30 {i:07d}",
                  "billingAddress.address1": f"{i} Main Street", "billingAddress.city": "Köln",
                  "billingAddress.country": "DE", "shippingAddress.city": "Bonn", "defaultPriceTier": TIERS[i % 3],
                  "defaultTerms": "Net30", "defaultCurrency": CURRENCIES[i % 2]}
        yield [values.get(h, "") for h in header]


def write_file(folder: Path, name: str, fmt: str, header: list[str], rows) -> Path:
    from app.services import tabular

    path = folder / f"{name}.{fmt}"
    with path.open("wb") as out:
        if fmt == "csv":
            for piece in tabular.write_csv(header, rows):
                out.write(piece)
        else:
            with tabular.write_xlsx(header, rows) as book:
                while piece := book.read(1 << 20):
                    out.write(piece)
    return path


def run(db_url: str, products: int, customers: int, formats: list[str]) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import delete

    from app import create_app
    from app.db.models import Customer, FileImport, ImportRow, Organization, Product, ProductPrice, User
    from app.extensions import db
    from app.services import accounts, imports
    from app.services.accounts import actor_for_user

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    dialect = db_url.split(":")[0]
    with app.app_context(), tempfile.TemporaryDirectory(prefix="orderdesk-bench-") as tmp:
        upgrade()
        org = accounts.create_organization(db.session, "Bench", tiers=TIERS)
        org = db.session.get(Organization, org.id)
        org.currencies = CURRENCIES[1:]
        db.session.add(User(organization_id=org.id, email="bench@example.com", display_name="Bench",
                            password_hash="x", role="admin"))
        db.session.commit()
        user = db.session.query(User).one()
        actor = actor_for_user(user)
        folder = Path(tmp)
        product_header = imports.header_for(org, "products")
        customer_header = imports.header_for(org, "customers")
        print(f"database: {dialect}; {products:,} products ({products * 7:,} rows) and {customers:,} customers")
        for kind, count, db_rows, make in (
            ("products", products, products * (1 + len(TIERS) * len(CURRENCIES)),
             lambda: product_rows(products)),
            ("customers", customers, customers, lambda: customer_rows(customers, customer_header)),
        ):
            if not count:
                continue
            header = product_header if kind == "products" else customer_header
            for fmt in formats:
                db.session.execute(delete(ProductPrice))
                db.session.execute(delete(Product))
                db.session.execute(delete(Customer))
                db.session.execute(delete(ImportRow))
                db.session.commit()
                path = write_file(folder, kind, fmt, header, make())
                size = path.stat().st_size
                with path.open("rb") as stream:
                    imp = imports.store_upload(db.session, actor, kind, path.name, stream)
                commit: Callable[[int, int | None], None] = lambda done, total: db.session.commit()  # noqa: E731
                started = time.perf_counter()
                with PeakMemory() as check_mem:
                    counts = imports.run_phase(db.session, actor, imp, imports.CHECK, progress=commit)
                check_s = time.perf_counter() - started
                assert counts["created"] == count, counts
                imp = db.session.get(FileImport, (imp.organization_id, imp.id))
                started = time.perf_counter()
                with PeakMemory() as apply_mem:
                    counts = imports.run_phase(db.session, actor, imp, imports.APPLY, progress=commit)
                apply_s = time.perf_counter() - started
                assert counts["created"] == count, counts
                raw_s = raw_driver_insert(db.engine, kind)
                print(f"{kind} {fmt.upper()} ({size / 2**20:.1f} MiB, {count:,} file rows, {db_rows:,} db rows): "
                      f"dry run {check_s:.1f} s ({count / check_s:,.0f} file rows/s, peak +{check_mem.mib:.0f} MiB); "
                      f"apply {apply_s:.1f} s ({db_rows / apply_s:,.0f} db rows/s, peak +{apply_mem.mib:.0f} MiB); "
                      f"raw executemany {raw_s:.2f} s ({db_rows / raw_s:,.0f} rows/s); "
                      f"apply vs raw {raw_s / apply_s:.2f}x, dry run + apply vs raw {raw_s / (check_s + apply_s):.2f}x")
        db.engine.dispose()


def raw_driver_insert(engine, kind: str) -> float:
    """The rows the import wrote, deleted and inserted again with the driver's plain
    executemany into the same tables (same indexes): the floor without reading a file,
    validating or matching."""
    tables = ["products", "product_prices"] if kind == "products" else ["customers"]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        saved = []
        for table in tables:
            cur.execute(f"SELECT * FROM {table}")
            saved.append((table, [d[0] for d in cur.description], cur.fetchall()))
        for table in reversed(tables):
            cur.execute(f"DELETE FROM {table}")
        raw.commit()
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        if engine.dialect.name == "postgresql":  # JSON columns come back as dicts
            from psycopg.types.json import Json

            saved = [(t, cols, [tuple(Json(v) if isinstance(v, dict) else v for v in row) for row in rows])
                     for t, cols, rows in saved]
        started = time.perf_counter()
        for table, cols, rows in saved:
            cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})", rows)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args()
    with throwaway_database() as url:
        run(url, args.products, args.customers, args.formats.split(","))


if __name__ == "__main__":
    main()
