"""The printable confirmation: one HTML template for the browser's print view and for
the PDF (WeasyPrint), and a cache so an unchanged order's PDF is never rendered twice.

The cache key is a fingerprint of everything the document shows: the order's content,
the organization's branding and locale, and the template and stylesheet themselves."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import render_template
from sqlalchemy.orm import Session

from app.config import ROOT
from app.db.models import Order, Organization, RenderedDocument, utcnow
from app.mail.context import accent_colour, confirmation_values, logo_data_uri
from app.services.present import order_to_dict

KIND = "confirmation"
TEMPLATE = "pdf/confirmation.html"
PARTS = "pdf/_document.html"  # what the confirmation shares with the invoice
STYLESHEET = "pdf/confirmation.css"
logging.getLogger("fontTools").setLevel(logging.WARNING)
logging.getLogger("weasyprint").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Pdf:
    content: bytes
    fingerprint: str
    filename: str


@lru_cache(maxsize=1)
def _template_digest() -> str:
    """A digest of the document's own template, its shared parts and stylesheet:
    editing any of them invalidates every cached PDF."""
    digest = hashlib.sha256()
    for name in (TEMPLATE, PARTS, STYLESHEET):
        digest.update((ROOT / "templates" / name).read_bytes())
    return digest.hexdigest()


def fingerprint(order: Order, org: Organization) -> str:
    """sha256 over the order's content, the branding and locale, and the template."""
    branding = {
        "name": org.display_name, "address": org.brand_address, "accent": org.brand_accent_color,
        "locale": org.locale, "logo": hashlib.sha256(org.brand_logo or b"").hexdigest(),
        "logo_mime": org.brand_logo_mime,
    }
    content = order_to_dict(order, org)
    payload = json.dumps([content, branding, _template_digest()], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def stylesheet(org: Organization) -> str:
    """The confirmation's CSS with the organization's accent colour filled in."""
    return render_template(STYLESHEET, accent=accent_colour(org))


def render_html(order: Order, org: Organization, *, for_print_view: bool, logo_src: str | None = None,
                stylesheet_href: str | None = None, extra: dict[str, Any] | None = None) -> str:
    """The confirmation document as HTML (autoescaped; values are plain strings)."""
    return render_template(
        TEMPLATE, doc=confirmation_values(order, org), for_print_view=for_print_view,
        logo_src=logo_src, stylesheet_href=stylesheet_href, **(extra or {}),
    )


def pdf_filename(order: Order) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in order.order_number)
    return f"{safe or 'order'}-confirmation.pdf"


def render_pdf(order: Order, org: Organization) -> bytes:
    """Render the PDF with WeasyPrint (no network: only the data: URI logo is loaded)."""
    from weasyprint import CSS, HTML

    html = render_html(order, org, for_print_view=False, logo_src=logo_data_uri(org))
    return HTML(string=html, base_url=str(ROOT)).write_pdf(stylesheets=[CSS(string=stylesheet(org))])


def confirmation_pdf(session: Session, order: Order, org: Organization) -> Pdf:
    """The order's PDF from the cache when its fingerprint matches, else rendered and stored."""
    key = fingerprint(order, org)
    cached = session.get(RenderedDocument, (order.id, KIND))
    if cached is not None and cached.fingerprint == key:
        return Pdf(cached.content, key, pdf_filename(order))
    content = render_pdf(order, org)
    _store(session, order.id, key, content)
    return Pdf(content, key, pdf_filename(order))


def _store(session: Session, order_id: str, key: str, content: bytes) -> None:
    """Upsert the cache row; the caller commits (inside ``run_in_transaction``, so a
    concurrent first render of the same order retries and then updates)."""
    row = session.get(RenderedDocument, (order_id, KIND))
    if row is None:
        session.add(RenderedDocument(order_id=order_id, kind=KIND, fingerprint=key, content=content,
                                     created_at=utcnow()))
    else:
        row.fingerprint, row.content, row.created_at = key, content, utcnow()
    session.flush()
