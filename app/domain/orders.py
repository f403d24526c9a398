"""Orders as values: the validated input of a create or import, totals, and change diffs.

The same parsing serves the JSON API (single create and each imported order) and the
web order builder, so a rule is written once and every violation is reported at once
with the path of the field that broke it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from email_validator import EmailNotValidError, validate_email

from app.domain import money
from app.domain.errors import FieldError

ADDRESS_FIELDS = ("address1", "address2", "city", "stateProvince", "zipPostalCode", "country")
MAX_ITEMS = 1000
LIMITS = {
    "customerNumber": 64, "companyName": 200, "companyEmail": 254, "companyPhone": 50,
    "companyFax": 50, "orderType": 50, "poNumber": 100, "priceTier": 50, "terms": 50,
    "channel": 50, "externalId": 100, "notes": 4000, "originationCartId": 100,
    "orderNumber": 50, "sku": 100, "productName": 300, "repNumber": 64, "firstName": 100,
    "lastName": 100, "email": 254, "userId": 100, "userType": 50, "method": 100,
    "address": 200,
}


@dataclass(frozen=True)
class CatalogRule:
    """What the catalog says about a SKU: its name and the quantities it sells in."""

    name: str
    minimum_order_quantity: int = 1
    quantity_increment: int = 1


@dataclass
class CustomerInput:
    customer_number: str
    company_name: str
    company_email: str | None = None
    company_phone: str | None = None
    company_fax: str | None = None
    billing_address: dict[str, str] | None = None
    shipping_address: dict[str, str] | None = None


@dataclass
class RepInput:
    rep_number: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None

    @property
    def full_name(self) -> str | None:
        return full_name(self.first_name, self.last_name)


@dataclass
class LineInput:
    sku: str
    product_name: str | None
    quantity: int
    price: Decimal
    discount_amount: Decimal = Decimal(0)
    minimum_order_quantity: int = 1
    quantity_increment: int = 1


@dataclass
class OrderInput:
    customer: CustomerInput
    order_type: str
    po_number: str
    price_tier: str
    currency_code: str
    primary_rep: RepInput
    items: list[LineInput]
    user_type: str
    user_id: str | None = None
    taken_by_rep: RepInput | None = None
    terms: str | None = None
    notes: str | None = None
    order_status: str | None = None
    channel: str | None = None
    external_id: str | None = None
    tax: Decimal = Decimal(0)
    discount_amount: Decimal = Decimal(0)
    shipping_method: str | None = None
    shipping_total: Decimal = Decimal(0)
    shipping_address: dict[str, str] | None = None
    origination_cart_id: str | None = None
    order_number: str | None = None
    order_date: datetime | None = None
    # Set by parse_order, which computes them to validate them; amounts do not change
    # after parsing, so the writer reuses them instead of computing them again.
    totals: Totals | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Totals:
    line_subtotals: tuple[Decimal, ...]
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    discount: Decimal
    total: Decimal


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


def full_name(first: str | None, last: str | None) -> str | None:
    name = " ".join(part for part in (first, last) if part)
    return name or None


# --------------------------------------------------------------------------- totals


def line_subtotal(quantity: int, price: Decimal, discount: Decimal, currency: str) -> Decimal:
    """line.subTotal = quantity × price − line.discountAmount, rounded half-up."""
    return money.round_amount(Decimal(quantity) * Decimal(price) - Decimal(discount), currency)


def compute_totals(
    lines: Sequence[tuple[int, Decimal, Decimal]],
    *,
    currency: str,
    shipping: Decimal = Decimal(0),
    tax: Decimal = Decimal(0),
    discount: Decimal = Decimal(0),
) -> Totals:
    """subtotal = Σ line.subTotal; orderTotal = subtotal + shipping + tax − discount.

    ``lines`` holds (quantity, unit price, line discount)."""
    subs = tuple(line_subtotal(q, p, d, currency) for q, p, d in lines)
    subtotal = money.round_amount(sum(subs, Decimal(0)), currency)
    shipping = money.round_amount(shipping, currency)
    tax = money.round_amount(tax, currency)
    discount = money.round_amount(discount, currency)
    total = money.round_amount(subtotal + shipping + tax - discount, currency)
    return Totals(subs, subtotal, shipping, tax, discount, total)


def order_totals(order: OrderInput) -> Totals:
    if order.totals is not None:
        return order.totals
    return compute_totals(
        [(line.quantity, line.price, line.discount_amount) for line in order.items],
        currency=order.currency_code,
        shipping=order.shipping_total,
        tax=order.tax,
        discount=order.discount_amount,
    )


# --------------------------------------------------------------------------- quantities


def quantity_problem(quantity: int, rule: CatalogRule) -> str | None:
    """Valid quantities are minimumOrderQuantity, then steps of quantityIncrement above it."""
    moq, inc = rule.minimum_order_quantity, rule.quantity_increment
    if quantity < moq:
        return f"must be at least the minimum order quantity of {moq}"
    if (quantity - moq) % inc:
        return (
            f"must be {moq} plus a multiple of the quantity increment of {inc}; "
            f"nearest valid: {' or '.join(map(str, nearest_valid_quantities(quantity, rule)))}"
        )
    return None


def nearest_valid_quantities(quantity: int, rule: CatalogRule) -> list[int]:
    """The valid quantities just below and above ``quantity`` (one if it is below the minimum)."""
    moq, inc = rule.minimum_order_quantity, rule.quantity_increment
    if quantity <= moq:
        return [moq]
    steps, rem = divmod(quantity - moq, inc)
    if rem == 0:
        return [quantity]
    return [moq + steps * inc, moq + (steps + 1) * inc]


# --------------------------------------------------------------------------- parsing


def is_valid_text(value: str) -> bool:
    """True when ``value`` can be stored as UTF-8 (JSON allows lone surrogates; databases do not)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_ATEXT_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@functools.lru_cache(maxsize=4096)
