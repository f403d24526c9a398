"""The JSON Orders API blueprint (``/api``): bearer-token auth, problem+json errors,
and its own OpenAPI description and reference page."""

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
# Bearer tokens, not cookies, authenticate API calls: there is no session to forge.
csrf.exempt(bp)

from app.api import auth, catalog, docs, openapi, orders  # noqa: E402,F401  (registers the routes)
from app.api import ratelimit as _ratelimit  # noqa: E402,F401  (after auth: the limit is per token)
from app.mail import api as _mail_api  # noqa: E402,F401  (POST /api/orders/{id}/email)
