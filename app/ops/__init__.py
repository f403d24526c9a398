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
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        # Behind N load balancers: the client's address (login throttling, logs) and
        # scheme come from their X-Forwarded-For / -Proto headers.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.cli.add_command(worker.worker_command)
    app.cli.add_command(jobs_cli.jobs_cli)