def _domain_accepted(domain: str) -> bool:
    try:
        validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def email_problem(value: str) -> str | None:
    """A readable reason why ``value`` is not a deliverable-looking address, else None.

    The usual address (a plain ASCII local part at a domain already accepted) is
    accepted without the full validation again: a directory's addresses share few
    domains, and validating the domain was most of an import's time per customer.
    Anything else gets the full validation and its message."""
    local, at, domain = value.rpartition("@")
    if (at and len(value) <= 254 and len(local) <= 64 and _ATEXT_DOT_ATOM.fullmatch(local)
            and domain.isascii() and _domain_accepted(domain)):
        return None
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"is not a valid email address: {exc}"
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


FIRST_YEAR, LAST_YEAR = 1900, 2999
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
# Leap years of 1900–2999: every fourth year but the centuries, except 2000, 2400, 2800.
_LEAP_YEAR = "(?:(?:19|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2[048]00)"
_HOUR_MINUTE = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
# The ISO 8601 forms a date-time is accepted in: a calendar date of the years
# FIRST_YEAR–LAST_YEAR as written, then optionally a time (to the minute, second or
# microsecond) with an optional offset (Z or ±hh:mm). The OpenAPI document publishes it.
DATETIME_GRAMMAR = (
    f"(?:(?:19[0-9]{{2}}|2[0-9]{{3}})-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
    f"(?:[Tt ]{_HOUR_MINUTE}(?::[0-5][0-9](?:[.,][0-9]{{1,6}})?)?(?:[Zz]|[+-]{_HOUR_MINUTE})?)?"
)
_DATETIME = re.compile(DATETIME_GRAMMAR)


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 in the forms of DATETIME_GRAMMAR; a time without an offset is UTC.
    Returns an aware UTC datetime, or None when the text is not one or its year (in UTC)
    is outside FIRST_YEAR–LAST_YEAR, so that every date accepted can be given back in
    the same four-digit form."""
    text = value.strip()
    if not _DATETIME.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59-05:00 is past the last representable instant
        return None
    return parsed if FIRST_YEAR <= parsed.year <= LAST_YEAR else None


def format_datetime(value: datetime | None) -> str | None:
    """Always UTC with a ``Z``, to the second."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    # Four-digit years always (strftime's %Y writes year 1 as "1").
    return f"{value.year:04d}-" + value.strftime("%m-%dT%H:%M:%SZ")


@dataclass
class OrderRules:
    """What parsing needs to know about the organization."""

    tiers: Sequence[str]
    catalog: Mapping[str, CatalogRule] = field(default_factory=dict)
    enforce_catalog: bool = True
    allow_import_fields: bool = False


