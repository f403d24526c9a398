"""Pages and htmx fragments for reps, managers and admins."""

from flask import Blueprint, redirect

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    """Managers and admins start on the dashboard; reps on their orders."""
    from app.web.auth import start_page

    return redirect(start_page())


from app.web import auth, catalog, imports, invoices, jobs, orders, review, workbench  # noqa: E402,F401  (registers the routes)
