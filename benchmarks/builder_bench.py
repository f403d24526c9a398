"""Order builder: server time of every lookup and recalculation request, with 1,000
products (3 tiers × 2 currencies), 300 customers and 3,000 earlier orders.

    .venv/bin/python benchmarks/builder_bench.py                 # SQLite (temp file)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/builder_bench.py

Requests go through the Flask test client as a signed-in rep (CSRF on); the time is
measured around the WSGI app (session, sign-in, query, render), not the client. Prints
p50 and p95 per endpoint. On PostgreSQL it works in a throwaway database it creates and drops."""

from __future__ import annotations

import random
import re
import statistics
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, text  # noqa: E402

from benchmarks.throwaway import throwaway_database  # noqa: E402

PRODUCTS, CUSTOMERS, ORDERS, ROUNDS, WARMUP = 1000, 300, 3000, 300, 30
TIERS, CURRENCIES = ["Wholesale", "Retail", "Distributor"], ["USD", "CAD"]


def main() -> None:
    with throwaway_database() as url:
        run(url)


def seed(session) -> tuple[str, str]:
    """Catalog, customers, reps, a rep user and earlier orders; returns (org id, user id)."""
    from app.db.models import Customer, Product, ProductPrice
    from app.services import accounts
    from app.services.context import Actor
    from app.services.orders import import_orders

    rng = random.Random(7)
    org = accounts.create_organization(session, "Bench Supply", tiers=TIERS)
    for n in range(1, 6):
        accounts.ensure_rep(session, org, f"REP-{n}", "Rep", f"Number {n}")
    user = accounts.create_user(session, org, email="rep@bench.example", password="bench-password",
                                role="rep", rep_number="REP-1", first_name="Rep", last_name="One")
    kinds = ["Widget", "Gadget", "Bracket", "Valve", "Fitting", "Gasket", "Sensor", "Cable", "Panel", "Spring"]
    for n in range(PRODUCTS):
        moq, inc = rng.choice([(1, 1), (1, 1), (6, 6), (12, 6), (10, 5)])
        product = Product(organization_id=org.id, sku=f"{kinds[n % 10][:3].upper()}-{n:04d}",
                          name=f"{kinds[n % 10]} model {n} {rng.choice(['blue', 'red', 'steel', 'brass'])}",
                          minimum_order_quantity=moq, quantity_increment=inc)
        base = Decimal(rng.randint(100, 20000)) / 100
        for t, tier in enumerate(TIERS):
            for c, currency in enumerate(CURRENCIES):
                product.prices.append(ProductPrice(price_tier=tier, currency_code=currency,
                                                   price=(base * (1 + Decimal(t) / 10) * (1 + Decimal(c) / 3)).quantize(Decimal("0.01"))))
        session.add(product)
    for n in range(CUSTOMERS):
        session.add(Customer(organization_id=org.id, customer_number=f"C-{n:04d}",
                             company_name=f"{rng.choice(['Harbor', 'Summit', 'Pioneer', 'Keystone', 'Granite'])} {n} Co.",
                             company_email=f"buyer{n}@customer{n}.example", default_price_tier=TIERS[n % 3],
                             default_terms="Net30", default_currency=CURRENCIES[n % 2],
                             billing_address={"address1": f"{n} Main St", "city": "Portland"},
                             shipping_address={"address1": f"{n} Dock Rd", "city": "Portland"}))
    session.commit()
    actor = Actor(organization_id=org.id, name="Bench")
    payloads = []
    for n in range(ORDERS):
        c = n % CUSTOMERS
        payloads.append({
            "externalId": f"B-{n}", "orderNumber": f"H-{n:06d}", "orderDate": "2026-03-15T10:22:00Z",
            "orderType": "Direct", "poNumber": f"PO-{n}", "priceTier": TIERS[c % 3], "currencyCode": CURRENCIES[c % 2],
            "customer": {"customerNumber": f"C-{c:04d}", "companyName": f"Customer {c}"},
            "primarySalesRep": {"repNumber": f"REP-{1 + n % 5}"}, "user": {"userType": "SalesRep"},
            "items": [{"sku": f"{kinds[(n + i) % 10][:3].upper()}-{(n * 7 + i) % PRODUCTS:04d}", "quantity": 12,
                       "price": Decimal("4.25")} for i in range(4)],
        })
    for start in range(0, ORDERS, 1000):
        import_orders(session, actor, payloads[start:start + 1000])
    return org.id, user.id


