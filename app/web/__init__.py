"""Pages and htmx fragments for reps, managers and admins."""

from flask import Blueprint, redirect, url_for

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    return redirect(url_for("web.orders"))


from app.web import auth, catalog, imports, jobs, orders  # noqa: E402,F401  (registers the routes)
