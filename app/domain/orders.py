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
from app.domain.identifiers import normalize_identifier
from app.domain.workflow import STATUSES

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What a text field may not hold: control characters (tab, newline and carriage return
# are fine) and lone surrogates (JSON allows them, UTF-8 cannot store them). One scan of
# a clean value; which of the two it is is worked out only for the error message.
_NOT_STORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
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


class _Reader:
    """Collects every violation while reading a JSON-shaped dict."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors

    def fail(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def fail_at(self, path: str, key: str, message: str) -> None:
        self.errors.append(FieldError(_join(path, key), message))

    def obj(self, data: Any, path: str, *, required: bool) -> Mapping[str, Any] | None:
        if data is None:
            if required:
                self.fail(path, "is required")
            return None
        if type(data) is not dict and not isinstance(data, Mapping):  # the exact check first: it is the usual case and far cheaper
            self.fail(path, "must be an object")
            return None
        return data

    def text(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool = False,
        limit_key: str | None = None,
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail_at(path, key, "is required")
            return None
        if not isinstance(value, str):
            self.fail_at(path, key, "must be a string")
            return None
        value = value.strip()
        if not value:
            if required:
                self.fail_at(path, key, "must not be empty")
            return None
        limit = LIMITS.get(limit_key or key, 200)
        if len(value) > limit:
            self.fail_at(path, key, f"must be at most {limit} characters (got {len(value)})")
            return None
        if _NOT_STORABLE.search(value):
            if _CONTROL_CHARS.search(value):
                self.fail_at(path, key, "must not contain control characters")
            else:
                self.fail_at(path, key, "must be valid Unicode text (no lone surrogates)")
            return None
        return value

    def identifier(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
        """An id (externalId, orderNumber, customerNumber, repNumber, sku) in its one
        normalized form (``domain.identifiers``), or refused with the reason."""
        value = self.text(data, key, path, required=required)
        if value is None:
            return None
        value, problem = normalize_identifier(value)
        if problem:
            self.fail_at(path, key, problem)
            return None
        if not value:
            self.fail_at(path, key, "must not be empty (it holds only invisible characters)")
            return None
        return value

    def email(self, data: Mapping[str, Any], key: str, path: str) -> str | None:
        value = self.text(data, key, path, limit_key="email")
        if value is None:
            return None
        problem = email_problem(value)
        if problem:
            self.fail(_join(path, key), problem)
            return None
        return value

    def number(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool = False,
        places: int | None = None,
    ) -> Decimal | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail_at(path, key, "is required")
            return None
        dec = _as_decimal(value)
        if dec is None:
            self.fail_at(path, key, "must be a number")
            return None
        if not dec.is_finite():
            self.fail_at(path, key, "must be a finite number (NaN and Infinity are not allowed)")
            return None
        if dec < 0:
            self.fail_at(path, key, "must not be negative")
            return None
        if dec > money.MAX_AMOUNT:
            self.fail_at(path, key, f"must be at most {money.MAX_AMOUNT}")
            return None
        if places is not None and not money.has_at_most_places(dec, places):
            self.fail_at(path, key, f"must have at most {places} decimal places")
            return None
        return dec

    def integer(
        self, data: Mapping[str, Any], key: str, path: str, *, minimum: int, maximum: int,
    ) -> int | None:
        value = data.get(key)
        if value is None:
            self.fail_at(path, key, "is required")
            return None
        dec = _as_decimal(value)
        if dec is None:
            self.fail_at(path, key, "must be a whole number")
            return None
        if not dec.is_finite():
            self.fail_at(path, key, "must be a finite number (NaN and Infinity are not allowed)")
            return None
        if dec != dec.to_integral_value():
            self.fail_at(path, key, "must be a whole number")
            return None
        if dec < minimum:
            self.fail_at(path, key, f"must be at least {minimum}")
            return None
        if dec > maximum:
            self.fail_at(path, key, f"must be at most {maximum}")
            return None
        return int(dec)

    def address(self, data: Mapping[str, Any], key: str, path: str) -> dict[str, str] | None:
        where = _join(path, key)
        raw = self.obj(data.get(key), where, required=False)
        if raw is None:
            return None
        out: dict[str, str] = {}
        for name in ADDRESS_FIELDS:
            value = self.text(raw, name, where, limit_key="address")
            if value is not None:
                out[name] = value
        return out or None


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


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
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


def parse_customer(raw: Mapping[str, Any], path: str, r: _Reader) -> CustomerInput | None:
    number = r.identifier(raw, "customerNumber", path, required=True)
    company = r.text(raw, "companyName", path, required=True)
    email = r.email(raw, "companyEmail", path)
    phone = r.text(raw, "companyPhone", path)
    fax = r.text(raw, "companyFax", path)
    billing = r.address(raw, "billingAddress", path)
    shipping = r.address(raw, "shippingAddress", path)
    if number is None or company is None:
        return None
    return CustomerInput(number, company, email, phone, fax, billing, shipping)


def parse_rep(raw: Mapping[str, Any], path: str, r: _Reader) -> RepInput | None:
    number = r.identifier(raw, "repNumber", path, required=True)
    first = r.text(raw, "firstName", path)
    last = r.text(raw, "lastName", path)
    email = r.email(raw, "email", path)
    if number is None:
        return None
    return RepInput(number, first, last, email)


def parse_order(data: Any, rules: OrderRules, path: str = "") -> tuple[OrderInput | None, list[FieldError]]:
    """Read one order request (single create, or one order of a bulk import).

    Returns the parsed order, or None with every violation found, each with its path."""
    errors: list[FieldError] = []
    r = _Reader(errors)
    body = r.obj(data, path or "body", required=True)
    if body is None:
        return None, errors

    cust_raw = r.obj(body.get("customer"), _join(path, "customer"), required=True)
    customer = parse_customer(cust_raw, _join(path, "customer"), r) if cust_raw is not None else None
    order_type = r.text(body, "orderType", path, required=True)
    po_number = r.text(body, "poNumber", path, required=True)
    price_tier = r.text(body, "priceTier", path, required=True)
    if price_tier is not None and price_tier not in rules.tiers:
        r.fail(_join(path, "priceTier"), f"must be one of the organization's price tiers: {', '.join(rules.tiers)}")
    currency = r.text(body, "currencyCode", path, required=True)
    if currency is not None and not money.is_currency(currency):
        r.fail(_join(path, "currencyCode"), "must be an ISO 4217 currency code such as USD")
        currency = None
    rep_raw = r.obj(body.get("primarySalesRep"), _join(path, "primarySalesRep"), required=True)
    primary = parse_rep(rep_raw, _join(path, "primarySalesRep"), r) if rep_raw is not None else None
    taken_raw = r.obj(body.get("takenBySalesRep"), _join(path, "takenBySalesRep"), required=False)
    taken = parse_rep(taken_raw, _join(path, "takenBySalesRep"), r) if taken_raw is not None else None
    user_raw = r.obj(body.get("user"), _join(path, "user"), required=True)
    user_type = user_id = None
    if user_raw is not None:
        user_type = r.text(user_raw, "userType", _join(path, "user"), required=True)
        user_id = r.text(user_raw, "userId", _join(path, "user"))

    terms = r.text(body, "terms", path)
    notes = r.text(body, "notes", path)
    channel = r.text(body, "channel", path)
    external_id = r.identifier(body, "externalId", path)
    cart_id = r.text(body, "originationCartId", path)
    status = r.text(body, "orderStatus", path)
    if status is not None and status not in STATUSES:
        r.fail(_join(path, "orderStatus"), f"must be one of {', '.join(STATUSES)}")
    tax = r.number(body, "tax", path)
    discount = r.number(body, "discountAmount", path)

    ship_method = ship_address = None
    ship_total: Decimal | None = None
    ship_raw = r.obj(body.get("shippingDetails"), _join(path, "shippingDetails"), required=False)
    if ship_raw is not None:
        ship_path = _join(path, "shippingDetails")
        ship_method = r.text(ship_raw, "method", ship_path)
        ship_total = r.number(ship_raw, "total", ship_path)
        ship_address = r.address(ship_raw, "shippingAddress", ship_path)

    order_number = order_date = None
    if rules.allow_import_fields:
        order_number = r.identifier(body, "orderNumber", path)
    raw_date = body.get("orderDate")
    if raw_date is not None:
        if not isinstance(raw_date, str) or (order_date := parse_datetime(raw_date)) is None:
            r.fail(_join(path, "orderDate"), f"must be an ISO 8601 date-time such as 2024-03-15T10:22:00Z, in the years {FIRST_YEAR}–{LAST_YEAR}")

    items = _parse_items(body, path, rules, r)

    if errors:
        return None, errors
    for line in items:
        line.discount_amount = money.round_amount(line.discount_amount, currency)
    order = OrderInput(
        customer=customer, order_type=order_type, po_number=po_number, price_tier=price_tier,
        currency_code=currency, primary_rep=primary, items=items, user_type=user_type,
        user_id=user_id, taken_by_rep=taken, terms=terms, notes=notes, order_status=status,
        channel=channel, external_id=external_id,
        tax=money.round_amount(tax or Decimal(0), currency),
        discount_amount=money.round_amount(discount or Decimal(0), currency),
        shipping_method=ship_method,
        shipping_total=money.round_amount(ship_total or Decimal(0), currency),
        shipping_address=ship_address or customer.shipping_address,
        origination_cart_id=cart_id, order_number=order_number, order_date=order_date,
    )
    _check_totals(order, path, r)
    if errors:
        return None, errors
    return order, errors


def _parse_items(body: Mapping[str, Any], path: str, rules: OrderRules, r: _Reader) -> list[LineInput]:
    items_path = _join(path, "items")
    raw_items = body.get("items")
    if raw_items is None:
        r.fail(items_path, "is required")
        return []
    if not isinstance(raw_items, list):
        r.fail(items_path, "must be an array")
        return []
    if not raw_items:
        r.fail(items_path, "must contain at least one item")
        return []
    if len(raw_items) > MAX_ITEMS:
        r.fail(items_path, f"must contain at most {MAX_ITEMS} items")
        return []
    lines: list[LineInput] = []
    for index, raw in enumerate(raw_items):
        where = f"{items_path}[{index}]"
        item = r.obj(raw, where, required=True)
        if item is None:
            continue
        sku = r.identifier(item, "sku", where, required=True)
        name = r.text(item, "productName", where)
        quantity = r.integer(item, "quantity", where, minimum=1, maximum=money.MAX_QUANTITY)
        price = r.number(item, "price", where, required=True, places=money.PRICE_PLACES)
        discount = r.number(item, "discountAmount", where)
        if sku is None or quantity is None or price is None:
            continue
        rule = rules.catalog.get(sku)
        if rule is not None and rules.enforce_catalog:
            problem = quantity_problem(quantity, rule)
            if problem:
                r.fail(f"{where}.quantity", f"Quantity {quantity} of {sku} {problem}")
        lines.append(LineInput(
            sku=sku,
            product_name=name or (rule.name if rule else sku),
            quantity=quantity,
            price=price,
            discount_amount=discount or Decimal(0),
            minimum_order_quantity=rule.minimum_order_quantity if rule else 1,
            quantity_increment=rule.quantity_increment if rule else 1,
        ))
    return lines


def _check_totals(order: OrderInput, path: str, r: _Reader) -> None:
    currency = order.currency_code
    for index, line in enumerate(order.items):
        gross = line.quantity * line.price
        if gross > money.MAX_AMOUNT:
            r.fail(f"{_join(path, 'items')}[{index}].quantity", f"quantity × price must be at most {money.MAX_AMOUNT}")
        # The discount is already rounded; without one there is nothing to compare.
        elif line.discount_amount and line.discount_amount > money.round_amount(gross, currency):
            r.fail(f"{_join(path, 'items')}[{index}].discountAmount", "must not exceed quantity × price")
    if r.errors:
        return
    totals = order_totals(order)
    if totals.subtotal + totals.shipping + totals.tax > money.MAX_AMOUNT:
        r.fail(_join(path, "items"), f"the order total must be at most {money.MAX_AMOUNT}")
    elif totals.total < 0:
        r.fail(_join(path, "discountAmount"), "must not exceed subtotal + shipping + tax")
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