def run(db_url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench", "TESTING": False})
    with app.app_context():
        upgrade()
        t0 = time.perf_counter()
        _, user_id = seed(db.session)
        if db.engine.dialect.name == "postgresql":  # statistics, as autovacuum keeps them on a live database
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        print(f"seeded {PRODUCTS} products, {CUSTOMERS} customers, {ORDERS} orders in {time.perf_counter() - t0:.1f} s"
              f" on {db.engine.dialect.name}")

    timings: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    current: list[str] = [""]
    inner = app.wsgi_app
    db_ms: dict[str, list[float]] = defaultdict(list)
    statements, in_db, started = [0], [0.0], [0.0]

    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def before(*_args) -> None:
            statements[0] += 1
            started[0] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def after(*_args) -> None:
            in_db[0] += time.perf_counter() - started[0]

    def timed(environ, start_response):
        statements[0], in_db[0] = 0, 0.0
        t = time.perf_counter()
        try:
            return list(inner(environ, start_response))
        finally:
            timings[current[0]].append((time.perf_counter() - t) * 1000)
            queries[current[0]].append(statements[0])
            db_ms[current[0]].append(in_db[0] * 1000)

    app.wsgi_app = timed
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = user_id, True
    page = client.get("/orders/new").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    rng = random.Random(11)

    def draft(n_lines: int) -> dict:
        form = {"csrf_token": csrf, "customer.customerNumber": "C-0001", "customer.companyName": "Harbor 1 Co.",
                "poNumber": "PO-1", "orderType": "Direct", "priceTier": "Retail", "currencyCode": "USD",
                "primarySalesRep.repNumber": "REP-1", "shippingDetails.total": "18.50", "tax": "4.10",
                "line": [f"k{i}" for i in range(n_lines)]}
        for i in range(n_lines):
            form.update({f"items-k{i}-sku": f"WID-{(i * 10) % PRODUCTS:04d}", f"items-k{i}-quantity": str(12 + i),
                         f"items-k{i}-price": "3.10", f"items-k{i}-overridden": "1" if i % 3 == 0 else ""})
        return form

    words = ["harb", "C-01", "buyer12", "summit 4", "pion", "keystone", "gran", "C-0299"]
    products = ["wid", "GAD-0", "valve brass", "SEN-05", "steel", "model 42", "cab", "SPR-0999"]
    requests = {
        "GET customers?q=": lambda: client.get("/orders/new/customers", query_string={"q": rng.choice(words)}),
        "GET products?q=": lambda: client.get("/orders/new/products", query_string={
            "q": rng.choice(products), "priceTier": "Retail", "currencyCode": "USD"}),
        "GET po-check": lambda: client.get("/orders/new/po-check", query_string={
            "customer.customerNumber": f"C-{rng.randrange(CUSTOMERS):04d}", "poNumber": f"PO-{rng.randrange(ORDERS)}"}),
        "POST customer (choose, 5 lines)": lambda: client.post("/orders/new/customer", data={
            **draft(5), "choose": f"C-{rng.randrange(CUSTOMERS):04d}"}),
        "POST lines (add, 5 lines)": lambda: client.post("/orders/new/lines", data={
            **draft(5), "add": f"GAD-{rng.randrange(PRODUCTS):04d}"}),
        "POST recalc (10 lines)": lambda: client.post("/orders/new/recalc", data=draft(10),
                                                      headers={"HX-Trigger-Name": "items-k1-price"}),
        "POST recalc (50 lines, quantity)": lambda: client.post("/orders/new/recalc", data=draft(50),
                                                                headers={"HX-Trigger-Name": "items-k7-quantity"}),
        "POST recalc (50 lines, tier)": lambda: client.post("/orders/new/recalc", data=draft(50),
                                                            headers={"HX-Trigger-Name": "priceTier"}),
        "POST quick-add (10 pasted)": lambda: client.post("/orders/new/quick-add", data={
            **draft(3), "quick_add": "\n".join(f"VAL-{rng.randrange(PRODUCTS):04d}\t{6 * (i + 1)}" for i in range(10))}),
        "GET /orders/new (page)": lambda: client.get("/orders/new"),
    }
    for label, call in requests.items():
        current[0] = label
        for _ in range(WARMUP):
            assert call().status_code == 200, label
        timings[label].clear()
        queries[label].clear()
        db_ms[label].clear()
        for _ in range(ROUNDS):
            call()
    print(f"{'endpoint':34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'SQL ms':>8}   ({ROUNDS} requests each;"
          " SQL ms: median time inside the driver's execute)")
    for label in requests:
        values = sorted(timings[label])
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"{label:34} {statistics.median(values):8.2f} {p95:8.2f} {statistics.median(queries[label]):8.0f}"
              f" {statistics.median(db_ms[label]):8.2f}")


if __name__ == "__main__":
    main()
