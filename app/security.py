"""Response headers for every page: a Content-Security-Policy with no inline or
third-party scripts, and ``Vary: HX-Request`` since one URL may serve a page or a fragment."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from flask import Flask, Response, abort, current_app, g, request, session

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # Inline style attributes only (htmx settles them; print views set the brand colour).
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def _has_nul(values) -> bool:
    return any("\x00" in v for v in values if isinstance(v, str))


def _is_private() -> bool:
    """Whether this request was made by a signed-in user or with an API token."""
    if request.endpoint == "static":
        return False
    if request.path.startswith("/api/") or "Authorization" in request.headers:
        return True
    user = g.get("_login_user")
    return bool(user is not None and user.is_authenticated) or "_user_id" in session


def register_security_headers(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_characters():
        """A NUL character in a page's URL or form is never meaningful, and PostgreSQL
        rejects it in text: answer 400 at the door instead of failing deep inside.
        (The JSON API validates its own input and names the field.)"""
        if request.path.startswith("/api/"):
            return None
        form = request.form.listvalues() if request.mimetype in FORM_TYPES else ()
        if _has_nul((request.view_args or {}).values()) or _has_nul(
                v for values in request.args.listvalues() for v in values) or _has_nul(
                v for values in form for v in values):
            abort(400, "The request contains a NUL character.")
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.vary.add("HX-Request")
        if _is_private():
            # Pages behind sign-in, exports and API answers are never kept by a browser
            # or a shared cache.
            response.headers["Cache-Control"] = "no-store"
        return response


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)
    except ValueError as exc:
        raise RuntimeError(f"TRUSTED_PROXIES has an entry that is not an address or network: {exc}") from exc


def _within(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address() -> str:
    """The client's address: the peer's, unless the peer is a configured trusted proxy;
    then the nearest X-Forwarded-For hop that is not itself a trusted proxy. A client
    cannot choose its address by sending the header itself."""
    peer = request.remote_addr or "unknown"
    networks = _networks(tuple(current_app.config.get("TRUSTED_PROXIES") or ()))
    if not networks or not _within(peer, networks):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer
        if not _within(hop, networks):
            return hop
    return hops[0] if hops else peer
