"""The one place that knows how htmx talks to the server.

A fragment request is an htmx request that is neither a boosted navigation nor a
history restore (those want the whole page). Responses that serve both carry
``Vary: HX-Request`` (added for every HTML response in ``app.security``)."""

from __future__ import annotations

from flask import Response, request


def is_fragment_request() -> bool:
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def redirect_to(location: str, **headers: str) -> Response:
    """Go to ``location``: htmx follows ``HX-Redirect`` from a 204; a plain form gets a 303."""
    if is_fragment_request():
        return Response(status=204, headers={"HX-Redirect": location, **headers})
    return Response(status=303, headers={"Location": location})
