"""gunicorn settings for Orderdesk (``scripts/serve`` runs ``gunicorn -c gunicorn.conf.py``).

Every value can be set from the environment; the defaults suit one host behind a load
balancer. Under gunicorn the app runs in production mode unless ORDERDESK_ENV says
otherwise, and the master refuses to start (before forking any worker) without
SECRET_KEY, or on SQLite unless ALLOW_SQLITE=true."""

from __future__ import annotations

import multiprocessing
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


from app.config import env_bool, env_int  # noqa: E402  (the app's own reading of its settings)

os.environ.setdefault("ORDERDESK_ENV", "production")
os.environ.setdefault("LOG_FORMAT", "json")

# Metrics of all workers add up: each writes its own files here (set before any
# worker imports prometheus_client). Cleared when the master starts.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="orderdesk-metrics-")

wsgi_app = "app:create_app()"
bind = [os.environ.get("BIND") or f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]

# Processes from the core count (or WEB_CONCURRENCY), each with a few threads: requests
# wait on PostgreSQL and SMTP more than on the CPU.
workers = env_int("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = env_int("GUNICORN_THREADS", 4)

# A request taking longer than this is killed (its worker restarts); the load balancer's
# own timeout should be a little longer. On SIGTERM, workers finish the requests they
# have for up to graceful_timeout seconds before they are stopped.
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than the load balancer's idle timeout, so it never reuses a closed connection.
keepalive = env_int("GUNICORN_KEEPALIVE", 75)
# Workers are replaced now and then (jittered so they do not all restart at once).
max_requests = env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The master loads the app once and each worker is forked from it: a replaced worker
# serves at once instead of spending about two seconds of CPU importing the app again,
# and the workers share the loaded code's memory. The master never opens a database
# connection (post_fork makes sure none is inherited). Code changes need a full restart.
preload_app = env_bool("GUNICORN_PRELOAD", True)
limit_request_line = 8190

# gunicorn's own messages go to stderr as JSON lines, like the app's. The app writes one
# JSON line per request itself (with the route, organization and user that gunicorn
# cannot see); gunicorn's access log is off unless GUNICORN_ACCESS_LOG names a file or "-".
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = ('{"time":"%(t)s","remote":"%(h)s","request":"%(r)s","status":%(s)s,'
                     '"bytes":"%(B)s","duration_us":%(D)s,"request_id":"%({x-request-id}o)s"}')
if os.environ["LOG_FORMAT"] == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.ops.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        # The app adds its own root handler in each worker; none here, or its lines would double.
        "root": {"level": loglevel.upper(), "handlers": []},
        "loggers": {
            "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["stderr"] if accesslog else [],
                                "level": "INFO" if accesslog else "CRITICAL", "propagate": False},
        },
    }

# Behind a load balancer: which addresses may set X-Forwarded-Proto (the app's
# TRUSTED_PROXIES decides whose X-Forwarded-For gives the client's address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "orderdesk-web"
# gunicorn's control socket defaults to one path per user, which two servers on a host
# would share: off unless GUNICORN_CONTROL_SOCKET names a path for this server.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


def on_starting(server) -> None:
    from app.config import PRODUCTION, production_problems

    problems = production_problems()
    if problems:
        sys.exit("Refusing to start in production: " + "; ".join(problems))
    if os.environ.get("ORDERDESK_ENV") != PRODUCTION and not os.environ.get("SECRET_KEY"):
        # Development: one random key for all workers, so a session works on each of
        # them (a preloaded app has already drawn its own, which the workers share).
        os.environ["SECRET_KEY"] = secrets.token_hex(32)
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)


def post_fork(server, worker) -> None:
    """With the app preloaded: no pooled database connection crosses the fork, and the
    app's log handler is in place (a HUP reconfigures gunicorn's logging in the master,
    which drops the root handler the app added when it loaded)."""
    if not server.cfg.preload_app:
        return
    app = worker.app.wsgi()
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return
    from app.extensions import db
    from app.ops import logs, replica

    with app.app_context():
        for engine in [*db.engines.values(), app.extensions.get(replica.ENGINE_KEY)]:
            if engine is not None:
                engine.dispose(close=False)
    if not app.testing:
        logs.configure_app_logging(app)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
