"""The order builder: lookups, list prices, quick-add parsing, customer context, and the
draft → order payload that goes through the same ``create_order`` as POST /api/orders.

A draft is what a rep has typed so far, as text. Evaluating it prices every line from
the order's tier and currency (lines whose price the rep overrode keep it), checks each
quantity against the catalog with the domain's rule, and totals the order with the
domain's arithmetic, so the builder shows exactly what the API will store."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Select, String, and_, any_, bindparam, case, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import Customer, Order, OrderLine, Organization, Product, ProductPrice, SalesRep
from app.domain import money, numbers
from app.domain.errors import FieldError
from app.domain.orders import (
    ADDRESS_FIELDS,
    CatalogRule,
    Totals,
    compute_totals,
    line_subtotal,
    nearest_valid_quantities,
    quantity_problem,
)
from app.services import visibility
from app.services.context import Actor

LOOKUP_LIMIT = 8
CONTEXT_ORDERS = 5
CONTEXT_PRODUCTS = 5
CONTEXT_HISTORY = 200
MAX_QUICK_ADD_LINES = 200
USER_TYPE = "SalesRep"


# --------------------------------------------------------------------------- drafts


@dataclass
class DraftLine:
    """One line as typed: quantity and price are text until the order is submitted."""

    key: str
    sku: str
    name: str = ""
    quantity: str = ""
    price: str = ""
    overridden: bool = False


@dataclass
class Draft:
    """Everything on the builder form, as typed."""

    customer_number: str = ""
    company_name: str = ""
    company_email: str = ""
    company_phone: str = ""
    billing_address: dict[str, str] = field(default_factory=dict)
    shipping_address: dict[str, str] = field(default_factory=dict)
    po_number: str = ""
    order_type: str = ""
    channel: str = ""
    terms: str = ""
    price_tier: str = ""
    currency_code: str = ""
    primary_rep: str = ""
    taken_by_rep: str = ""
    shipping_method: str = ""
    shipping_total: str = ""
    tax: str = ""
    notes: str = ""
    lines: list[DraftLine] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogEntry:
    """A catalog product with its list price in one tier and currency (None when it has none)."""

    sku: str
    name: str
    rule: CatalogRule
    price: Decimal | None


@dataclass
class LineView:
    """A draft line after evaluation: its list price and where it came from, the parsed
    quantity and price, the subtotal, and any quantity problem with the valid neighbours."""

    line: DraftLine
    entry: CatalogEntry | None
    price_source: str
    quantity: int | None
    price: Decimal | None
    subtotal: Decimal | None
    problem: str | None = None
    nearest: list[int] = field(default_factory=list)
    repriced: bool = False


@dataclass
class DraftView:
    lines: list[LineView]
    totals: Totals
    currency: str
    locale: str

    def fmt(self, value: Decimal | None) -> str:
        """An amount in the order's currency and the organization's locale ('—' when unknown)."""
        if value is None:
            return "—"
        return money.format_money(value, self.currency, self.locale) or "—"


def plain_price(value: Decimal, locale: str = money.DEFAULT_LOCALE) -> str:
    """A unit price as it goes into the price box: at least two decimals, up to four,
    written with the organization's decimal symbol."""
    return numbers.for_input(value, locale, min_places=2, max_places=money.PRICE_PLACES)


def parse_decimal(text: str, locale: str = money.DEFAULT_LOCALE) -> Decimal | None:
    """A typed amount read in the organization's locale, else None (never a guess:
    ``12,50`` in en_US is not a number, see ``domain.numbers``)."""
    try:
        return numbers.read_decimal(text, locale)
    except numbers.TypedNumberError:
        return None


def parse_quantity(text: str, locale: str = money.DEFAULT_LOCALE) -> int | None:
    """A typed quantity as a whole number, else None."""
    try:
        return numbers.read_whole_number(text, locale)
    except numbers.TypedNumberError:
        return None


def tier_label(tier: str) -> str:
    return f"{tier} list"


def order_currency(org: Organization, draft: Draft) -> str:
    """The draft's currency when it is a real ISO 4217 code, else the organization's."""
    return draft.currency_code if money.is_currency(draft.currency_code) else org.default_currency


def order_tier(org: Organization, draft: Draft) -> str:
    tiers = list(org.price_tiers or [])
    if draft.price_tier in tiers:
        return draft.price_tier
    return tiers[0] if tiers else draft.price_tier


