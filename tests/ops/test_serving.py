"""scripts/serve's gunicorn.conf.py: refuses unsafe production settings, serves with
several workers whose metrics add up, JSON logs on stderr."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests.conftest import BACKEND, free_port
from tests.ops.procs import ROOT, VENV_BIN, base_env

METRICS_TOKEN = "serve-metrics-token"


def _gunicorn_exit(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind",
                           f"127.0.0.1:{free_port()}"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_production_mode_refuses_to_start_without_a_secret_key(database_url):
    env = base_env("postgresql://postgres@127.0.0.1/x", ORDERDESK_ENV="production")
    env.pop("SECRET_KEY")
    result = _gunicorn_exit(env)
    assert result.returncode != 0
    assert "Refusing to start in production: SECRET_KEY is not set" in result.stderr


def test_production_mode_refuses_sqlite_unless_allowed(tmp_path):
    result = _gunicorn_exit(base_env(f"sqlite:///{tmp_path}/x.sqlite3", ORDERDESK_ENV="production"))
    assert result.returncode != 0 and "DATABASE_URL is not PostgreSQL" in result.stderr
    assert "ALLOW_SQLITE" in result.stderr


def _scrape(base: str) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10).text
    return {f"{s.name}{sorted(s.labels.items())}": s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_two_gunicorn_workers_serve_and_their_metrics_add_up(db_session, database_url, procs, tmp_path):
    env = base_env(database_url, ORDERDESK_ENV="production", METRICS_TOKEN=METRICS_TOKEN,
                   ALLOW_SQLITE="true" if BACKEND == "sqlite" else "false")
    port = free_port()
    server = procs.gunicorn("web", port, env, workers=2)
    base = f"http://127.0.0.1:{port}"
    key = "orderdesk_http_requests_total[('method', 'GET'), ('route', '/readyz'), ('status', '200')]"
    before = _scrape(base).get(key, 0)
    ids = set()
    for _ in range(40):
        # A new connection each time, so both workers take requests.
        response = requests.get(f"{base}/readyz", headers={"Connection": "close"}, timeout=10)
        assert response.status_code == 200
        ids.add(response.headers["X-Request-ID"])
    assert len(ids) == 40
    assert _scrape(base)[key] - before == 40
    counter_files = list((tmp_path / "web-metrics").glob("counter_*.db"))
    assert len(counter_files) >= 2, counter_files  # both workers counted, one file each

    login = requests.get(f"{base}/login", timeout=10).text
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', login).group(1)
    static = requests.get(base + css, timeout=10)
    assert static.status_code == 200 and "immutable" in static.headers["Cache-Control"]

    lines = [json.loads(line) for line in procs.log(server).splitlines() if line.startswith("{")]
    requests_logged = [line for line in lines if line.get("logger") == "orderdesk.request"]
    assert {line["request_id"] for line in requests_logged} >= ids
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)


def test_workers_fork_from_a_loaded_app_and_keep_serving_when_recycled(db_session, database_url, procs):
    env = base_env(database_url, ORDERDESK_ENV="production", ALLOW_SQLITE="true" if BACKEND == "sqlite" else "false",
                   GUNICORN_MAX_REQUESTS="3", GUNICORN_MAX_REQUESTS_JITTER="0")
    port = free_port()
    server = procs.gunicorn("recycled", port, env, workers=1)
    # The master itself has loaded the app (its compiled dependencies are mapped in).
    maps = Path(f"/proc/{server.pid}/maps").read_text()
    assert "pydantic_core" in maps
    for _ in range(12):  # four workers in turn, each retired after three requests
        response = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in procs.log(server).splitlines() if line.startswith("{")]
    assert sum("Booting worker" in line.get("message", "") for line in lines) >= 4


def test_after_a_reload_the_preloaded_app_still_logs_each_request(db_session, database_url, procs):
    env = base_env(database_url, ORDERDESK_ENV="production", ALLOW_SQLITE="true" if BACKEND == "sqlite" else "false")
    port = free_port()
    server = procs.gunicorn("reloaded", port, env, workers=1)

    def boots() -> int:
        return procs.log(server).count("Booting worker")

    assert boots() == 1
    server.send_signal(signal.SIGHUP)  # gunicorn reloads its settings and replaces the worker
    deadline = time.monotonic() + 30
    while boots() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert boots() == 2
    time.sleep(1)  # the old worker has stopped
    ids = set()
    for _ in range(3):
        response = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert response.status_code == 200
        ids.add(response.headers["X-Request-ID"])
    time.sleep(0.5)
    lines = [json.loads(line) for line in procs.log(server).splitlines() if line.startswith("{")]
    logged = {line.get("request_id") for line in lines if line.get("logger") == "orderdesk.request"}
    assert ids <= logged
