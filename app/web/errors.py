"""Error pages in the app's style (a small fragment for htmx requests)."""

from __future__ import annotations

from flask import Response, g, render_template
from werkzeug.exceptions import HTTPException

from app.domain.errors import DomainError
from app.errors import status_for
from app.web.htmx import is_fragment_request

FRIENDLY = {
    403: ("You can't open this", "Your role does not allow this page."),
    404: ("Not found", "There is no such page or order, or it is not visible to you."),
    405: ("Not allowed", "This page does not accept that kind of request."),
    500: ("Something went wrong", "The error was logged. Please try again in a moment."),
}


def _page(status: int, title: str, detail: str) -> Response:
    title, detail = FRIENDLY.get(status, (title, detail)) if status in (404, 405, 500) else (title, detail)
    if is_fragment_request():
        html = render_template("errors/_message.html", status=status, title=title, detail=detail)
    else:
        try:
            html = render_template("errors/error.html", status=status, title=title, detail=detail)
        except Exception:  # noqa: BLE001 - the error page itself must never fail
            from markupsafe import escape

            html = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(detail)}</p>"
            if status >= 500 and g.get("request_id"):
                html += f"<p>Reference for support: <code>{escape(g.request_id)}</code></p>"
    return Response(html, status=status, mimetype="text/html")


def page_for_domain_error(exc: DomainError) -> Response:
    return _page(status_for(exc), exc.title, exc.detail)


def page_for_http_error(exc: HTTPException) -> Response:
    return _page(exc.code or 500, exc.name, exc.description or exc.name)