# --------------------------------------------------------------------------- catalog


def catalog_entries(
    session: Session, org_id: str, skus: Iterable[str], tier: str, currency: str, *, case_insensitive: bool = False,
) -> dict[str, CatalogEntry]:
    """Active catalog products for ``skus`` with their list price in ``tier``/``currency``,
    keyed by SKU (lower-cased when ``case_insensitive``). One query."""
    wanted = {s.strip() for s in skus if s and s.strip()}
    if not wanted:
        return {}
    sku_col = func.lower(Product.sku) if case_insensitive else Product.sku
    keys = {s.lower() for s in wanted} if case_insensitive else wanted
    rows = session.execute(
        select(Product.sku, Product.name, Product.minimum_order_quantity, Product.quantity_increment,
               ProductPrice.price)
        .outerjoin(ProductPrice, and_(ProductPrice.product_id == Product.id, ProductPrice.price_tier == tier,
                                      ProductPrice.currency_code == currency))
        .where(Product.organization_id == org_id, Product.active.is_(True), _one_of(session, sku_col, keys))
    )
    out: dict[str, CatalogEntry] = {}
    for sku, name, moq, inc, price in rows:
        entry = CatalogEntry(sku, name, CatalogRule(name, moq or 1, inc or 1), price)
        out[sku.lower() if case_insensitive else sku] = entry
    return out


def _one_of(session: Session, column: ColumnElement[str], values: set[str]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``: one parameter instead of one
    per value, so the statement's text is the same whatever the number of lines (compiled
    once, prepared by the driver) and a 50-line order costs no more to send than a short one."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("skus", sorted(values), type_=ARRAY(String)))
    return column.in_(values)


def _like(text: str) -> str:
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lookup_products(
    session: Session, org_id: str, query: str, tier: str, currency: str, limit: int = LOOKUP_LIMIT,
) -> list[CatalogEntry]:
    """Active products whose SKU or name contains every typed word; SKUs starting with
    the query come first, then by SKU."""
    words = query.split()[:6]
    if not words:
        return []
    sku, name = func.lower(Product.sku), func.lower(Product.name)
    conditions: list[ColumnElement[bool]] = [
        or_(sku.like(f"%{_like(w)}%", escape="\\"), name.like(f"%{_like(w)}%", escape="\\")) for w in words
    ]
    starts = case((sku.like(f"{_like(query.strip())}%", escape="\\"), 0), else_=1)
    rows = session.execute(
        select(Product.sku, Product.name, Product.minimum_order_quantity, Product.quantity_increment,
               ProductPrice.price)
        .outerjoin(ProductPrice, and_(ProductPrice.product_id == Product.id, ProductPrice.price_tier == tier,
                                      ProductPrice.currency_code == currency))
        .where(Product.organization_id == org_id, Product.active.is_(True), *conditions)
        .order_by(starts, Product.sku)
        .limit(limit)
    )
    return [CatalogEntry(s, n, CatalogRule(n, moq or 1, inc or 1), p) for s, n, moq, inc, p in rows]


_CURRENCY_CACHE: dict[str, tuple[float, tuple[str, ...]]] = {}
CURRENCY_CACHE_SECONDS = 60.0


def currencies(session: Session, org: Organization) -> list[str]:
    """The organization's currency first, then every currency its catalog is priced in.

    The catalog's currencies take a scan of every price, so each process keeps them for a
    minute: a currency priced for the first time shows up in the list within a minute."""
    now = time.monotonic()
    cached = _CURRENCY_CACHE.get(org.id)
    if cached is None or cached[0] < now:
        rows = session.scalars(
            select(ProductPrice.currency_code).join(Product, Product.id == ProductPrice.product_id)
            .where(Product.organization_id == org.id).distinct()
        )
        cached = (now + CURRENCY_CACHE_SECONDS, tuple(sorted(set(rows))))
        _CURRENCY_CACHE[org.id] = cached
    return [org.default_currency, *(c for c in cached[1] if c != org.default_currency)]


def sales_reps(session: Session, org_id: str) -> list[SalesRep]:
    return list(session.scalars(
        select(SalesRep).where(SalesRep.organization_id == org_id).order_by(SalesRep.rep_number)
    ))


def default_rep(actor: Actor) -> str:
    """The signed-in user's own rep number, if they are a rep."""
    return actor.rep_numbers[0] if actor.rep_numbers else ""


# --------------------------------------------------------------------------- evaluation


