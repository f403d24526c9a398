"""An optional read replica (``DATABASE_REPLICA_URL``) for the heavy reads that may be
a moment behind the primary: today the orders CSV export (and the manager dashboard
when it exists). The request itself (sign-in and session checks, permissions, building
the query) runs on the primary; the SELECTs its streamed body runs go to the replica.
Every other request, and every write, uses ``DATABASE_URL``."""

from __future__ import annotations

from functools import wraps

from flask import Flask, current_app, has_request_context, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine

from app.config import normalise_database_url

REPLICA_ENDPOINTS = ("web.orders_csv",)
ENVIRON_KEY = "orderdesk.read_replica"
ENGINE_KEY = "orderdesk_replica_engine"


class RoutingSession(FlaskSession):
    """The app's session class: the primary, except in a request marked for the replica."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (bind is None and getattr(clause, "is_select", False) and has_request_context()
                and request.environ.get(ENVIRON_KEY)):
            engine = current_app.extensions.get(ENGINE_KEY)
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    engine = create_engine(normalise_database_url(url), **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}))
    app.extensions[ENGINE_KEY] = engine
    for endpoint in REPLICA_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = _on_replica(view)


def _on_replica(view):
    @wraps(view)
    def on_replica(*args, **kwargs):
        response = current_app.make_response(view(*args, **kwargs))
        if response.is_streamed:
            environ, body = request.environ, response.response

            def read_from_replica():
                environ[ENVIRON_KEY] = True
                yield from body

            response.response = read_from_replica()
        return response

    return on_replica
