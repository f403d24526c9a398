"""An admin runs the organization: its profile (name, addresses, time zone, locale,
currencies, order-number prefix) and the lists the product draws on. Every change is
checked, applied under a lock on the organization's row (two admins cannot overwrite
each other's list edits), and written to the audit log with old → new."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.models import Customer, Order, Organization, Product, ProductPrice
from app.domain import money
from app.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.domain.orders import email_problem
from app.domain.settings import KINDS, MAX_PENDING_DAYS, ReviewSettings, parse_percent
from app.services import audit, summaries
from app.services.context import ADMIN, Actor

PROFILE_FIELDS = ("brand_display_name", "brand_address", "reply_to_email", "time_zone", "locale",
                  "default_currency", "currencies", "order_number_prefix", "invoice_number_prefix")
DEFAULT_INVOICE_PREFIX = "INV-"
MAX_CURRENCIES = 20
ORDER_COLUMN = {"priceTier": Order.price_tier, "terms": Order.terms, "shippingMethod": Order.shipping_method,
                "channel": Order.channel, "orderType": Order.order_type}
LIST_OPS = ("add", "rename", "retire", "restore", "remove", "up", "down")


def require_admin(actor: Actor) -> None:
    if actor.role != ADMIN:
        raise PermissionDenied("Only an admin can change the organization's settings.")


def _locked_org(session: Session, actor: Actor) -> Organization:
    org = session.scalar(select(Organization).where(Organization.id == actor.organization_id).with_for_update())
    if org is None:
        raise NotFound("No such organization.")
    return org


@cache
def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def profile(org: Organization) -> dict[str, Any]:
    return {name: getattr(org, name) for name in PROFILE_FIELDS}


def update_profile(session: Session, actor: Actor, values: Mapping[str, Any]) -> Organization:
    """Save the organization's profile. The order-number prefix applies to numbers
    handed out from now on; existing orders keep theirs."""
    require_admin(actor)
    org = _locked_org(session, actor)
    before = profile(org)
    clean, errors = _checked_profile(values)
    if errors:
        raise ValidationFailed(errors)
    zone = org.time_zone
    for name, value in clean.items():
        setattr(org, name, value)
    if org.time_zone != zone:
        # The dashboard's summaries are by local day: a background job counts them again
        # in the new zone (too long for a request at a million orders).
        summaries.request_rebuild(session, actor)
    changes = audit.diff(before, profile(org))
    if changes:
        audit.record(session, actor, "settings.profile", "Organization profile", changes)
    session.commit()
    return org


def _checked_profile(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    text = {k: " ".join(str(values.get(k) or "").split()) for k in ("brand_display_name", "reply_to_email",
                                                                    "time_zone", "locale", "default_currency",
                                                                    "order_number_prefix", "invoice_number_prefix")}
    address = str(values.get("brand_address") or "").replace("\r\n", "\n").strip()
    if len(text["brand_display_name"]) > 200:
        errors.append(FieldError("brand_display_name", "must be at most 200 characters"))
    if len(address) > 1000:
        errors.append(FieldError("brand_address", "must be at most 1,000 characters"))
    if text["reply_to_email"] and (problem := email_problem(text["reply_to_email"])):
        errors.append(FieldError("reply_to_email", problem))
    if text["time_zone"] not in time_zones():
        errors.append(FieldError("time_zone", "must be a time zone such as Europe/Berlin or America/New_York"))
    if not money.is_locale(text["locale"]):
        errors.append(FieldError("locale", f"{text['locale']!r} is not a known locale (such as en_US or de_DE)"))
    currency = text["default_currency"].upper()
    if not money.is_currency(currency):
        errors.append(FieldError("default_currency", f"{currency!r} is not an ISO 4217 currency code"))
    raw = values.get("currencies") or []
    codes = [c.strip().upper() for c in (raw.split(",") if isinstance(raw, str) else raw) if c and c.strip()]
    bad = [c for c in codes if not money.is_currency(c)]
    if bad:
        errors.append(FieldError("currencies", f"not ISO 4217 currency codes: {', '.join(bad)}"))
    if len(codes) > MAX_CURRENCIES:
        errors.append(FieldError("currencies", f"at most {MAX_CURRENCIES} currencies"))
    prefix = text["order_number_prefix"]
    if not prefix or len(prefix) > 12:
        errors.append(FieldError("order_number_prefix", "must be 1 to 12 characters"))
    elif any(ch.isspace() or ord(ch) < 32 for ch in prefix):
        errors.append(FieldError("order_number_prefix", "must not contain spaces or control characters"))
    invoice_prefix = text["invoice_number_prefix"] or DEFAULT_INVOICE_PREFIX
    if len(invoice_prefix) > 12:
        errors.append(FieldError("invoice_number_prefix", "must be 1 to 12 characters"))
    elif any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in invoice_prefix):
        errors.append(FieldError("invoice_number_prefix", "must not contain spaces or control characters"))
    extra = list(dict.fromkeys(c for c in codes if c != currency))
    clean = {**text, "brand_display_name": text["brand_display_name"] or None,
             "reply_to_email": text["reply_to_email"].lower() or None, "brand_address": address or None,
             "default_currency": currency, "currencies": extra, "invoice_number_prefix": invoice_prefix}
    return clean, errors


# --------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class ListRow:
    name: str
    days: int | None
    retired: bool
    orders: int


def list_rows(session: Session, org: Organization, kind: str) -> list[ListRow]:
    """A list's entries with how many orders carry each (one GROUP BY)."""
    column = ORDER_COLUMN[kind]
    counts = dict(session.execute(
        select(column, func.count()).where(Order.organization_id == org.id, column.is_not(None)).group_by(column)
    ).all())
    return [ListRow(e.name, e.days, e.retired, counts.get(e.name, 0)) for e in org.settings_lists.all(kind)]


