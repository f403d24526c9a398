"""Running the app as a service: request ids and JSON logs, health and readiness,
Prometheus metrics, static files with long-lived cache headers, and the worker."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.ops import jobs_cli, logs, replica, static, web, worker

    logs.init_app(app)
    web.init_app(app)
    replica.init_app(app)
    static.init_app(app)
    app.cli.add_command(worker.worker_command)
    app.cli.add_command(jobs_cli.jobs_cli)
