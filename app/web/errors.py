"""Error pages for the browser side."""

from __future__ import annotations

from flask import Response
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from app.domain.errors import DomainError
from app.errors import status_for


def _page(status: int, title: str, detail: str) -> Response:
    html = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(detail)}</p>"
    return Response(html, status=status, mimetype="text/html")


def page_for_domain_error(exc: DomainError) -> Response:
    return _page(status_for(exc), exc.title, exc.detail)


def page_for_http_error(exc: HTTPException) -> Response:
    return _page(exc.code or 500, exc.name, exc.description or exc.name)
