"""The one place that maps domain errors to HTTP statuses, and the app-wide error
handlers: requests under /api get application/problem+json, pages get HTML."""

from __future__ import annotations

from flask import Flask, g, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from app.domain.errors import (
    AmountsConflict,
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    StateLocked,
    ValidationFailed,
    VersionConflict,
)

STATUS_FOR = (
    (AmountsConflict, 409),
    (ValidationFailed, 422),
    (NotFound, 404),
    (StateLocked, 409),
    (VersionConflict, 412),
    (Conflict, 409),
    (PermissionDenied, 403),
)


def status_for(exc: DomainError) -> int:
    for kind, status in STATUS_FOR:
        if isinstance(exc, kind):
            return status
    return 400


def wants_problem_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    from app.api.problems import problem_for_domain_error, problem_for_http_error
    from app.web.errors import page_for_domain_error, page_for_http_error

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if wants_problem_json():
            return problem_for_domain_error(exc)
        return page_for_domain_error(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if wants_problem_json():
            return problem_for_http_error(exc)
        return page_for_http_error(exc)

    @app.errorhandler(DBAPIError)
    def _database(exc: DBAPIError):
        """A connection that broke under a read is retried once on a fresh one (pooled
        connections are pre-pinged, so this is a connection lost mid-request); otherwise,
        or if that fails too, the database is unavailable: 503, not a 500."""
        from werkzeug.exceptions import ServiceUnavailable

        from app.extensions import db

        db.session.rollback()
        if exc.connection_invalidated and request.method in ("GET", "HEAD") and not g.get("_db_retried"):
            g._db_retried = True
            app.logger.warning("Database connection lost on %s %s; retrying once", request.method, request.path)
            try:
                return app.ensure_sync(app.view_functions[request.endpoint])(**(request.view_args or {}))
            except DBAPIError as again:
                db.session.rollback()
                exc = again
            except Exception as other:  # noqa: BLE001 - answered by its own handler (404, 403 …)
                return app.handle_user_exception(other)
        if not exc.connection_invalidated:
            return _unexpected(exc)
        app.logger.error("Database connection lost on %s %s", request.method, request.path)
        error = ServiceUnavailable("The database is not reachable right now. Please try again in a moment.")
        response = problem_for_http_error(error) if wants_problem_json() else page_for_http_error(error)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        from werkzeug.exceptions import InternalServerError

        error = InternalServerError()
        if wants_problem_json():
            return problem_for_http_error(error)
        return page_for_http_error(error)
