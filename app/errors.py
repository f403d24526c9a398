"""The one place that maps domain errors to HTTP statuses, and the app-wide error
handlers: requests under /api get application/problem+json, pages get HTML."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from app.domain.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    StateLocked,
    ValidationFailed,
)

STATUS_FOR = (
    (ValidationFailed, 422),
    (NotFound, 404),
    (StateLocked, 409),
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

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        from werkzeug.exceptions import InternalServerError

        error = InternalServerError()
        if wants_problem_json():
            return problem_for_http_error(error)
        return page_for_http_error(error)
