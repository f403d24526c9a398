"""Bearer-token authentication for every API endpoint except the public description.

``Authorization: Bearer <secret>`` → the token's organization becomes the actor of the
request (``g.actor``); a missing, unknown, expired or revoked token answers 401, and a read-only
token's write answers 403."""

from __future__ import annotations

from flask import Response, g, request

from app.api import bp
from app.api.problems import problem, unauthorized
from app.extensions import db
from app.security import client_address
from app.services import accounts
from app.services.context import Actor

# Endpoints anyone may read: the OpenAPI document and the reference page.
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document", "api.reference"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_secret(header: str | None) -> str | None:
    """The secret of an ``Authorization: Bearer <secret>`` header (scheme is case-insensitive)."""
    if not header:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    secret = secret.strip()
    return secret or None


@bp.before_request
def require_bearer_token() -> Response | None:
    """Resolve the bearer token to an actor before any non-public API view runs."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization")
    secret = bearer_secret(header)
    if secret is None:
        if not header:
            return unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
        return unauthorized(
            "The Authorization header must be 'Bearer <token>'.", error="invalid_request"
        )
    token = accounts.authenticate_token(db.session, secret, client_address())
    if token is None:
        return unauthorized("The API token is unknown, expired or revoked.", error="invalid_token")
    g.actor = accounts.actor_for_token(token)
    if g.actor.read_only and request.method not in READ_METHODS:
        return problem(403, "Forbidden", f"The API token “{token.name}” is read-only: it may read (GET) "
                                         "but not create or change anything.")
    return None


def current_actor() -> Actor:
    """The actor resolved by :func:`require_bearer_token` for this request."""
    return g.actor
