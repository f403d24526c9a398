"""application/problem+json (RFC 9457) responses."""

from __future__ import annotations

from flask import Response
from werkzeug.exceptions import HTTPException

from app import jsonutil
from app.domain.errors import DomainError, ValidationFailed
from app.errors import status_for
from app.ops.logs import current_request_id
from app.shapes.problems import problem_body

PROBLEM_MIMETYPE = "application/problem+json"
AUTH_REALM = "orderdesk"


def problem(status: int, title: str, detail: str, *, errors: list | None = None) -> Response:
    """The problem (``app.shapes.problems``); with field errors, a validation problem."""
    body = problem_body(status, title, detail, errors)
    request_id = current_request_id()
    if request_id and status >= 500:
        # Every response carries X-Request-ID; a server error also names it in the body.
        body.setdefault("requestId", request_id)
    return Response(jsonutil.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)


def problem_for_domain_error(exc: DomainError) -> Response:
    errors = exc.errors if isinstance(exc, ValidationFailed) else None
    return problem(status_for(exc), exc.title, exc.detail, errors=errors)


def problem_for_http_error(exc: HTTPException) -> Response:
    response = problem(exc.code or 500, exc.name, exc.description or exc.name)
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def unauthorized(detail: str, *, error: str | None = None) -> Response:
    """401 with the RFC 6750 challenge: no error code when no credentials were sent,
    ``invalid_request`` for a malformed header, ``invalid_token`` for an unknown or
    revoked token."""
    response = problem(401, "Unauthorized", detail)
    challenge = f'Bearer realm="{AUTH_REALM}"'
    if error:
        challenge += f', error="{error}"'
    response.headers["WWW-Authenticate"] = challenge
    return response