def change_list(session: Session, actor: Actor, kind: str, op: str, name: str = "", new_name: str = "",
                days: Any = None) -> Organization:
    """Add, rename, retire, restore, remove or move an entry of a list. Renaming a price
    tier renames it on the catalog's prices and the customers' defaults (orders keep the
    name they were placed with); an entry still used anywhere cannot be removed, only retired."""
    require_admin(actor)
    if kind not in KINDS:
        raise ValidationFailed([FieldError("kind", f"must be one of {', '.join(KINDS)}")])
    if op not in LIST_OPS:
        raise ValidationFailed([FieldError("op", f"must be one of {', '.join(LIST_OPS)}")])
    org = _locked_org(session, actor)
    lists = org.settings_lists
    target = f"{KINDS[kind]}: {name or new_name}"
    if op == "add":
        lists = lists.add(kind, new_name or name, days)
        added = lists.all(kind)[-1]
        changes = {"added": added.name} | ({"days": added.days} if added.days is not None else {})
    elif op == "rename":
        old = lists.find(kind, name)
        lists = lists.rename(kind, name, new_name, days)
        new = lists.find(kind, new_name)
        changes = audit.diff({"name": old.name if old else name, "days": old.days if old else None},
                             {"name": new.name, "days": new.days})
        if old is not None and new.name != old.name:
            _rename_references(session, org.id, kind, old.name, new.name)
    elif op in ("retire", "restore"):
        lists = lists.set_retired(kind, name, op == "retire")
        changes = {"retired": [op == "restore", op == "retire"]}
    elif op == "remove":
        entry = lists.find(kind, name)
        used = _uses(session, org.id, kind, entry.name) if entry else 0
        if used:
            raise ValidationFailed([FieldError("name", f"{entry.name!r} is used by {used} order"
                                                       f"{'s' if used != 1 else ''} or records; retire it instead")])
        lists = lists.remove(kind, name)
        changes = {"removed": name}
    else:
        lists = lists.move(kind, name, -1 if op == "up" else 1)
        changes = {"moved": op}
    org.lists = lists.to_json()
    audit.record(session, actor, f"settings.{kind}.{op}", target, changes)
    session.commit()
    return org


