"""Load test: a realistic mix against gunicorn (scripts/serve's configuration) for a
fixed time, then throughput and p50/p95/p99 per action and the error count.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/load_test.py
    … benchmarks/load_test.py --seconds 60 --reps 6 --managers 2 --erps 1 --orders 5000

It creates a throwaway database on that server (dropped afterwards), migrates it, loads
the demo organization plus ``--orders`` imported orders, starts gunicorn on a free local
port with gunicorn.conf.py (workers from the core count, unless WEB_CONCURRENCY is set)
and a delivery worker, and runs closed-loop virtual users with no think time:

- reps (signed in, browser forms with CSRF): search as they type (the orders list
  fragment), open an order, look a product up in the builder, add a line, create a
  three-line order;
- managers: the orders list (there is no manager dashboard page yet; the full orders
  page, filtered by status and sorted by total, stands in for it) and its second page;
- an ERP (API token): imports 50 orders a request (a fifth of them re-sent, so they
  update) and reads an order back.

The load generator runs on the same machine as the server, so both share its cores.
Every loop is bounded by the deadline; the script stops the server it started."""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.throwaway import throwaway_database  # noqa: E402

BIN = Path(sys.executable).parent
TOKEN = "odk_demo_4d3m0-t0k3n-f0r-l0c4l-use-0nly"
PASSWORD = "orderdesk-demo"
HX = {"HX-Request": "true"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, str] = {}

    def timed(self, action: str, call, ok=(200,)):
        start = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as exc:
            self._error(action, repr(exc))
            return None
        elapsed = time.perf_counter() - start
        if response.status_code not in ok:
            self._error(action, f"{response.status_code} {response.text[:200]}")
            return None
        with self.lock:
            self.times[action].append(elapsed)
        return response

    def _error(self, action: str, detail: str) -> None:
        with self.lock:
            self.errors[action] += 1
            self.samples.setdefault(action, detail)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


def sign_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30).text
    response = session.post(f"{base}/login", data={"csrf_token": csrf_from(page), "email": email,
                                                   "password": PASSWORD}, allow_redirects=False, timeout=30)
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed: {response.status_code}")
    return session


def rep_user(base: str, deadline: float, stats: Stats, world: dict, seed: int) -> None:
    rng = random.Random(seed)
    session = sign_in(base, "rep@demo.example")
    builder = session.get(f"{base}/orders/new", timeout=30).text
    csrf = csrf_from(builder)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        text = rng.choice(world["search_terms"])
        for typed in (text[:2], text[:4], text):
            stats.timed("rep: search as you type", lambda t=typed: session.get(
                f"{base}/orders", params={"q": t}, headers=HX, timeout=30))
        stats.timed("rep: open order", lambda: session.get(
            f"{base}/orders/{rng.choice(world['order_ids'])}", timeout=30))
        products = rng.sample(world["products"], 3)
        stats.timed("rep: product lookup", lambda p=products: session.get(
            f"{base}/orders/new/products", params={"q": p[0][0][:5], "priceTier": world["tier"],
                                                   "currencyCode": "USD"}, headers=HX, timeout=30))
        customer = rng.choice(world["customers"])
        form = {"csrf_token": csrf, "customer.customerNumber": customer[0], "customer.companyName": customer[1],
                "poNumber": f"PO-LOAD-{seed}-{n}", "orderType": "Direct", "channel": "Phone", "terms": "Net30",
                "priceTier": world["tier"], "currencyCode": "USD", "primarySalesRep.repNumber": "REP-001",
                "takenBySalesRep.repNumber": "REP-001"}
        stats.timed("rep: add a line", lambda f=form, p=products: session.post(
            f"{base}/orders/new/lines", data={**f, "add": p[0][0]}, headers=HX, timeout=30))
        lines: dict = {"line": []}
        for index, (sku, price, moq) in enumerate(products):
            key = f"k{index}"
            lines["line"].append(key)
            lines.update({f"items-{key}-sku": sku, f"items-{key}-quantity": str(moq),
                          f"items-{key}-price": price, f"items-{key}-overridden": ""})
        stats.timed("rep: create order", lambda f=form, li=lines: session.post(
            f"{base}/orders/new", data={**f, **li}, headers=HX, allow_redirects=False, timeout=30),
            ok=(204,))


