"""Real processes for the operations tests: gunicorn servers and workers started on
free ports against the test database, always killed at teardown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def base_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERDESK_TEST", "PYTEST"))}
    env.update({
        "DATABASE_URL": database_url, "SECRET_KEY": "shared-test-secret", "ORDERDESK_ENV": "development",
        "LOG_FORMAT": "json", "PYTHONPATH": str(ROOT), "API_RATE_LIMIT": "off", "PYTHONUNBUFFERED": "1",
    })
    env.pop("SMTP_HOST", None)
    env.update(extra)
    return env


class Processes:
    """Every process a test starts, each in its own process group, stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        proc.log_file = out  # type: ignore[attr-defined]
        proc.log_path = self.logs / f"{name}.log"  # type: ignore[attr-defined]
        self.started.append(proc)
        return proc

    def gunicorn(self, name: str, port: int, env: dict[str, str], workers: int = 2,
                 extra: list[str] | None = None) -> subprocess.Popen:
        args = [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                "--workers", str(workers), "--threads", "4", *(extra or [])]
        env = {"PROMETHEUS_MULTIPROC_DIR": str(self.logs / f"{name}-metrics"), **env}
        proc = self.spawn(name, args, env)
        wait_until_up(f"http://127.0.0.1:{port}", proc)
        return proc

    def worker(self, name: str, env: dict[str, str], app: str = "app", extra: list[str] | None = None):
        args = [str(VENV_BIN / "flask"), "--app", app, "worker", "--min-sleep", "0.1", "--max-sleep", "0.5",
                *(extra or [])]
        return self.spawn(name, args, env)

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (a server with its workers, like a host dying)."""
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                self.kill(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.started:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.kill(proc, signal.SIGKILL)
                proc.wait(timeout=5)
            # Workers of a server whose master died may linger in its group.
            self.kill(proc, signal.SIGKILL)
            proc.log_file.close()

    def log(self, proc: subprocess.Popen) -> str:
        proc.log_file.flush()
        return proc.log_path.read_text(errors="replace")


def wait_until_up(base: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {proc.log_path.read_text()[-3000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server at {base} did not come up")


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")