def _uses(session: Session, org_id: str, kind: str, name: str) -> int:
    column = ORDER_COLUMN[kind]
    used = session.scalar(select(func.count()).select_from(Order)
                          .where(Order.organization_id == org_id, column == name)) or 0
    if kind == "priceTier":
        used += session.scalar(select(func.count()).select_from(ProductPrice).where(
            ProductPrice.product_id.in_(_org_products(org_id)), ProductPrice.price_tier == name)) or 0
    if kind in ("priceTier", "terms"):
        field = Customer.default_price_tier if kind == "priceTier" else Customer.default_terms
        used += session.scalar(select(func.count()).select_from(Customer).where(
            Customer.organization_id == org_id, field == name)) or 0
    return used


def _org_products(org_id: str):
    return select(Product.id).where(Product.organization_id == org_id)


def _rename_references(session: Session, org_id: str, kind: str, old: str, new: str) -> None:
    if kind == "priceTier":
        session.execute(update(ProductPrice).where(ProductPrice.product_id.in_(_org_products(org_id)),
                                                   ProductPrice.price_tier == old).values(price_tier=new))
        session.execute(update(Customer).where(Customer.organization_id == org_id,
                                               Customer.default_price_tier == old).values(default_price_tier=new))
    elif kind == "terms":
        session.execute(update(Customer).where(Customer.organization_id == org_id,
                                               Customer.default_terms == old).values(default_terms=new))



# --------------------------------------------------------------------------- review rules


def review_settings(org: Organization) -> ReviewSettings:
    return ReviewSettings.from_json(org.review)


def org_currencies(org: Organization) -> list[str]:
    return list(dict.fromkeys([org.default_currency, *(org.currencies or [])]))


def update_review(session: Session, actor: Actor, values: Mapping[str, Any]) -> Organization:
    """Save the needs-attention thresholds and the approval rules. Rules apply to orders
    written from now on (and to any later change of an existing order)."""
    require_admin(actor)
    org = _locked_org(session, actor)
    before = ReviewSettings.from_json(org.review).to_json()
    errors: list[FieldError] = []
    days_text = str(values.get("pending_days") or "").strip()
    days = int(days_text) if days_text.isascii() and days_text.isdigit() else None
    if days is None or not 1 <= days <= MAX_PENDING_DAYS:
        errors.append(FieldError("pending_days", f"must be a whole number of days from 1 to {MAX_PENDING_DAYS}"))
    below = parse_percent(values.get("below_list_percent"), "below_list_percent", errors, optional=False)
    discount = parse_percent(values.get("discount_percent"), "discount_percent", errors, optional=False)
    approval_discount = parse_percent(values.get("approval_discount_percent"), "approval_discount_percent",
                                      errors, optional=True)
    approval_below = parse_percent(values.get("approval_below_list_percent"), "approval_below_list_percent",
                                   errors, optional=True)
    totals: dict[str, Decimal] = {}
    for code in org_currencies(org):
        key = f"approval_total_{code}"
        text = str(values.get(key) or "").strip().replace(",", "")
        if not text:
            continue
        amount = None
        if len(text) <= 20 and all(ch.isascii() and (ch.isdigit() or ch == ".") for ch in text) and text.count(".") <= 1:
            amount = Decimal(text) if text != "." else None
        if amount is None or amount <= 0 or amount > money.MAX_AMOUNT or amount != round(amount, money.minor_units(code)):
            errors.append(FieldError(key, f"must be an amount in {code} above 0 (empty: no total rule)"))
        else:
            totals[code] = amount
    if errors:
        raise ValidationFailed(errors)
    org.review = ReviewSettings(
        pending_days=days or 3, below_list_percent=below or Decimal(0), discount_percent=discount or Decimal(0),
        approval_totals=totals, approval_discount_percent=approval_discount,
        approval_below_list_percent=approval_below,
        approval_allows_email=str(values.get("approval_allows_email") or "") in ("1", "on", "true", "yes"),
    ).to_json()
    changes = audit.diff(before, org.review)
    if changes:
        audit.record(session, actor, "settings.review", "Review and approvals", changes)
    session.commit()
    return org