def manager_user(base: str, deadline: float, stats: Stats, world: dict, seed: int) -> None:
    rng = random.Random(seed)
    session = sign_in(base, "manager@demo.example")
    while time.monotonic() < deadline:
        status = rng.choice(["", "Pending", "Processing", "Shipped"])
        stats.timed("manager: orders page", lambda s=status: session.get(
            f"{base}/orders", params={"status": s, "sort": "orderTotal", "dir": "desc"}, timeout=30))
        stats.timed("manager: next page", lambda s=status: session.get(
            f"{base}/orders", params={"status": s, "sort": "orderTotal", "dir": "desc", "page": "2"},
            headers=HX, timeout=30))


def erp_user(base: str, deadline: float, stats: Stats, world: dict, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    batch = 0
    while time.monotonic() < deadline:
        batch += 1
        fresh = 40 if batch > 1 else 50
        orders = [import_order(rng, world, f"ERP-{seed}-{batch}-{k}") for k in range(fresh)]
        orders += [import_order(rng, world, f"ERP-{seed}-{batch - 1}-{k}") for k in range(50 - fresh)]
        response = stats.timed("erp: import 50 orders", lambda o=orders: session.post(
            f"{base}/api/orders/bulk", json={"orders": o}, timeout=60), ok=(201,))
        if response is not None:
            stats.timed("erp: get an order", lambda r=response: session.get(
                f"{base}{r.json()[0]['links'][0]['href']}", timeout=30))


def import_order(rng: random.Random, world: dict, external_id: str) -> dict:
    customer = rng.choice(world["customers"])
    items = [{"sku": sku, "quantity": moq, "price": float(price)}
             for sku, price, moq in rng.sample(world["products"], 3)]
    return {"externalId": external_id, "customer": {"customerNumber": customer[0], "companyName": customer[1]},
            "orderType": "EDI", "poNumber": f"PO-{external_id}", "priceTier": world["tier"], "currencyCode": "USD",
            "primarySalesRep": {"repNumber": rng.choice(["REP-001", "REP-002", "REP-003"])}, "items": items,
            "user": {"userType": "Integration"}, "orderStatus": rng.choice(["Pending", "Processing", "Shipped"])}


def prepare(url: str, env: dict, orders: int) -> dict:
    """Migrate, load the demo organization and ``orders`` more, and read what the users need."""
    from sqlalchemy import create_engine, text

    for command in (["db", "upgrade"], ["demo"]):
        done = subprocess.run([str(BIN / "flask"), "--app", "app", *command], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stderr[-2000:]}")
    engine = create_engine(url)
    with engine.connect() as conn:
        tier = conn.execute(text("SELECT price_tiers FROM organizations WHERE slug = 'demo'")).scalar_one()
        tier = (tier if isinstance(tier, list) else __import__("json").loads(tier))[0]
        products = [(sku, f"{price:.2f}", moq) for sku, price, moq in conn.execute(text(
            "SELECT p.sku, pp.price, p.minimum_order_quantity FROM products p JOIN product_prices pp "
            "ON pp.product_id = p.id WHERE pp.price_tier = :tier AND pp.currency_code = 'USD' AND p.active"),
            {"tier": tier})]
        customers = list(conn.execute(text("SELECT customer_number, company_name FROM customers")).all())
    world = {"tier": tier, "products": products, "customers": customers}
    return world, engine


def bulk_seed(base: str, world: dict, orders: int) -> None:
    rng = random.Random(7)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    for start in range(0, orders, 1000):
        batch = [import_order(rng, world, f"SEED-{n}") for n in range(start, min(start + 1000, orders))]
        response = session.post(f"{base}/api/orders/bulk", json={"orders": batch}, timeout=300)
        if response.status_code != 201:
            raise SystemExit(f"seeding failed: {response.status_code} {response.text[:1000]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reps", type=int, default=6)
    parser.add_argument("--managers", type=int, default=2)
    parser.add_argument("--erps", type=int, default=1)
    parser.add_argument("--orders", type=int, default=5000, help="orders imported before the run")
    args = parser.parse_args()

    with throwaway_database() as url, tempfile.TemporaryDirectory(prefix="orderdesk-load-") as tmp:
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-test-secret", "ORDERDESK_ENV": "production",
               "ALLOW_SQLITE": "true", "LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": f"{tmp}/metrics",
               "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "1200/minute")}
        world, engine = prepare(url, env, args.orders)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(f"{tmp}/server.log", "wb")  # noqa: SIM115 - closed below
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            for _ in range(300):
                try:
                    if requests.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.1)
            else:
                raise SystemExit("the server did not become ready")
            bulk_seed(base, world, args.orders)
            from sqlalchemy import text

            with engine.connect() as conn:
                world["order_ids"] = list(conn.execute(text(  # the orders the signed-in rep (REP-001) sees
                    "SELECT id FROM orders WHERE primary_rep_number = 'REP-001' OR taken_by_rep_number = 'REP-001' "
                    "LIMIT 2000")).scalars())
                world["search_terms"] = [t for t in conn.execute(text(
                    "SELECT company_name FROM customers UNION ALL SELECT po_number FROM orders LIMIT 300"
                )).scalars() if len(t) >= 4]
            workers = os.environ.get("WEB_CONCURRENCY") or str(max(2, (os.cpu_count() or 1) * 2))
            print(f"gunicorn: {workers} workers x 4 threads on {os.cpu_count()} cores; "
                  f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}; {args.orders} + demo orders; "
                  f"{args.reps} reps, {args.managers} managers, {args.erps} ERP for {args.seconds:.0f} s")
            stats = Stats()
            deadline = time.monotonic() + args.seconds
            users = ([(rep_user, n) for n in range(args.reps)] + [(manager_user, 100 + n) for n in range(args.managers)]
                     + [(erp_user, 200 + n) for n in range(args.erps)])
            threads = [threading.Thread(target=fn, args=(base, deadline, stats, world, seed)) for fn, seed in users]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=args.seconds + 120)
            elapsed = time.monotonic() - started
            report(stats, elapsed)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
            log.close()
            engine.dispose()