def evaluate(
    session: Session, org: Organization, draft: Draft, priced_by_rep: Iterable[str] = (),
) -> DraftView:
    """Price, check and total the draft. Lines not overridden take the list price of the
    order's tier and currency (so a tier or currency change reprices them); overridden
    lines keep the rep's price. A line whose price the rep just typed (its key in
    ``priced_by_rep``) becomes overridden unless the typed price equals the list price.
    Totals come from the domain's ``compute_totals``."""
    currency, tier = order_currency(org, draft), order_tier(org, draft)
    catalog = catalog_entries(session, org.id, (ln.sku for ln in draft.lines), tier, currency)
    typed = set(priced_by_rep)
    for line in draft.lines:
        if line.key in typed:
            entry = catalog.get(line.sku)
            listed = entry.price if entry is not None else None
            line.overridden = listed is None or parse_decimal(line.price, org.locale) != listed
    views = [_evaluate_line(line, catalog.get(line.sku), tier, currency, org.locale) for line in draft.lines]
    priced = [(v.quantity, v.price, Decimal(0)) for v in views if v.subtotal is not None]
    totals = compute_totals(
        priced, currency=currency,
        shipping=_amount(draft.shipping_total, org.locale), tax=_amount(draft.tax, org.locale),
    )
    return DraftView(views, totals, currency, org.locale)


def _amount(text: str, locale: str) -> Decimal:
    value = parse_decimal(text, locale)
    if value is None or not value.is_finite() or value < 0 or value > money.MAX_AMOUNT:
        return Decimal(0)
    return value


def _evaluate_line(line: DraftLine, entry: CatalogEntry | None, tier: str, currency: str, locale: str) -> LineView:
    repriced = False
    if entry is None:
        source = "Not in the catalog"
    elif line.overridden and (line.price.strip() or entry.price is None):
        listed = money.format_money(entry.price, currency, locale) if entry.price is not None else "none"
        source = f"Overridden (list {listed})"
    elif entry.price is None:
        source = f"No {tier} price in {currency}"
        repriced = line.price != ""
        line.price = ""
    else:
        source = tier_label(tier)
        line.overridden = False
        new_text = plain_price(entry.price, locale)
        repriced = line.price != new_text
        line.price = new_text
    if entry is not None and not line.name:
        line.name = entry.name
    quantity = parse_quantity(line.quantity, locale)
    price = parse_decimal(line.price, locale)
    view = LineView(line, entry, source, quantity, price, None, repriced=repriced)
    if line.quantity.strip() and quantity is None:
        view.problem = f"Quantity of {line.sku} must be a whole number"
    elif quantity is not None and quantity < 1:
        view.problem = f"Quantity of {line.sku} must be at least 1"
        if entry is not None:
            view.nearest = [entry.rule.minimum_order_quantity]
    elif quantity is not None and entry is not None and (problem := quantity_problem(quantity, entry.rule)):
        view.problem = f"Quantity {quantity} of {line.sku} {problem}"
        view.nearest = nearest_valid_quantities(quantity, entry.rule)
    if (quantity is not None and quantity >= 1 and price is not None and price.is_finite() and price >= 0
            and quantity <= money.MAX_QUANTITY and price <= money.MAX_AMOUNT):
        view.subtotal = line_subtotal(quantity, price, Decimal(0), currency)
    return view


# --------------------------------------------------------------------------- quick add

_SEPARATORS = re.compile(r"[\t,;]+|\s{2,}")


@dataclass(frozen=True)
class QuickAddRow:
    """One pasted line: its 1-based line number, the SKU and quantity read from it, or why
    it could not be read."""

    line_no: int
    sku: str
    quantity: int | None
    problem: str | None = None


