"""The JSON API end to end (auth, parsing, service, JSON out) through the WSGI app:
bulk import of 10,000 orders in calls of 1,000, then p50/p95 server time of searches
(a page of 25 with its total, filtered, sorted, q), single reads and shipping updates.

    .venv/bin/python benchmarks/api_bench.py                 # SQLite (temp file)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/api_bench.py

On PostgreSQL it works in a throwaway database it creates and drops."""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.throwaway import throwaway_database  # noqa: E402

ORDERS, BATCH, ROUNDS = 10_000, 1000, 100
STATUSES = ["Pending", "Processing", "Shipped", "Complete", "Cancelled"]


def payloads(start: int, count: int) -> list[dict]:
    return [{
        "externalId": f"BENCH-{n}", "orderNumber": f"H-{n:07d}",
        "orderDate": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T10:22:00Z",
        "orderStatus": STATUSES[n % 5], "orderType": "EDI", "poNumber": f"PO-{n}",
        "priceTier": "Wholesale", "currencyCode": "USD", "terms": "Net30", "channel": "EDI",
        "customer": {"customerNumber": f"C-{n % 300}", "companyName": f"Customer {n % 300}"},
        "primarySalesRep": {"repNumber": f"REP-{n % 5}"}, "user": {"userType": "Admin"},
        "items": [{"sku": f"SKU-{(n + i) % 1000}", "quantity": 1 + i, "price": Decimal("4.25")}
                  for i in range(4)],
        "shippingDetails": {"method": "Freight", "total": Decimal("18.50")},
    } for n in range(start, start + count)]


def main() -> None:
    with throwaway_database() as url:
        run(url)


def timed(client, method: str, path: str, headers: dict, body: str | None = None) -> float:
    start = time.perf_counter()
    response = client.open(path, method=method, headers=headers, data=body,
                           content_type="application/json" if body else None)
    elapsed = time.perf_counter() - start
    assert response.status_code < 300, (path, response.status_code, response.get_data()[:300])
    return elapsed


def report(label: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"{label:<44} p50 {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms")


def run(db_url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app, jsonutil
    from app.extensions import db
    from app.services import accounts

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        org = accounts.create_organization(db.session, "Bench", tiers=["Wholesale"])
        secret = accounts.create_token(db.session, org, "bench").secret
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()

    bodies = [jsonutil.dumps({"orders": payloads(i, BATCH)}) for i in range(0, ORDERS, BATCH)]
    start = time.perf_counter()
    for body in bodies:
        timed(client, "POST", "/api/orders/bulk", headers, body)
    elapsed = time.perf_counter() - start
    print(f"{db_url.split(':')[0]}: POST /api/orders/bulk {ORDERS} orders ({ORDERS * 4} lines) "
          f"in {elapsed:.2f} s = {ORDERS / elapsed:,.0f} orders/s")

    pending = client.get("/api/orders?pageSize=100&orderStatus=Pending", headers=headers)
    ids = [o["id"] for o in jsonutil.loads(pending.get_data())["items"]]
    filters = quote(json.dumps([{"field": "orderTotal", "operator": "gt", "value": 40}]))
    queries = {
        "GET /api/orders (page 1 of 25)": "/api/orders",
        "GET /api/orders page 200, sort orderDate desc":
            "/api/orders?pageNumber=200&sortOn=orderDate&sortDirection=desc",
        "GET /api/orders?orderStatus=Shipped": "/api/orders?orderStatus=Shipped",
        "GET /api/orders filters orderTotal gt": f"/api/orders?filters={filters}",
        "GET /api/orders?q=Customer 12": "/api/orders?q=Customer%2012",
        "GET /api/orders?sku=SKU-42": "/api/orders?sku=SKU-42",
        "GET /api/orders pageSize=100": "/api/orders?pageSize=100",
    }
    for label, path in queries.items():
        for _ in range(10):
            timed(client, "GET", path, headers)
        report(label, [timed(client, "GET", path, headers) for _ in range(ROUNDS)])
    report("GET /api/orders/{id}",
           [timed(client, "GET", f"/api/orders/{random.choice(ids)}", headers) for _ in range(ROUNDS)])
    shipping = [json.dumps({"method": "Freight", "total": n % 50}) for n in range(ROUNDS)]
    report("PUT /api/orders/{id}/shipping",
           [timed(client, "PUT", f"/api/orders/{random.choice(ids[:50])}/shipping", headers, body)
            for body in shipping])


if __name__ == "__main__":
    main()
