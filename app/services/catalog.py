"""The catalog and the customer directory: upserts in batches (API, pages, file
imports), lookups and searches.

An upsert reads every item (``app.shapes.catalog``), matches products by SKU and
customers by customer number (normalized identifiers), loads the existing rows of the
whole batch in one query, and writes set-based: Core inserts and executemany updates,
the price lists of changed products replaced. Each item comes back as created, updated
(with each field's old → new), unchanged or failed (with its field errors, paths
relative to the item). ``rejectAll`` writes nothing when any item fails; a dry run
computes the same results and writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, Customer, Organization, Product, ProductPrice, utcnow
from app.db.tx import bulk_insert, in_list, run_in_transaction
from app.db.types import guid
from app.domain import money
from app.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.domain.identifiers import normalize_identifier
from app.services.context import Actor
from app.shapes.catalog import (
    CUSTOMER_COLUMNS,
    MAX_BULK,
    PRODUCT_COLUMNS,
    CatalogLists,
    DirectoryCustomerInput,
    ProductInput,
    customer_to_wire,
    product_to_wire,
    read_item,
)

REJECT_ALL, REJECT_FAILED = "rejectAll", "rejectFailed"
ERROR_POLICIES = (REJECT_ALL, REJECT_FAILED)
CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"
__all__ = ["MAX_BULK", "ItemResult", "upsert_products", "upsert_customers"]


@dataclass
class ItemResult:
    """One submitted item: its index in the batch, its key (sku or customer number, as
    normalized; None when unreadable), what happened, each changed field's (old, new)
    by wire name for an update, and the field errors of a failed one."""

    index: int
    key: str | None
    status: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)


def any_failed(results: Sequence[ItemResult]) -> bool:
    return any(r.status == FAILED for r in results)


# --------------------------------------------------------------------------- permissions


def can_edit_products(actor: Actor) -> bool:
    """Admins and write tokens change the catalog; managers and reps read it."""
    return not actor.read_only and (actor.token_id is not None or actor.is_admin)


def can_edit_customers(actor: Actor) -> bool:
    """Admins, managers and write tokens change the customer directory."""
    return not actor.read_only and (actor.token_id is not None or actor.is_manager)


def _load_org(session: Session, actor: Actor) -> Organization:
    org = session.get(Organization, actor.organization_id)
    if org is None:
        raise NotFound("Organization not found.")
    return org


def _check_policy(error_policy: str, items: Any) -> None:
    if error_policy not in ERROR_POLICIES:
        raise ValidationFailed([FieldError("errorPolicy", f"must be one of {', '.join(ERROR_POLICIES)}")])
    if not isinstance(items, list):
        raise ValidationFailed([FieldError("items", "must be an array")])


# --------------------------------------------------------------------------- upserts


def upsert_products(session: Session, actor: Actor, items: list[Any], *, error_policy: str = REJECT_FAILED,
                    dry_run: bool = False, commit: bool = True) -> list[ItemResult]:
    """Create or update products by SKU (wire-shaped dicts, see ``ProductInput``).
    ``commit=False`` leaves the writes in the caller's open transaction (a file import
    commits them together with its progress)."""
    if not can_edit_products(actor):
        raise PermissionDenied("Only admins change the catalog.")
    _check_policy(error_policy, items)
    return _upsert(session, actor, items, _PRODUCTS, error_policy, dry_run, commit)


def upsert_customers(session: Session, actor: Actor, items: list[Any], *, error_policy: str = REJECT_FAILED,
                     dry_run: bool = False, commit: bool = True) -> list[ItemResult]:
    """Create or update customers by customer number (see ``DirectoryCustomerInput``)."""
    if not can_edit_customers(actor):
        raise PermissionDenied("Only admins and managers change the customer directory.")
    _check_policy(error_policy, items)
    return _upsert(session, actor, items, _CUSTOMERS, error_policy, dry_run, commit)


@dataclass(frozen=True)
class _Kind:
    model: type
    key: str  # wire name of the key
    label: str  # for audit targets
    load: Callable[[Session, str, set[str], bool], dict[str, dict[str, Any]]]
    content: Callable[[Any], dict[str, Any]]  # a parsed item → comparable wire content
    write: Callable[[Session, Organization, list[tuple[Any, dict[str, Any] | None, dict[str, Any]]]], None]


def _upsert(session: Session, actor: Actor, items: list[Any], kind: _Kind, error_policy: str,
            dry_run: bool, commit: bool = True) -> list[ItemResult]:
    def work() -> list[ItemResult]:
        org = _load_org(session, actor)
        lists = CatalogLists.of(org)
        results: list[ItemResult] = []
        parsed: list[tuple[int, Any]] = []
        for i, raw in enumerate(items):
            item, errors = read_item(kind.model, raw, lists)
            if not errors and kind is _PRODUCTS:
                errors = _twice_priced(item)
            if errors:
                results.append(ItemResult(i, _raw_key(raw, kind.key), FAILED, errors=errors))
            else:
                results.append(ItemResult(i, getattr(item, kind.key), UNCHANGED))
                parsed.append((i, item))
        seen: dict[str, int] = {}
        for i, item in parsed:
            key = getattr(item, kind.key)
            if key in seen:
                for j in (seen[key], i):
                    results[j].status = FAILED
                    results[j].errors.append(FieldError(kind.key, f"{key!r} appears more than once in this batch"))
            else:
                seen[key] = i
        parsed = [(i, item) for i, item in parsed if results[i].status != FAILED]
        # Locked (PostgreSQL) when writing, so concurrent writers of one item apply in turn.
        existing = kind.load(session, org.id, {getattr(item, kind.key) for _, item in parsed}, not dry_run)
        todo: list[tuple[Any, dict[str, Any] | None, dict[str, Any]]] = []
        audit_rows: list[dict[str, Any]] = []
        now = utcnow()
        for i, item in parsed:
            key = getattr(item, kind.key)
            new = kind.content(item)
            old = existing.get(key)
            result = results[i]
            if old is None:
                result.status = CREATED
                todo.append((item, None, new))
                audit_rows.append(_audit_row(org.id, actor, now, f"{kind.label}.created", f"{kind.label.title()} {key}", {}))
                continue
            flat_old, flat_new = _flat(old["content"]), _flat(new)
            changes = {name: (flat_old.get(name), flat_new.get(name)) for name in dict.fromkeys([*flat_old, *flat_new])
                       if flat_old.get(name) != flat_new.get(name)}
            if changes:
                result.status = UPDATED
                result.changes = changes
                todo.append((item, old, new))
                audit_rows.append(_audit_row(org.id, actor, now, f"{kind.label}.updated", f"{kind.label.title()} {key}",
                                             {n: [_audit_value(o), _audit_value(v)] for n, (o, v) in changes.items()}))
        if dry_run or (error_policy == REJECT_ALL and any_failed(results)):
            return results
        if todo:
            kind.write(session, org, todo)
            bulk_insert(session, AuditEvent.__table__, audit_rows)
            session.expire_all()
        return results

    if dry_run or not commit:
        return work()
    return run_in_transaction(session, work)


def _twice_priced(item: ProductInput) -> list[FieldError]:
    """A price list holds each tier and currency once."""
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for i, price in enumerate(item.prices or ()):
        key = (price.priceTier, price.currencyCode)
        if key in seen:
            errors.append(FieldError(f"prices[{i}]", f"{key[0]} in {key[1]} is priced twice (also prices[{seen[key]}])"))
        else:
            seen[key] = i
    return errors


def _raw_key(raw: Any, key: str) -> str | None:
    value = raw.get(key) if isinstance(raw, dict) else None
    return normalize_identifier(value)[0] or None if isinstance(value, str) else None


def _flat(content: Mapping[str, Any]) -> dict[str, Any]:
    """Content with the price grid spread out: ``prices.<tier>.<currency>``."""
    out = {k: v for k, v in content.items() if k != "prices"}
    for (tier, currency), price in sorted((content.get("prices") or {}).items()):
        out[f"prices.{tier}.{currency}"] = money.to_json_number(price)
    return out


def _audit_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _audit_row(org_id: str, actor: Actor, when: Any, action: str, target: str, changes: dict[str, Any]) -> dict[str, Any]:
    return {"organization_id": org_id, "id": guid(), "at": when, "actor": actor.name[:200],
            "action": action[:50], "target": target[:300], "changes": changes}


# --------------------------------------------------------------------------- products


def _price_value(price: Decimal, currency: str) -> Decimal:
    """A price as compared and stored: four decimal places."""
    return money.round_price(price)


def _product_content(item: ProductInput) -> dict[str, Any]:
    return {
        "name": item.name, "minimumOrderQuantity": item.minimumOrderQuantity,
        "quantityIncrement": item.quantityIncrement, "active": item.active,
        "prices": {k: _price_value(p, k[1]) for k, p in item.price_map().items()},
    }


def _load_products(session: Session, org_id: str, skus: set[str], lock: bool) -> dict[str, dict[str, Any]]:
    if not skus:
        return {}
    table, prices = Product.__table__, ProductPrice.__table__
    stmt = (select(table.c.id, table.c.sku, table.c.name, table.c.minimum_order_quantity,
                   table.c.quantity_increment, table.c.active)
            .where(table.c.organization_id == org_id, in_list(table.c.sku, skus)).order_by(table.c.id))
    rows = session.execute(stmt.with_for_update() if lock else stmt).all()
    out: dict[str, dict[str, Any]] = {}
    by_id: dict[str, dict[str, Any]] = {}
    for pid, sku, name, moq, inc, active in rows:
        entry = {"id": pid, "content": {"name": name, "minimumOrderQuantity": moq, "quantityIncrement": inc,
                                        "active": bool(active), "prices": {}}}
        out[sku] = entry
        by_id[pid] = entry
    if by_id:
        for pid, tier, currency, price in session.execute(
            select(prices.c.product_id, prices.c.price_tier, prices.c.currency_code, prices.c.price)
            .where(in_list(prices.c.product_id, by_id))
        ):
            by_id[pid]["content"]["prices"][(tier, currency)] = _price_value(price, currency)
    return out


def _write_products(session: Session, org: Organization,
                    todo: list[tuple[ProductInput, dict[str, Any] | None, dict[str, Any]]]) -> None:
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    price_rows: list[dict[str, Any]] = []
    replaced: list[str] = []
    for item, old, new in todo:
        row = {col: getattr(item, wire) for wire, col in PRODUCT_COLUMNS.items()}
        if old is None:
            pid = guid()
            inserts.append({"id": pid, "organization_id": org.id, **row})
        else:
            pid = old["id"]
            updates.append({"_id": pid, **{k: v for k, v in row.items() if k != "sku"}})
            if old["content"]["prices"] != new["prices"]:
                replaced.append(pid)
            else:
                continue
        price_rows.extend({"product_id": pid, "price_tier": tier, "currency_code": currency, "price": price}
                          for (tier, currency), price in new["prices"].items())
    if inserts:
        bulk_insert(session, Product.__table__, inserts)
    if updates:
        table = Product.__table__
        session.execute(update(table).where(table.c.id == bindparam("_id")).values(
            {col: bindparam(col) for col in updates[0] if col != "_id"}), updates)
    if replaced:
        session.execute(delete(ProductPrice.__table__).where(in_list(ProductPrice.__table__.c.product_id, replaced)))
    if price_rows:
        bulk_insert(session, ProductPrice.__table__, price_rows)


# --------------------------------------------------------------------------- customers


def _customer_content(item: DirectoryCustomerInput) -> dict[str, Any]:
    content = {wire: getattr(item, wire) for wire in CUSTOMER_COLUMNS if wire != "customerNumber"}
    for name in ("billingAddress", "shippingAddress"):
        content[name] = content[name].as_value() if content[name] is not None else None
    return content


def _load_customers(session: Session, org_id: str, numbers: set[str], lock: bool) -> dict[str, dict[str, Any]]:
    if not numbers:
        return {}
    table = Customer.__table__
    columns = [table.c[col] for col in CUSTOMER_COLUMNS.values()]
    stmt = (select(table.c.id, *columns)
            .where(table.c.organization_id == org_id, in_list(table.c.customer_number, numbers)).order_by(table.c.id))
    rows = session.execute(stmt.with_for_update() if lock else stmt).mappings()
    out = {}
    for row in rows:
        content = {wire: row[col] for wire, col in CUSTOMER_COLUMNS.items() if wire != "customerNumber"}
        for name in ("billingAddress", "shippingAddress"):
            content[name] = content[name] or None
        out[row["customer_number"]] = {"id": row["id"], "content": content}
    return out


def _write_customers(session: Session, org: Organization,
                     todo: list[tuple[DirectoryCustomerInput, dict[str, Any] | None, dict[str, Any]]]) -> None:
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    now = utcnow()
    for item, old, new in todo:
        row = {CUSTOMER_COLUMNS[wire]: value for wire, value in new.items()}
        if old is None:
            inserts.append({"id": guid(), "organization_id": org.id, "customer_number": item.customerNumber,
                            "created_at": now, **row})
        else:
            updates.append({"_id": old["id"], **row})
    if inserts:
        bulk_insert(session, Customer.__table__, inserts)
    if updates:
        table = Customer.__table__
        session.execute(update(table).where(table.c.id == bindparam("_id")).values(
            {col: bindparam(col) for col in updates[0] if col != "_id"}), updates)


_PRODUCTS = _Kind(ProductInput, "sku", "product", _load_products, _product_content, _write_products)
_CUSTOMERS = _Kind(DirectoryCustomerInput, "customerNumber", "customer", _load_customers, _customer_content, _write_customers)


# --------------------------------------------------------------------------- reading


def _key(value: str) -> str:
    return normalize_identifier(value)[0] if isinstance(value, str) else ""


def find_product(session: Session, actor: Actor, sku: str) -> Product | None:
    return session.scalar(select(Product).where(Product.organization_id == actor.organization_id,
                                                Product.sku == _key(sku)))


def get_product(session: Session, actor: Actor, sku: str) -> Product:
    product = find_product(session, actor, sku)
    if product is None:
        raise NotFound("No product with this SKU.")
    return product


def get_customer(session: Session, actor: Actor, number: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.organization_id == actor.organization_id,
                                                     Customer.customer_number == _key(number)))
    if customer is None:
        raise NotFound("No customer with this customer number.")
    return customer


def product_wire(product: Product) -> dict[str, Any]:
    prices = sorted((p.price_tier, p.currency_code, p.price) for p in product.prices)
    return product_to_wire(product.sku, product.name, product.minimum_order_quantity,
                           product.quantity_increment, bool(product.active), prices)


def customer_wire(customer: Customer) -> dict[str, Any]:
    return customer_to_wire(customer)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page_number: int
    page_size: int
    total_count: int

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total_count // self.page_size))


PRODUCT_SORTS = {"sku": Product.sku, "name": Product.name, "minimumOrderQuantity": Product.minimum_order_quantity,
                 "active": Product.active}
CUSTOMER_SORTS = {"customerNumber": Customer.customer_number, "companyName": Customer.company_name,
                  "createdAt": Customer.created_at}
MAX_PAGE_SIZE = 100
MAX_PAGE_NUMBER = 10_000_000
MAX_QUERY = 200


def _like(q: str) -> str:
    return "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _page(session: Session, model: Any, where: list[Any], order: list[Any], page: int, size: int) -> Page:
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = list(session.scalars(select(model).where(*where).order_by(*order).limit(size).offset((page - 1) * size)))
    return Page(rows, page, size, total)


def search_products(session: Session, actor: Actor, *, q: str = "", page: int = 1, size: int = 25,
                    sort: str = "sku", descending: bool = False) -> Page:
    """A page of the catalog: ``q`` finds SKUs and names containing it (any case)."""
    where: list[Any] = [Product.organization_id == actor.organization_id]
    q = (q or "").strip()[:MAX_QUERY]
    if q:
        like = _like(q)
        where.append(or_(func.lower(Product.sku).like(like, escape="\\"),
                         func.lower(Product.name).like(like, escape="\\")))
    column = PRODUCT_SORTS.get(sort, Product.sku)
    order = [column.desc() if descending else column.asc(), Product.id]
    return _page(session, Product, where, order, page, size)


def search_customers(session: Session, actor: Actor, *, q: str = "", page: int = 1, size: int = 25,
                     sort: str = "companyName", descending: bool = False) -> Page:
    """A page of the directory: ``q`` finds customer numbers, company names, emails and
    phone numbers containing it (any case)."""
    where: list[Any] = [Customer.organization_id == actor.organization_id]
    q = (q or "").strip()[:MAX_QUERY]
    if q:
        like = _like(q)
        where.append(or_(*(func.lower(c).like(like, escape="\\") for c in (
            Customer.customer_number, Customer.company_name, Customer.company_email, Customer.company_phone))))
    column = CUSTOMER_SORTS.get(sort, Customer.company_name)
    order = [column.desc() if descending else column.asc(), Customer.id]
    return _page(session, Customer, where, order, page, size)


# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class Buyer:
    customer_number: str
    company_name: str
    orders: int
    quantity: int
    last_order_date: Any


@dataclass(frozen=True)
class ProductHistory:
    orders: list[Any]  # the latest orders holding the SKU (visible to the actor)
    order_count: int
    buyers: list[Buyer]


def product_history(session: Session, actor: Actor, sku: str, *, limit: int = 20) -> ProductHistory:
    """The orders the actor may see that hold ``sku`` (newest first) and the customers
    who bought it (most orders first)."""
    from app.db.models import Order, OrderLine
    from app.services.visibility import visible_orders

    holding = (select(OrderLine.order_id).where(OrderLine.organization_id == actor.organization_id,
                                                OrderLine.sku == sku))
    where = [Order.organization_id == actor.organization_id, Order.id.in_(holding), *visible_orders(actor)]
    orders = list(session.scalars(select(Order).where(*where).order_by(Order.order_date.desc(), Order.id)
                                  .limit(limit)))
    count = session.scalar(select(func.count()).select_from(Order).where(*where)) or 0
    rows = session.execute(
        select(Order.customer_number, func.max(Order.company_name), func.count(func.distinct(Order.id)),
               func.sum(OrderLine.quantity), func.max(Order.order_date))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.organization_id == actor.organization_id, OrderLine.sku == sku, *visible_orders(actor))
        .group_by(Order.customer_number)
        .order_by(func.count(func.distinct(Order.id)).desc(), Order.customer_number).limit(limit)
    )
    buyers = [Buyer(n, name, int(c), int(q or 0), last) for n, name, c, q, last in rows]
    return ProductHistory(orders, count, buyers)


@dataclass(frozen=True)
class TopProduct:
    sku: str
    name: str
    quantity: int
    orders: int


@dataclass(frozen=True)
class CustomerHistory:
    orders: list[Any]
    order_count: int
    totals: list[tuple[str, Decimal, int]]  # (currency, sum of order totals, orders), by currency
    last_order_date: Any
    top_products: list[TopProduct]


def customer_history(session: Session, actor: Actor, number: str, *, limit: int = 20) -> CustomerHistory:
    """The customer's orders the actor may see: the latest ones, totals per currency
    (cancelled orders left out), the last order date and the products bought most."""
    from app.db.models import Order, OrderLine
    from app.domain.workflow import CANCELLED
    from app.services.visibility import visible_orders

    where = [Order.organization_id == actor.organization_id, Order.customer_number == number, *visible_orders(actor)]
    orders = list(session.scalars(select(Order).where(*where).order_by(Order.order_date.desc(), Order.id).limit(limit)))
    count, last = session.execute(select(func.count(), func.max(Order.order_date)).select_from(Order).where(*where)).one()
    totals = [(c, Decimal(t or 0), int(n)) for c, t, n in session.execute(
        select(Order.currency_code, func.sum(Order.order_total), func.count())
        .where(*where, Order.order_status != CANCELLED).group_by(Order.currency_code).order_by(Order.currency_code))]
    top = [TopProduct(sku, name, int(q or 0), int(n)) for sku, name, q, n in session.execute(
        select(OrderLine.sku, func.max(OrderLine.product_name), func.sum(OrderLine.quantity),
               func.count(func.distinct(OrderLine.order_id)))
        .join(Order, Order.id == OrderLine.order_id)
        .where(*where, Order.order_status != CANCELLED)
        .group_by(OrderLine.sku).order_by(func.sum(OrderLine.quantity).desc(), OrderLine.sku).limit(5))]
    return CustomerHistory(orders, int(count or 0), totals, last, top)
