"""The per-token rate limit at the API's door: after the token is known, before the
view runs. Over the limit: 429 problem+json with ``Retry-After``; every API response
carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``."""

from __future__ import annotations

from flask import Response, current_app, g

from app import metrics
from app.api import bp
from app.api.problems import problem
from app.extensions import db
from app.services import ratelimit


def _limit() -> ratelimit.Limit | None:
    spec = current_app.config.get("API_RATE_LIMIT")
    cache = current_app.extensions.setdefault("orderdesk_rate_limit", {})
    if spec not in cache:
        cache[spec] = ratelimit.parse_limit(spec)
    return cache[spec]


@bp.before_request
def limit_per_token() -> Response | None:
    actor = g.get("actor")
    limit = _limit()
    if actor is None or actor.token_id is None or limit is None:
        return None
    decision = ratelimit.hit(db.session, actor.organization_id, actor.token_id, limit)
    g.rate_limit = decision
    if decision.allowed:
        return None
    metrics.RATE_LIMITED.inc()
    return problem(429, "Too Many Requests",
                   f"This API token may make {decision.limit} requests per {_per(limit)}; "
                   f"try again in {decision.reset_after} seconds.")


@bp.after_request
def rate_limit_headers(response: Response) -> Response:
    decision = g.get("rate_limit")
    if decision is not None:
        response.headers["RateLimit-Limit"] = str(decision.limit)
        response.headers["RateLimit-Remaining"] = str(decision.remaining)
        response.headers["RateLimit-Reset"] = str(decision.reset_after)
        if not decision.allowed:
            response.headers["Retry-After"] = str(decision.reset_after)
    return response


def _per(limit: ratelimit.Limit) -> str:
    names = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}
    return names.get(limit.seconds, f"{limit.seconds} seconds")