def report(stats: Stats, elapsed: float) -> None:
    total = sum(len(v) for v in stats.times.values())
    errors = sum(stats.errors.values())
    print(f"{'action':<26} {'count':>7} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for action in sorted(set(stats.times) | set(stats.errors)):
        times = stats.times.get(action, [])
        print(f"{action:<26} {len(times):>7} {len(times) / elapsed:>7.1f} {percentile(times, 50) * 1000:>8.1f} "
              f"{percentile(times, 95) * 1000:>8.1f} {percentile(times, 99) * 1000:>8.1f} {stats.errors.get(action, 0):>7}")
    every = [t for times in stats.times.values() for t in times]
    print(f"{'all requests':<26} {total:>7} {total / elapsed:>7.1f} {percentile(every, 50) * 1000:>8.1f} "
          f"{percentile(every, 95) * 1000:>8.1f} {percentile(every, 99) * 1000:>8.1f} {errors:>7}")
    created = len(stats.times.get("rep: create order", []))
    imported = len(stats.times.get("erp: import 50 orders", [])) * 50
    print(f"orders written: {created / elapsed:.1f}/s from the builder, {imported / elapsed:.0f}/s imported "
          f"over {elapsed:.0f} s; mean of a request {statistics.fmean(every) * 1000 if every else 0:.1f} ms")
    for action, sample in stats.samples.items():
        print(f"first error of {action}: {sample}")


if __name__ == "__main__":
    main()
