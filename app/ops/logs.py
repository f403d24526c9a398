"""One JSON line per request and per log record, each carrying the request id.

``X-Request-ID`` is taken from the client when it is a sane token (letters, digits and
``._:-``, at most 128 characters; a load balancer's id passes), otherwise generated; it
is returned on every response, shown on the 500 page and in problem+json bodies, and
stamped on every log record written while the request runs, so a user's report can be
matched to the log. The request line names the route template, never the query string
or the body: no passwords, tokens or email text reach the log."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
REQUEST_LOGGER = "orderdesk.request"
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The client's id when it is acceptable, else a fresh one."""
    if header and VALID_REQUEST_ID.fullmatch(header):
        return header
    return new_request_id()


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served (if any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, the record's
    ``extra`` fields, and for errors the exception and its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}" if record.exc_info[0] else None
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    handler.orderdesk = True  # type: ignore[attr-defined]
    return handler


def configure_logging(log_format: str, level: str) -> None:
    """Route every logger (the app's, SQLAlchemy's, gunicorn's if it propagates) to one
    stderr handler in the chosen format; safe to call again."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "orderdesk", False):
            root.removeHandler(handler)
    root.addHandler(make_handler(log_format))
    root.setLevel(level)


def configure_app_logging(app: Flask) -> None:
    """``configure_logging`` with the app's settings."""
    configure_logging(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))


_factory_installed = False


def install_record_factory() -> None:
    """Stamp the request id on every record when it is created, whichever handler
    (ours, gunicorn's, a test's) writes it."""
    global _factory_installed
    if _factory_installed:
        return
    _factory_installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    logging.setLogRecordFactory(factory)


def init_app(app: Flask) -> None:
    install_record_factory()
    if not app.testing:
        from flask.logging import default_handler

        configure_app_logging(app)
        app.logger.removeHandler(default_handler)
    # First of all before_request functions, so the id exists even when a later one refuses the request.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    _note_who_signed_in()


def _note_who_signed_in() -> None:
    """Remember the signed-in user's organization and id when the session loads them,
    before a commit in the view expires the object."""
    from app.extensions import login_manager

    load = getattr(login_manager, "_user_callback", None)
    if load is None or getattr(load, "notes_who", False):
        return

    def load_and_note(user_id: str):
        user = load(user_id)
        if user is not None:
            g.log_who = {"organization": user.organization_id, "user": user.id}
        return user

    load_and_note.notes_who = True  # type: ignore[attr-defined]
    login_manager.user_loader(load_and_note)


def _start() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    if g.get("request_id") is None:
        g.request_id = new_request_id()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    started = g.get("request_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    from app import metrics

    status = str(response.status_code)
    metrics.HTTP_REQUESTS.labels(request.method, route, status).inc()
    metrics.HTTP_LATENCY.labels(request.method, route, status).observe(duration)
    fields = {"method": request.method, "route": route, "status": response.status_code,
              "duration_ms": round(duration * 1000, 2), **_who()}
    logging.getLogger(REQUEST_LOGGER).info(
        "%s %s %s %.1fms", request.method, route, response.status_code, duration * 1000,
        extra=fields,
    )
    return response


def _who() -> dict[str, str]:
    """Organization and user id or token name: only what the request already loaded
    (never a query of its own)."""
    actor = g.get("actor")
    if actor is not None:
        return {"organization": actor.organization_id,
                **({"token": _token_name(actor.name)} if actor.token_id else {"user": actor.user_id or ""})}
    if "log_who" in g:
        return g.log_who
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        # What the user object already holds: reading an expired attribute would start
        # a query (and a transaction) after the view has finished.
        from sqlalchemy import inspect

        state = inspect(user, raiseerr=False)
        loaded = state.dict if state is not None else vars(user)
        user_id = state.identity[0] if state is not None and state.identity else loaded.get("id")
        return {k: v for k, v in (("organization", loaded.get("organization_id")), ("user", user_id)) if v}
    return {}


def _token_name(actor_name: str) -> str:
    match = re.fullmatch(r"API token “(.*)”", actor_name)
    return match.group(1) if match else actor_name
