"""Bearer-token authentication for every API endpoint except the public description.

``Authorization: Bearer <secret>`` → the token's organization becomes the actor of the
request (``g.actor``); a missing, unknown or revoked token answers 401."""

from __future__ import annotations

from flask import Response, g, request

from app.api import bp
from app.api.problems import unauthorized
from app.extensions import db
from app.services import accounts
from app.services.context import Actor

# Endpoints anyone may read: the OpenAPI document and the reference page.
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document", "api.reference"})


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
    token = accounts.authenticate_token(db.session, secret)
    if token is None:
        return unauthorized("The API token is unknown or has been revoked.", error="invalid_token")
    g.actor = accounts.actor_for_token(token)
    return None


def current_actor() -> Actor:
    """The actor resolved by :func:`require_bearer_token` for this request."""
    return g.actor
