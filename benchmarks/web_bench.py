"""The orders page under load, beside a bare baseline.

Fills a throwaway database with N orders (default 100,000; SQLite unless DATABASE_URL
points at PostgreSQL), serves the app with gunicorn (2 workers, gunicorn.conf.py), signs
in as a manager and drives each route of the orders page with a bounded closed-loop HTTP
load (C connections, no think time) for a fixed time: the first page, a status filter,
``q``, page 50, and the htmx fragment. Then it serves a bare Flask + SQLAlchemy Core app
(same gunicorn settings, same database) whose one route renders the same 25 rows of the
first page, with the same columns (invoice numbers from a second query) and an exact
``COUNT(*)``, through a Jinja template, and drives it the same way; and the same route
without the count (the bare stack's ceiling for a list page).
Prints requests/s and p50/p99 per route and each route's ratio to both.

    .venv/bin/python benchmarks/web_bench.py [--orders 100000] [--seconds 10] [--connections 4]

The load generator runs on the same machine as the servers and shares its cores."""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load_test import free_port, percentile  # noqa: E402
from benchmarks.throwaway import throwaway_database  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "bench-manager-password"
EMAIL = "manager@bench.example"

ROUTES = [
    ("first page", "/orders", {}, {}),
    ("status filter", "/orders", {"status": "Shipped"}, {}),
    ("q=4242", "/orders", {"q": "4242"}, {}),
    ("page 50", "/orders", {"page": "50"}, {}),
    ("htmx fragment", "/orders", {"status": "Pending", "sort": "orderTotal", "dir": "desc"}, {"HX-Request": "true"}),
]

BASELINE_APP = '''
import os
from flask import Flask, render_template_string, request
from sqlalchemy import bindparam, create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"], pool_size=4)
ORG = os.environ["BENCH_ORG"]
INVOICES = text("SELECT order_id, invoice_number FROM invoices WHERE order_id IN :ids "
                "ORDER BY order_id, invoice_number").bindparams(bindparam("ids", expanding=True))
PAGE = """<!doctype html><title>Orders</title><p>{{ "{:,}".format(total) }} orders</p>
<table><thead><tr><th>Order</th><th>Date</th><th>Company</th><th>Customer</th><th>PO</th><th>Status</th><th>Total</th>
<th>Rep</th><th>Invoices</th></tr></thead><tbody>
{% for o in rows %}<tr><td><a href="/orders/{{ o.id }}">{{ o.order_number }}</a></td><td>{{ o.order_date }}</td>
<td>{{ o.company_name }}</td><td>{{ o.customer_number }}</td><td>{{ o.po_number }}</td><td>{{ o.order_status }}</td>
<td>{{ o.order_total }} {{ o.currency_code }}</td><td>{{ o.primary_rep_number }}{% if o.taken_by_rep_number and o.taken_by_rep_number != o.primary_rep_number %} / {{ o.taken_by_rep_number }}{% endif %}</td>
<td>{{ invoices.get(o.id, [])|join(", ") }}</td></tr>
{% endfor %}</tbody></table>"""


@app.get("/baseline")
@app.get("/baseline-no-count")
def baseline():
    with engine.connect() as conn:
        total = (conn.execute(text("SELECT count(*) FROM orders WHERE organization_id = :org"), {"org": ORG}).scalar()
                 if request.path == "/baseline" else 0)
        rows = conn.execute(text(
            "SELECT id, order_number, order_date, company_name, customer_number, po_number, order_status, "
            "order_total, currency_code, primary_rep_number, taken_by_rep_number FROM orders "
            "WHERE organization_id = :org ORDER BY order_date DESC, id DESC LIMIT 25"), {"org": ORG}).all()
        invoices = {}
        for order_id, number in conn.execute(INVOICES, {"ids": [o.id for o in rows]}):
            invoices.setdefault(order_id, []).append(number)
    return render_template_string(PAGE, rows=rows, total=total, invoices=invoices)
'''


def prepare(url: str, env: dict, orders: int) -> str:
    """Migrate, fill, add a manager; the organization's id."""
    done = subprocess.run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"flask db upgrade failed:\n{done.stderr[-2000:]}")
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db
    from app.services import accounts, facets
    from benchmarks.search_bench import fill

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        org = accounts.create_organization(db.session, "Big", tiers=["Wholesale", "Retail"])
        accounts.create_user(db.session, org, email=EMAIL, password=PASSWORD, role="manager")
        db.session.commit()
        started = time.perf_counter()
        fill(db, org.id, orders)
        facets.rebuild(db.session, org.id)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
        print(f"filled {orders:,} orders in {time.perf_counter() - started:.0f} s")
        org_id = org.id
        db.engine.dispose()
    return org_id


