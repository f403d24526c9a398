"""The plain values a confirmation is rendered from.

Templates (ours and the organization's) only ever see dicts, lists and strings built
here, never ORM objects, so a template cannot reach anything but these values."""

from __future__ import annotations

import base64
import io
import re
from datetime import datetime
from typing import Any

from babel.dates import format_date
from PIL import Image

from app.db.models import Order, Organization
from app.domain.money import format_money
from app.domain.orders import full_name

DEFAULT_ACCENT = "#1f4e79"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"}


def accent_colour(org: Organization) -> str:
    """The organization's accent colour if it is a #rrggbb value, else the default."""
    value = (org.brand_accent_color or "").strip()
    return value if _HEX.match(value) else DEFAULT_ACCENT


def usable_logo(org: Organization) -> bool:
    """A logo of a supported type whose bytes decode (a broken image must not break the PDF)."""
    if not org.brand_logo or (org.brand_logo_mime or "") not in LOGO_TYPES:
        return False
    if org.brand_logo_mime == "image/svg+xml":
        return org.brand_logo.lstrip()[:1] == b"<"
    try:
        with Image.open(io.BytesIO(org.brand_logo)) as image:
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False
    return True


def logo_data_uri(org: Organization) -> str | None:
    """The logo as a data: URI (only image types a browser and WeasyPrint can show)."""
    if not usable_logo(org):
        return None
    return f"data:{org.brand_logo_mime};base64,{base64.b64encode(org.brand_logo).decode('ascii')}"


def address_lines(address: dict[str, Any] | None) -> list[str]:
    """An address as printable lines: street lines, then 'city, state zip', then country."""
    if not address:
        return []
    get = lambda key: str(address.get(key) or "").strip()  # noqa: E731
    city_line = ", ".join(p for p in (get("city"), " ".join(p for p in (get("stateProvince"), get("zipPostalCode")) if p)) if p)
    lines = [get("address1"), get("address2"), city_line, get("country")]
    return [line for line in lines if line]


def _date(value: datetime | None, locale: str) -> str:
    return format_date(value, format="medium", locale=locale) if value else ""


def _rep(number: str | None, first: str | None, last: str | None, email: str | None) -> dict[str, str]:
    return {"number": number or "", "name": full_name(first, last) or number or "", "email": email or ""}


def organization_values(org: Organization) -> dict[str, Any]:
    return {
        "name": org.display_name,
        "address_lines": [line for line in (org.brand_address or "").splitlines() if line.strip()],
        "accent": accent_colour(org),
        "reply_to": org.reply_to_email or "",
    }


def confirmation_values(order: Order, org: Organization) -> dict[str, Any]:
    """Everything a confirmation shows, as plain strings (money formatted in the
    organization's locale and the order's currency)."""
    cur, loc = order.currency_code, org.locale or "en_US"

    def fmt(value) -> str:
        return format_money(value, cur, loc) or ""

    items = [
        {
            "line": index, "sku": line.sku, "name": line.product_name, "quantity": str(line.quantity),
            "price": fmt(line.price), "discount": fmt(line.discount_amount) if line.discount_amount else "",
            "subtotal": fmt(line.sub_total),
        }
        for index, line in enumerate(order.items, start=1)
    ]
    return {
        "organization": organization_values(org),
        "order": {
            "id": order.id, "number": order.order_number, "date": _date(order.order_date, loc),
            "updated": _date(order.updated_at, loc), "status": order.order_status, "type": order.order_type,
            "po_number": order.po_number, "terms": order.terms or "", "channel": order.channel or "",
            "price_tier": order.price_tier, "currency": cur, "notes": order.notes or "",
            "shipping_method": order.shipping_method or "",
            "subtotal": fmt(order.subtotal), "shipping": fmt(order.shipping_total), "tax": fmt(order.tax),
            "discount": fmt(order.discount_amount), "has_discount": bool(order.discount_amount),
            "total": fmt(order.order_total), "item_count": str(len(items)),
            "has_line_discounts": any(line.discount_amount for line in order.items),
        },
        "customer": {
            "number": order.customer_number, "name": order.company_name, "email": order.company_email or "",
            "phone": order.company_phone or "", "fax": order.company_fax or "",
            "billing_lines": address_lines(order.billing_address),
            "shipping_lines": address_lines(order.shipping_address),
        },
        "rep": _rep(order.primary_rep_number, order.primary_rep_first_name, order.primary_rep_last_name,
                    order.primary_rep_email),
        "taken_by": _rep(order.taken_by_rep_number, order.taken_by_rep_first_name,
                         order.taken_by_rep_last_name, order.taken_by_rep_email),
        "lines": items,
    }

