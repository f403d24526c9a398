"""Pages and htmx fragments for reps, managers and admins."""

from flask import Blueprint

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    return "<!doctype html><title>Orderdesk</title><h1>Orderdesk</h1><p>The web UI is on its way; the JSON API lives under /api.</p>"