def serve(command: list[str], env: dict, port: int, ready_path: str, log) -> subprocess.Popen:
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", ready_path)
            if conn.getresponse().status in (200, 302):
                return server
        except OSError:
            pass
        time.sleep(0.1)
    stop(server)
    raise SystemExit(f"{command[0]} did not become ready")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def sign_in(port: int) -> str:
    """The session cookie of a signed-in manager."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookies = "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [])
    csrf = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    conn.request("POST", "/login", body=urlencode({"csrf_token": csrf, "email": EMAIL, "password": PASSWORD}),
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"sign-in failed: {response.status}")
    jar = dict(c.split(";")[0].split("=", 1) for c in [*cookies.split("; "), *(response.headers.get_all("Set-Cookie") or [])] if "=" in c)
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def drive(port: int, path: str, headers: dict, seconds: float, connections: int, expect: str) -> tuple[float, list[float], int]:
    """Closed-loop load: ``connections`` keep-alive connections, each sending the next
    request as soon as the last answer is read, until the deadline."""
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    errors[0] += 1
                continue
            elapsed = time.perf_counter() - start
            if response.status != 200 or expect.encode() not in body:
                with lock:
                    errors[0] += 1
                continue
            mine.append(elapsed)
        with lock:
            times.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, times, errors[0]


def line(label: str, elapsed: float, times: list[float], errors: int, *base_rates: float) -> float:
    rate = len(times) / elapsed
    ratios = "".join(f"{rate / base:>11.2f}x" for base in base_rates)
    print(f"{label:<18} {len(times):>7} {rate:>8.1f} {percentile(times, 50) * 1000:>8.1f} "
          f"{percentile(times, 99) * 1000:>8.1f} {errors:>6}{ratios}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()

    with throwaway_database() as url, tempfile.TemporaryDirectory(prefix="orderdesk-web-") as tmp:
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "web-bench-secret", "ORDERDESK_ENV": "production",
               "ALLOW_SQLITE": "true", "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": "2",
               "PROMETHEUS_MULTIPROC_DIR": f"{tmp}/metrics", "SESSION_COOKIE_SECURE": "false"}
        org_id = prepare(url, env, args.orders)
        (Path(tmp) / "baseline_app.py").write_text(BASELINE_APP)
        database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"gunicorn, 2 workers, on {os.cpu_count()} cores; {database}; {args.orders:,} orders; "
              f"{args.connections} connections per route for {args.seconds:.0f} s each")
        print(f"{'route':<18} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
              f"{'vs baseline':>12} {'vs no count':>11}")
        with open(f"{tmp}/baseline.log", "wb") as log:
            port = free_port()
            # The app's own gunicorn settings (worker class, threads, keep-alive, restarts).
            server = serve([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers", "2",
                            "--bind", f"127.0.0.1:{port}", "--chdir", tmp, "baseline_app:app"],
                           {**env, "BENCH_ORG": org_id}, port, "/baseline", log)
            try:
                drive(port, "/baseline", {}, 1, args.connections, "orders")  # warm up
                elapsed, times, errors = drive(port, "/baseline", {}, args.seconds, args.connections, "orders")
                elapsed_n, times_n, errors_n = drive(port, "/baseline-no-count", {}, args.seconds, args.connections,
                                                     "orders")
                base_rate, no_count_rate = len(times) / elapsed, len(times_n) / elapsed_n
                line("baseline", elapsed, times, errors, base_rate, no_count_rate)
                line("baseline, no count", elapsed_n, times_n, errors_n, base_rate, no_count_rate)
            finally:
                stop(server)
        with open(f"{tmp}/server.log", "wb") as log:
            port = free_port()
            server = serve([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", "2",
                            "--bind", f"127.0.0.1:{port}"], env, port, "/readyz", log)
            try:
                cookie = sign_in(port)
                for label, path, query, extra in ROUTES:
                    target = path + ("?" + urlencode(query) if query else "")
                    headers = {"Cookie": cookie, **extra}
                    drive(port, target, headers, 1, args.connections, "</tr>")
                    elapsed, times, errors = drive(port, target, headers, args.seconds, args.connections, "</tr>")
                    line(label, elapsed, times, errors, base_rate, no_count_rate)
            finally:
                stop(server)


if __name__ == "__main__":
    main()
