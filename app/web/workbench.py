"""The orders list as a workbench: bulk actions on the selected orders (or on every
order the search matches) run as background jobs, and saved views of the list.
Views translate HTTP to the services (``services.bulk``, ``services.views``) and back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from urllib.parse import urlencode

from flask import Response, request, stream_with_context, url_for

from app.domain.errors import FieldError, ValidationFailed
from app.extensions import db
from app.services import bulk as bulk_service
from app.services import views as view_service
from app.web import bp
from app.web.auth import current_actor, role_required
from app.web.download import content_disposition
from app.web.htmx import redirect_to
from app.web.orders import search_params, view_state


def _checked(exc: ValidationFailed, what: str) -> ValidationFailed:
    """The same errors, with a detail a person reads on the error page."""
    return ValidationFailed(exc.errors, detail=f"Check the {what}: " + "; ".join(
        f"{e.field}: {e.message}" for e in exc.errors))


# --------------------------------------------------------------------------- bulk actions


@bp.post("/orders/bulk")
@role_required("manager", "admin")
def bulk_start():
    """Queue the bulk action and go to its progress page (a repeated submit of the same
    form lands on the same job)."""
    form = request.form
    view = view_state(form)
    everything = form.get("all") == "1"
    try:
        job = bulk_service.start(
            db.session, current_actor(), form.get("action", ""), key=form.get("token", ""),
            order_ids=None if everything else form.getlist("id"),
            search=search_params(view) if everything else None,
            target=form.get("target") or None, reason=form.get("reason"),
        )
    except ValidationFailed as exc:
        raise _checked(exc, "bulk action") from exc
    return redirect_to(url_for("web.job_page", job_id=job.id))


@bp.get("/orders/bulk/<job_id>/outcomes.csv")
@role_required("manager", "admin")
def bulk_outcomes(job_id: str):
    """Every order of a bulk action with what was done or refused and why."""
    rows = bulk_service.outcomes(db.session, current_actor(), job_id)
    first = next(rows, None)  # a job of another organization is a 404 before streaming starts

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["#", "Order #", "Outcome", "Why"])
        if first is not None:
            writer.writerow(first)
        for n, row in enumerate(rows):
            writer.writerow(row)
            if n % 1000 == 999:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(lines()), mimetype="text/csv", headers={
        "Content-Disposition": content_disposition(f"bulk-{job_id[:8]}.csv")})


# --------------------------------------------------------------------------- saved views


def _list_state(source) -> tuple[dict[str, str], tuple[str, ...]]:
    """The list's state (search, filters, sort) and its columns, from a form or the URL."""
    state = {k: v for k, v in view_state(source).items() if k not in ("page", "view", "cols")}
    return state, view_service.parse_columns(source.get("cols"))


def view_url(view) -> str:
    """The orders list as the view shows it, marked as this view (so it can be updated)."""
    state = dict(view.state)
    if list(view.columns) != list(view_service.DEFAULT_COLUMNS):
        state["cols"] = ",".join(view.columns)
    state["view"] = view.id
    return url_for("web.orders") + "?" + urlencode(state)


@bp.post("/orders/views")
@role_required()
def view_create():
    state, columns = _list_state(request.form)
    try:
        view = view_service.create_view(db.session, current_actor(), request.form.get("name"), state, columns,
                                        shared=request.form.get("shared") == "1")
    except ValidationFailed as exc:
        raise _checked(exc, "view") from exc
    return redirect_to(view_url(view))


@bp.get("/orders/views/<view_id>")
@role_required()
def view_open(view_id: str):
    """A saved view by its own URL: the list with the view's search, filters, sort and columns."""
    view = view_service.get_view(db.session, current_actor(), view_id)
    return redirect_to(view_url(view))


@bp.post("/orders/views/<view_id>")
@role_required()
def view_change(view_id: str):
    """``op``: ``update`` (to the list's current state), ``rename`` (to ``name``) or ``delete``."""
    actor = current_actor()
    op = request.form.get("op")
    try:
        if op == "update":
            state, columns = _list_state(request.form)
            view = view_service.update_view(db.session, actor, view_id, state, columns)
        elif op == "rename":
            view = view_service.rename_view(db.session, actor, view_id, request.form.get("name"))
        elif op == "delete":
            view_service.delete_view(db.session, actor, view_id)
            return redirect_to(url_for("web.orders"))
        else:
            view_service.get_view(db.session, actor, view_id)  # an unknown view is a 404 first
            raise ValidationFailed([FieldError("op", "must be update, rename or delete")])
    except ValidationFailed as exc:
        raise _checked(exc, "view") from exc
    return redirect_to(view_url(view))