def parse_quick_add(text: str) -> list[QuickAddRow]:
    """Read pasted ``SKU quantity`` lines. Cells are split on tabs, commas or semicolons
    (a spreadsheet or CSV) or else on whitespace; the SKU is the first cell and the
    quantity the last (a product name in between is ignored). Blank lines and a header
    row starting with "SKU" are skipped."""
    rows: list[QuickAddRow] = []
    for line_no, raw in enumerate(text.splitlines()[:MAX_QUICK_ADD_LINES], start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        cells = [c.strip() for c in (_SEPARATORS.split(stripped) if _SEPARATORS.search(stripped)
                                     else stripped.split())]
        cells = [c for c in cells if c]
        if not cells:
            continue
        sku = cells[0]
        if line_no == 1 and sku.lower() in {"sku", "item", "part", "product"}:
            continue
        if len(cells) < 2:
            rows.append(QuickAddRow(line_no, sku, None, "has no quantity"))
            continue
        quantity = parse_quantity(cells[-1].replace("x", "").replace("X", ""))
        if quantity is None or quantity < 1:
            rows.append(QuickAddRow(line_no, sku, None, f"quantity {cells[-1]!r} is not a whole number of at least 1"))
            continue
        rows.append(QuickAddRow(line_no, sku, quantity))
    return rows


@dataclass
class QuickAddResult:
    added: list[tuple[CatalogEntry, int]]
    unknown: list[QuickAddRow]
    unreadable: list[QuickAddRow]

    def message(self) -> str:
        """A sentence a screen reader can announce: what was added and what was not."""
        parts = [f"Added {len(self.added)} line{'s' if len(self.added) != 1 else ''}."]
        if self.unknown:
            listed = ", ".join(f"{r.sku} (line {r.line_no})" for r in self.unknown)
            parts.append(f"Unknown SKU{'s' if len(self.unknown) != 1 else ''}: {listed}.")
        for row in self.unreadable:
            parts.append(f"Line {row.line_no} ({row.sku}) {row.problem}.")
        return " ".join(parts)


def resolve_quick_add(session: Session, org_id: str, text: str, tier: str, currency: str) -> QuickAddResult:
    """Match pasted SKUs to the catalog, case-insensitively, in one query."""
    rows = parse_quick_add(text)
    readable = [r for r in rows if r.problem is None]
    catalog = catalog_entries(session, org_id, (r.sku for r in readable), tier, currency, case_insensitive=True)
    result = QuickAddResult([], [], [r for r in rows if r.problem is not None])
    for row in readable:
        entry = catalog.get(row.sku.lower())
        if entry is None:
            result.unknown.append(row)
        else:
            result.added.append((entry, row.quantity or 1))
    return result


# --------------------------------------------------------------------------- customers


def lookup_customers(session: Session, org_id: str, query: str, limit: int = LOOKUP_LIMIT) -> list[Customer]:
    """Directory customers whose number, company or email contains every typed word;
    an exact or leading customer-number match comes first."""
    words = query.split()[:6]
    if not words:
        return []
    number, company, email = (func.lower(Customer.customer_number), func.lower(Customer.company_name),
                              func.lower(func.coalesce(Customer.company_email, "")))
    conditions = [
        or_(*(col.like(f"%{_like(w)}%", escape="\\") for col in (number, company, email))) for w in words
    ]
    rank = case((number == query.strip().lower(), 0),
                (number.like(f"{_like(query.strip())}%", escape="\\"), 1), else_=2)
    return list(session.scalars(
        select(Customer).where(Customer.organization_id == org_id, *conditions)
        .order_by(rank, Customer.company_name, Customer.customer_number).limit(limit)
    ))


def customer_by_number(session: Session, org_id: str, number: str) -> Customer | None:
    if not number.strip():
        return None
    return session.scalar(select(Customer).where(
        Customer.organization_id == org_id, Customer.customer_number == number.strip()))


def apply_customer(draft: Draft, customer: Customer, org: Organization) -> None:
    """Fill the draft from the directory: identity, addresses, and the customer's price
    tier, terms and currency defaults (each stays editable)."""
    draft.customer_number = customer.customer_number
    draft.company_name = customer.company_name
    draft.company_email = customer.company_email or ""
    draft.company_phone = customer.company_phone or ""
    draft.billing_address = {k: str(v) for k, v in (customer.billing_address or {}).items() if k in ADDRESS_FIELDS}
    draft.shipping_address = {k: str(v) for k, v in (customer.shipping_address or {}).items() if k in ADDRESS_FIELDS}
    if customer.default_price_tier in (org.price_tiers or []):
        draft.price_tier = customer.default_price_tier
    if customer.default_terms:
        draft.terms = customer.default_terms
    if customer.default_currency and money.is_currency(customer.default_currency):
        draft.currency_code = customer.default_currency


def _newest_first() -> ColumnElement:
    """Newest order first, as an expression: a bare ``order_date`` sort tempts SQLite into
    walking the organization's date index instead of the customer's own orders."""
    return func.coalesce(Order.order_date, Order.created_at).desc()


@dataclass(frozen=True)
class RecentOrder:
    id: str
    order_number: str
    order_date: datetime
    status: str
    po_number: str
    total: Decimal
    currency: str


@dataclass(frozen=True)
class FrequentProduct:
    sku: str
    name: str
    times_ordered: int
    quantity: int


@dataclass
class CustomerContext:
    recent: list[RecentOrder]
    frequent: list[FrequentProduct]


def customer_context(session: Session, actor: Actor, customer_number: str) -> CustomerContext:
    """The customer's last five orders the actor may see, and the active catalog
    products they order most often (by number of orders, then quantity) over their
    latest 200 orders."""
    return customer_history(session, actor, customer_number, "")[0]


@dataclass(frozen=True)
class DuplicatePo:
    order_number: str
    order_id: str
    visible: bool


def duplicate_po(session: Session, actor: Actor, customer_number: str, po_number: str) -> list[DuplicatePo]:
    """Orders of the same customer that already carry this PO number (a warning, never
    a block); the order number is only linked for orders the actor may see."""
    number, po = customer_number.strip(), po_number.strip()
    if not number or not po:
        return []
    rows = session.execute(_same_po(actor, number, po))
    return [DuplicatePo(order_number, oid, visibility.is_visible(actor, primary, taken))
            for oid, order_number, primary, taken, *_ in rows]


_ORDER_COLUMNS = (Order.id, Order.order_number, Order.primary_rep_number, Order.taken_by_rep_number,
                  Order.order_date, Order.order_status, Order.po_number, Order.order_total, Order.currency_code,
                  func.coalesce(Order.order_date, Order.created_at).label("newest"))


def _same_po(actor: Actor, number: str, po: str) -> Select:
    """Up to five orders of the customer with this PO number, newest first, whoever's they are."""
    return (select(*_ORDER_COLUMNS)
            .where(Order.organization_id == actor.organization_id, Order.po_number == po,
                   Order.customer_number == number)
            .order_by(_newest_first(), Order.id.desc()).limit(5))


def customer_history(
    session: Session, actor: Actor, customer_number: str, po_number: str,
) -> tuple[CustomerContext, list[DuplicatePo]]:
    """``customer_context`` and ``duplicate_po`` together, as the builder's form shows
    them: the last orders and the orders with the same PO number come in one query
    (a UNION ALL), the most ordered products in a second one when there are orders."""
    number, po = customer_number.strip(), po_number.strip()
    if not number:
        return CustomerContext([], []), []
    where = [Order.organization_id == actor.organization_id, Order.customer_number == number,
             *visibility.visible_orders(actor)]
    recent_q = select(*_ORDER_COLUMNS).where(*where).order_by(_newest_first(), Order.id.desc()).limit(CONTEXT_ORDERS)
    if po:
        first, second = recent_q.subquery(), _same_po(actor, number, po).subquery()
        statement = union_all(select(literal_column("0").label("same_po"), first),
                              select(literal_column("1").label("same_po"), second))
        rows = sorted(session.execute(statement), key=lambda r: (r.newest, r.id), reverse=True)
    else:
        rows = [(0, *row) for row in session.execute(recent_q)]
    recent, duplicates = [], []
    for same_po, oid, order_number, primary, taken, order_date, status, po_number, total, currency, _ in rows:
        if same_po:
            duplicates.append(DuplicatePo(order_number, oid, visibility.is_visible(actor, primary, taken)))
        else:
            recent.append(RecentOrder(oid, order_number, order_date, status, po_number, total, currency))
    if not recent:
        return CustomerContext([], []), duplicates
    return CustomerContext(recent, _frequent_products(session, where)), duplicates


def _frequent_products(session: Session, where: list[ColumnElement[bool]]) -> list[FrequentProduct]:
    history = select(Order.id).where(*where).order_by(_newest_first()).limit(CONTEXT_HISTORY).scalar_subquery()
    times = func.count(func.distinct(OrderLine.order_id))
    qty = func.sum(OrderLine.quantity)
    return [
        FrequentProduct(sku, name, int(n), int(q or 0)) for sku, name, n, q in session.execute(
            select(OrderLine.sku, Product.name, times, qty)
            .join(Product, and_(Product.organization_id == OrderLine.organization_id, Product.sku == OrderLine.sku))
            .where(OrderLine.order_id.in_(history), Product.active.is_(True))
            .group_by(OrderLine.sku, Product.name)
            .order_by(times.desc(), qty.desc(), OrderLine.sku)
            .limit(CONTEXT_PRODUCTS)
        )
    ]


# --------------------------------------------------------------------------- submit


def _text(value: str) -> str | None:
    value = value.strip()
    return value or None


class _Numbers:
    """Reads the draft's typed numbers in the organization's locale. A number that
    cannot be read goes into the payload as the text typed (the domain then refuses it
    by path, so nothing is written) and its reason, saying what was understood and what
    is expected, is kept to replace the domain's plain "must be a number"."""

    def __init__(self, locale: str, currency: str):
        self.locale = locale
        self.amount_places = money.minor_units(currency) if money.is_currency(currency) else None
        self.problems: list[FieldError] = []

    def read(self, value: str, path: str, *, kind: str) -> Any:
        text = value.strip()
        if not text:
            return None
        try:
            if kind == "quantity":
                return numbers.read_whole_number(text, self.locale)
            places = money.PRICE_PLACES if kind == "price" else self.amount_places
            return numbers.read_decimal(text, self.locale, places=places, what=kind)
        except numbers.TypedNumberError as exc:
            self.problems.append(FieldError(path, exc.message))
            return text


def _address(fields: dict[str, str]) -> dict[str, str] | None:
    out = {k: v.strip() for k, v in fields.items() if k in ADDRESS_FIELDS and v and v.strip()}
    return out or None


def draft_payload(draft: Draft, actor: Actor, locale: str = money.DEFAULT_LOCALE) -> dict[str, Any]:
    """The POST /api/orders body for this draft (see ``draft_request``)."""
    return draft_request(draft, actor, locale)[0]


def merge_number_problems(problems: list[FieldError], errors: list[FieldError]) -> list[FieldError]:
    """The domain's errors with each unreadable typed number's own reason in place of
    the domain's message for that field."""
    paths = {p.field for p in problems}
    return [*problems, *(e for e in errors if e.field not in paths)]


def draft_request(draft: Draft, actor: Actor, locale: str = money.DEFAULT_LOCALE) -> tuple[dict[str, Any], list[FieldError]]:
    """The POST /api/orders body for this draft and the typed numbers it could not read.
    Blank fields are left out, so the domain's validation reports required ones exactly
    as it does for the API."""
    typed = _Numbers(locale, draft.currency_code.strip())
    customer = {
        "customerNumber": _text(draft.customer_number), "companyName": _text(draft.company_name),
        "companyEmail": _text(draft.company_email), "companyPhone": _text(draft.company_phone),
        "billingAddress": _address(draft.billing_address),
    }
    payload: dict[str, Any] = {
        "customer": {k: v for k, v in customer.items() if v is not None},
        "orderType": _text(draft.order_type),
        "poNumber": _text(draft.po_number),
        "priceTier": _text(draft.price_tier),
        "currencyCode": _text(draft.currency_code),
        "terms": _text(draft.terms),
        "channel": _text(draft.channel),
        "notes": _text(draft.notes),
        "primarySalesRep": {"repNumber": _text(draft.primary_rep)},
        "items": [
            {"sku": line.sku, "productName": _text(line.name),
             "quantity": typed.read(line.quantity, f"items[{i}].quantity", kind="quantity"),
             "price": typed.read(line.price, f"items[{i}].price", kind="price")}
            for i, line in enumerate(draft.lines)
        ],
        "user": {"userId": actor.user_id, "userType": USER_TYPE},
        "tax": typed.read(draft.tax, "tax", kind="amount"),
    }
    shipping = {
        "method": _text(draft.shipping_method),
        "total": typed.read(draft.shipping_total, "shippingDetails.total", kind="amount"),
        "shippingAddress": _address(draft.shipping_address),
    }
    if any(v is not None for v in shipping.values()):
        payload["shippingDetails"] = {k: v for k, v in shipping.items() if v is not None}
    if _text(draft.taken_by_rep):
        payload["takenBySalesRep"] = {"repNumber": _text(draft.taken_by_rep)}
    return {k: v for k, v in payload.items() if v is not None}, typed.problems


def line_for_path(path: str, lines: Sequence[DraftLine]) -> tuple[DraftLine, str] | None:
    """The draft line and field an error path such as ``items[1].quantity`` points at."""
    match = re.fullmatch(r"items\[(\d+)\](?:\.(\w+))?", path)
    if not match:
        return None
    index = int(match.group(1))
    if index >= len(lines):
        return None
    return lines[index], match.group(2) or ""