def parse_order(data: Any, rules: OrderRules, path: str = "") -> tuple[OrderInput | None, list[FieldError]]:
    """Read one order request (single create, or one order of a bulk import): its shape
    (``app.shapes.orders``), then the catalog's quantity rules and the totals.

    Returns the parsed order, or None with every violation found, each with its path."""
    from pydantic import ValidationError

    from app.shapes import base
    from app.shapes import orders as shape

    try:
        model = shape.BulkOrderInput if rules.allow_import_fields else shape.OrderInput
        wire = model.model_validate(data, context={"rules": rules})
    except ValidationError as exc:
        errors = base.field_errors(exc, path)
        if rules.enforce_catalog and rules.catalog:
            _merge_catalog_errors(errors, exc, data, rules, path)
        return None, errors
    errors = []
    currency = wire.currency_code
    items: list[LineInput] = []
    items_path = _join(path, "items")
    for index, raw in enumerate(wire.items):
        rule = rules.catalog.get(raw.sku)
        if rule is not None and rules.enforce_catalog:
            problem = quantity_problem(raw.quantity, rule)
            if problem:
                errors.append(FieldError(f"{items_path}[{index}].quantity", f"Quantity {raw.quantity} of {raw.sku} {problem}"))
        items.append(LineInput(
            sku=raw.sku,
            product_name=raw.product_name or (rule.name if rule else raw.sku),
            quantity=raw.quantity,
            price=raw.price,
            discount_amount=money.round_amount(raw.discount_amount or Decimal(0), currency),
            minimum_order_quantity=rule.minimum_order_quantity if rule else 1,
            quantity_increment=rule.quantity_increment if rule else 1,
        ))
    if errors:
        return None, errors
    c, user, ship = wire.customer, wire.user, wire.shipping_details
    customer = CustomerInput(c.customer_number, c.company_name, c.company_email, c.company_phone,
                             c.company_fax, shape.address_value(c.billing_address),
                             shape.address_value(c.shipping_address))
    ship_address = shape.address_value(ship.shipping_address) if ship is not None else None
    order = OrderInput(
        customer=customer, order_type=wire.order_type, po_number=wire.po_number, price_tier=wire.price_tier,
        currency_code=currency, primary_rep=_rep(wire.primary_sales_rep), items=items,
        user_type=user.user_type, user_id=user.user_id, taken_by_rep=_rep(wire.taken_by_sales_rep),
        terms=wire.terms, notes=wire.notes, order_status=wire.order_status, channel=wire.channel,
        external_id=wire.external_id,
        tax=money.round_amount(wire.tax or Decimal(0), currency),
        discount_amount=money.round_amount(wire.discount_amount or Decimal(0), currency),
        shipping_method=ship.method if ship is not None else None,
        shipping_total=money.round_amount((ship.total if ship is not None else None) or Decimal(0), currency),
        shipping_address=ship_address or customer.shipping_address,
        origination_cart_id=wire.origination_cart_id, order_number=wire.order_number,
        order_date=wire.order_date,
    )
    _check_totals(order, path, errors)
    if errors:
        return None, errors
    return order, errors


def _rep(rep: Any) -> RepInput | None:
    if rep is None:
        return None
    return RepInput(rep.rep_number, rep.first_name, rep.last_name, rep.email)


def _merge_catalog_errors(errors: list[FieldError], exc: Any, data: Any, rules: OrderRules, path: str) -> None:
    """An order whose shape is wrong still has its catalog rules checked, on each line
    whose sku, quantity and price are valid; each complaint follows its line's own."""
    from pydantic import ValidationError

    from app.shapes import orders as shape

    raw_items = data.get("items") if isinstance(data, Mapping) else None
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_ITEMS:
        return
    # The line of each error (None: not a line's); the lines are read last, in order.
    lines = [loc[1] if len(loc) > 1 and loc[0] == "items" and isinstance(loc[1], int) else None
             for loc in (e["loc"] for e in exc.errors(include_url=False))]
    items_path = _join(path, "items")
    for index in reversed(range(len(raw_items))):
        try:
            line = shape.LineKey.model_validate(raw_items[index])
        except ValidationError:
            continue
        rule = rules.catalog.get(line.sku)
        problem = quantity_problem(line.quantity, rule) if rule is not None else None
        if problem:
            at = sum(1 for n in lines if n is None or n <= index)
            errors.insert(at, FieldError(f"{items_path}[{index}].quantity",
                                         f"Quantity {line.quantity} of {line.sku} {problem}"))


def _check_totals(order: OrderInput, path: str, errors: list[FieldError]) -> None:
    currency = order.currency_code
    for index, line in enumerate(order.items):
        gross = line.quantity * line.price
        if gross > money.MAX_AMOUNT:
            errors.append(FieldError(f"{_join(path, 'items')}[{index}].quantity", f"quantity × price must be at most {money.MAX_AMOUNT}"))
        # The discount is already rounded; without one there is nothing to compare.
        elif line.discount_amount and line.discount_amount > money.round_amount(gross, currency):
            errors.append(FieldError(f"{_join(path, 'items')}[{index}].discountAmount", "must not exceed quantity × price"))
    if errors:
        return
    totals = order_totals(order)
    if totals.subtotal + totals.shipping + totals.tax > money.MAX_AMOUNT:
        errors.append(FieldError(_join(path, "items"), f"the order total must be at most {money.MAX_AMOUNT}"))
    elif totals.total < 0:
        errors.append(FieldError(_join(path, "discountAmount"), "must not exceed subtotal + shipping + tax"))
    else:
        order.totals = totals


# --------------------------------------------------------------------------- changes


def diff(old: Any, new: Any, path: str = "") -> list[Change]:
    """Every leaf that differs between two JSON-shaped values, with its path."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[Change] = []
        for key in sorted(set(old) | set(new), key=_key_order(old, new)):
            changes.extend(diff(old.get(key), new.get(key), _join(path, key)))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            o = old[index] if index < len(old) else None
            n = new[index] if index < len(new) else None
            changes.extend(diff(o, n, f"{path}[{index}]"))
        return changes
    if old != new:
        return [Change(path, old, new)]
    return []


def _key_order(old: Mapping[str, Any], new: Mapping[str, Any]):
    order = {key: i for i, key in enumerate(list(old) + [k for k in new if k not in old])}
    return lambda key: order[key]
