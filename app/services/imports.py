"""File imports and exports of products with prices, customers and order history.

The flow: an upload is stored (``file_imports``, its bytes in ``import_chunks``), a
**dry run** job reads it and asks the services the API uses what each row would do
(``catalog.upsert_products``/``upsert_customers`` and ``orders.import_orders``, each
with ``dry_run``), keeping created / updated (each field's old → new) / rejected rows
in ``import_rows`` and the counts on the import; then an **apply** job writes it in
batches with the error policy chosen ("all or nothing" = ``rejectAll``, "import the
good rows" = ``rejectFailed``). Both run on the background worker, report rows done,
and resume after an interruption from the last batch committed. Applying is
idempotent: the same file again leaves everything unchanged.

Columns (the templates and the exports use the first layout of each kind):

- products: one row per product: ``sku``, ``name``, ``minimumOrderQuantity``,
  ``quantityIncrement``, ``active`` and a ``price <tier> <currency>`` column per price
  tier × currency (a blank price cell: no price in that tier and currency). Read too,
  told apart by its header: one row per price ("long"), ``priceTier``,
  ``currencyCode`` and ``price`` columns, a product's rows together (its fields on the
  first of them); the exports and templates stay one row per product;
- customers: one row per customer, the API's field names with the addresses
  flattened (``billingAddress.city``);
- order history: one row per order line, the order's fields on each of its rows
  (the API's paths, such as ``customer.customerNumber``) and the line's in
  ``items.sku``, ``items.quantity`` …; consecutive rows with the same externalId (or,
  without one, orderNumber) are one order. Also the bulk JSON ``{"orders": [...]}``.

Unknown columns (such as the ``error`` column of a rejected-rows file) are ignored."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.db.models import (
    Customer,
    FileImport,
    ImportChunk,
    ImportRow,
    Organization,
    Product,
    ProductPrice,
    User,
    utcnow,
)
from app.db.tx import bulk_insert, in_list
from app.db.types import guid
from app.domain import money
from app.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.domain.identifiers import normalize_identifier
from app.domain.orders import ADDRESS_FIELDS
from app.services import catalog, jobs, tabular
from app.services import orders as order_service
from app.services.context import Actor
from app.services.tabular import FileRefused

PRODUCTS, CUSTOMERS, ORDERS = "products", "customers", "orders"
KINDS = (PRODUCTS, CUSTOMERS, ORDERS)
KIND_LABELS = {PRODUCTS: "Products with prices", CUSTOMERS: "Customers", ORDERS: "Order history"}
REJECT_ALL, REJECT_FAILED = catalog.REJECT_ALL, catalog.REJECT_FAILED
POLICY_LABELS = {REJECT_ALL: "All or nothing", REJECT_FAILED: "Import the good rows"}
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
STATUSES = (CREATED, UPDATED, UNCHANGED, REJECTED)
CHECK, APPLY = "check", "apply"
CHUNK_BYTES = 1024 * 1024
BATCH_ROWS = 1000
STATE_LABELS = {"uploaded": "Uploaded", "checking": "Dry run running", "checked": "Dry run done",
                "refused": "Refused", "applying": "Importing", "applied": "Imported", "failed": "Failed"}

PRODUCT_BASE = ["sku", "name", "minimumOrderQuantity", "quantityIncrement", "active"]
_PRICE_HEADER = re.compile(r"^price (.+) ([A-Za-z]{3})$", re.IGNORECASE)
_ADDRESS = list(ADDRESS_FIELDS)
CUSTOMER_HEADER = [
    "customerNumber", "companyName", "companyEmail", "companyPhone", "companyFax",
    *(f"billingAddress.{f}" for f in _ADDRESS), *(f"shippingAddress.{f}" for f in _ADDRESS),
    "defaultPriceTier", "defaultTerms", "defaultCurrency",
]
ORDER_HEADER = [
    "externalId", "orderNumber", "orderDate", "orderStatus", "orderType", "poNumber", "priceTier", "currencyCode",
    "terms", "channel", "notes", "originationCartId",
    "customer.customerNumber", "customer.companyName", "customer.companyEmail", "customer.companyPhone",
    "customer.companyFax", *(f"customer.billingAddress.{f}" for f in _ADDRESS),
    *(f"customer.shippingAddress.{f}" for f in _ADDRESS),
    "primarySalesRep.repNumber", "primarySalesRep.firstName", "primarySalesRep.lastName", "primarySalesRep.email",
    "takenBySalesRep.repNumber", "takenBySalesRep.firstName", "takenBySalesRep.lastName", "takenBySalesRep.email",
    "user.userType", "user.userId",
    "shippingDetails.method", "shippingDetails.total", *(f"shippingDetails.shippingAddress.{f}" for f in _ADDRESS),
    "tax", "discountAmount",
    "items.sku", "items.productName", "items.quantity", "items.price", "items.discountAmount",
]
_ORDER_NUMBERS = {"tax", "discountAmount", "shippingDetails.total", "items.quantity", "items.price",
                  "items.discountAmount"}


# --------------------------------------------------------------------------- who may


def can_import(actor: Actor, kind: str) -> bool:
    """Products: admins (they change the catalog); customers: admins and managers (they
    change the directory); order history: admins and managers (they manage every order)."""
    if kind == PRODUCTS:
        return catalog.can_edit_products(actor)
    if kind == CUSTOMERS:
        return catalog.can_edit_customers(actor)
    if kind == ORDERS:
        return actor.is_manager and not actor.read_only
    return False


def kinds_for(actor: Actor) -> list[str]:
    return [k for k in KINDS if can_import(actor, k)]


def _require(actor: Actor, kind: str) -> None:
    if kind not in KINDS:
        raise ValidationFailed([FieldError("kind", f"must be one of {', '.join(KINDS)}")])
    if not can_import(actor, kind):
        raise PermissionDenied(f"Your role does not allow importing {KIND_LABELS[kind].lower()}.")


# --------------------------------------------------------------------------- columns


def _tiers_and_currencies(org: Organization) -> tuple[list[str], list[str]]:
    tiers = org.settings_lists.names("priceTier", include_retired=True)
    currencies = [org.default_currency, *(c for c in (org.currencies or []) if c != org.default_currency)]
    return tiers, currencies


def price_header(tier: str, currency: str) -> str:
    return f"price {tier} {currency}"


def header_for(org: Organization, kind: str) -> list[str]:
    if kind == PRODUCTS:
        tiers, currencies = _tiers_and_currencies(org)
        return [*PRODUCT_BASE, *(price_header(t, c) for t in tiers for c in currencies)]
    if kind == CUSTOMERS:
        return list(CUSTOMER_HEADER)
    return list(ORDER_HEADER)


# --------------------------------------------------------------------------- cells → items


def _text(value: Any) -> str | None:
    """A cell as the API's text: numbers from a spreadsheet (a numeric SKU) as written."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


_COMMA_DECIMAL = re.compile(r"^-?\d+,\d+$")


def _number(value: Any) -> Any:
    """A numeric cell as a number; text that is no number stays text, for the API's own
    'must be a number'."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | Decimal):
        return value
    text = str(value).strip()
    if not text:
        return None
    if _COMMA_DECIMAL.match(text):
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return str(value)


_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


def _flag(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return str(value)


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


@dataclass
class Record:
    """One item of a file (a product, a customer, an order) and the rows it came from."""

    rows: list[int]
    cells: list[dict[str, Any]]
    item: Any
    price_columns: list[str] = field(default_factory=list)
    price_rows: list[int] = field(default_factory=list)  # long layout: each price's row offset
    errors: list[FieldError] = field(default_factory=list)  # found reading the rows
    error_rows: list[int] = field(default_factory=list)  # each of those errors' row offset


@dataclass
class Outcome:
    status: str
    key: str | None
    changes: list[list[Any]] = field(default_factory=list)  # [column, old, new]
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row offset, column, message)


@functools.lru_cache(maxsize=1024)
def _price_column(column: str) -> tuple[str, str] | None:
    """``price <tier> <currency>`` → (tier, currency); None for any other column."""
    match = _PRICE_HEADER.match(column)
    return (match.group(1), match.group(2).upper()) if match else None


def _product(cells: dict[str, Any]) -> Record:
    item: dict[str, Any] = {"sku": _text(cells.get("sku")), "name": _text(cells.get("name")),
                            "minimumOrderQuantity": _number(cells.get("minimumOrderQuantity")),
                            "quantityIncrement": _number(cells.get("quantityIncrement")),
                            "active": _flag(cells.get("active"))}
    prices, columns = [], []
    for column, value in cells.items():
        grid = _price_column(column)
        if grid is None:
            continue
        price = _number(value)
        if price is None:
            continue
        prices.append({"priceTier": grid[0], "currencyCode": grid[1], "price": price})
        columns.append(column)
    item["prices"] = prices
    return Record([], [cells], {k: v for k, v in item.items() if v is not None}, columns)


LONG_PRICE_COLUMNS = ("priceTier", "currencyCode", "price")


def is_long_layout(header: list[str]) -> bool:
    """Products one row per price (``sku``, ``priceTier``, ``currencyCode``, ``price``)
    rather than a column per tier and currency."""
    return all(c in header for c in LONG_PRICE_COLUMNS) and not any(_price_column(h) for h in header if h)


def _long_products(rows: Iterable[tuple[int, dict[str, Any]]]) -> Iterator[Record]:
    """Long layout: consecutive rows with the same SKU are one product, its fields from
    the first row (later rows may leave them blank, not contradict them) and a price per
    row that names one. A SKU whose rows are not together is refused: its price list
    would otherwise be replaced by its last group. Remembers the SKUs seen (a set of
    keys, not the rows)."""
    seen: set[str] = set()
    group: list[tuple[int, dict[str, Any]]] = []
    key: str | None = None

    def product_of(group: list[tuple[int, dict[str, Any]]], key: str | None) -> Record:
        first_number, first = group[0]
        record = _product(first)
        record.rows, record.cells, record.price_columns = [n for n, _ in group], [c for _, c in group], []
        prices = []
        for offset, (_, cells) in enumerate(group):
            for column in PRODUCT_BASE[1:] if offset else ():
                value = _text(cells.get(column))
                if value is not None and value.strip() and value != _text(first.get(column)):
                    record.errors.append(FieldError(column, f"differs from the product's first row (row "
                                                            f"{first_number}): {value!r}"))
                    record.error_rows.append(offset)
            tier, currency, price = (_text(cells.get(c)) for c in LONG_PRICE_COLUMNS)
            if tier is None and currency is None and price is None:
                continue
            found = {"priceTier": tier, "currencyCode": currency.upper() if currency else None,
                     "price": _number(cells.get("price"))}
            prices.append({k: v for k, v in found.items() if v is not None})
            record.price_rows.append(offset)
        record.item["prices"] = prices
        if key is not None and key in seen:
            record.errors.append(FieldError("sku", f"{key!r} appears again after other products' rows; keep a "
                                                   "product's price rows together (sort the file by sku)"))
            record.error_rows.append(0)
        if key is not None:
            seen.add(key)
        return record

    for number, cells in rows:
        text = _text(cells.get("sku"))
        row_key = normalize_identifier(text)[0] if text and text.strip() else None
        if group and (row_key is None or row_key != key):
            yield product_of(group, key)
            group = []
        group.append((number, cells))
        key = row_key
    if group:
        yield product_of(group, key)


def _customer(cells: dict[str, Any]) -> Record:
    item: dict[str, Any] = {}
    for column in CUSTOMER_HEADER:
        value = _text(cells.get(column))
        if value is not None:
            _put(item, column, value)
    return Record([], [cells], item)


def _order_fields(cells: dict[str, Any], prefix: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in ORDER_HEADER:
        if (prefix is None) == column.startswith("items."):
            continue
        raw = cells.get(column)
        value = _number(raw) if column in _ORDER_NUMBERS else _text(raw)
        if value is not None:
            _put(out, column[len(prefix):] if prefix else column, value)
    return out


def _order_key(cells: dict[str, Any]) -> str | None:
    for column in ("externalId", "orderNumber"):
        value = _text(cells.get(column))
        if value is not None and value.strip():
            return f"{column}:{value.strip()}"
    return None


def _order(group: list[tuple[int, dict[str, Any]]]) -> Record:
    first = group[0][1]
    item = _order_fields(first, None)
    item["items"] = [_order_fields(cells, "items.") for _, cells in group]
    record = Record([n for n, _ in group], [c for _, c in group], item)
    if _order_key(first) is None:
        record.errors.append(FieldError(
            "externalId", "is required in a file (or orderNumber), so that importing the file again updates "
                          "the same order instead of adding it twice"))
    return record


def flatten_order(order: Any) -> list[dict[str, Any]]:
    """An order of the bulk JSON shape as the order-history layout's rows (one a line)."""
    if not isinstance(order, dict):
        return [{"externalId": _text(order) if not isinstance(order, list | dict) else ""}]
    base: dict[str, Any] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key != "items" or path:
                    walk(inner, f"{path}.{key}" if path else key)
        elif path in ORDER_HEADER:
            base[path] = value

    walk(order, "")
    items = order.get("items") if isinstance(order.get("items"), list) else []
    rows = []
    for line in items or [{}]:
        row = dict(base)
        if isinstance(line, dict):
            for key, value in line.items():
                if f"items.{key}" in ORDER_HEADER:
                    row[f"items.{key}"] = value
        rows.append(row)
    return rows


def records(kind: str, header: list[str], rows: Iterable[tuple[int, list[Any]]]) -> Iterator[Record]:
    """The file's items, each with its rows; an order's rows are consecutive rows with
    the same externalId (or orderNumber)."""
    def cells_of(values: list[Any]) -> dict[str, Any]:
        return {name: value for name, value in zip(header, values, strict=False) if name}

    if kind == PRODUCTS and is_long_layout(header):
        yield from _long_products((number, cells_of(values)) for number, values in rows)
        return
    if kind == PRODUCTS or kind == CUSTOMERS:
        build = _product if kind == PRODUCTS else _customer
        for number, values in rows:
            record = build(cells_of(values))
            record.rows = [number]
            yield record
        return
    group: list[tuple[int, dict[str, Any]]] = []
    key: str | None = None
    for number, values in rows:
        cells = cells_of(values)
        row_key = _order_key(cells)
        if group and (row_key is None or row_key != key):
            yield _order(group)
            group = []
        group.append((number, cells))
        key = row_key
    if group:
        yield _order(group)


def json_records(orders: Iterable[tuple[int, Any]]) -> Iterator[Record]:
    for number, order in orders:
        yield Record([number], [{"_lines": flatten_order(order)}], order)


# --------------------------------------------------------------------------- stored files


class StoredFile(io.RawIOBase):
    """An uploaded file read back from its pieces, seekable, one piece in memory."""

    def __init__(self, engine: Engine, organization_id: str, import_id: str, size: int):
        self.engine, self.org_id, self.import_id, self.size = engine, organization_id, import_id, size
        self.pos = 0
        self._seq: int | None = None
        self._data = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer: Any) -> int:
        if self.pos >= self.size:
            return 0
        seq, start = divmod(self.pos, CHUNK_BYTES)
        if seq != self._seq:
            table = ImportChunk.__table__
            with self.engine.connect() as conn:
                self._data = conn.execute(select(table.c.data).where(
                    table.c.organization_id == self.org_id, table.c.import_id == self.import_id,
                    table.c.seq == seq)).scalar_one()
            self._seq = seq
        piece = self._data[start:start + len(buffer)]
        buffer[:len(piece)] = piece
        self.pos += len(piece)
        return len(piece)


def open_stored(engine: Engine, imp: FileImport) -> IO[bytes]:
    return io.BufferedReader(StoredFile(engine, imp.organization_id, imp.id, imp.size), buffer_size=256 * 1024)


def store_upload(session: Session, actor: Actor, kind: str, file_name: str, stream: IO[bytes]) -> FileImport:
    """Store an uploaded file (refused beyond the size limit) and queue its dry run."""
    _require(actor, kind)
    file_name = (file_name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"
    import_id = guid()
    head = stream.read(CHUNK_BYTES)
    if not head:
        raise FileRefused("The file is empty.")
    file_format = tabular.detect_format(file_name, head[:64])
    if file_format == tabular.JSON and kind != ORDERS:
        raise FileRefused("JSON files are for order history; products and customers come as CSV or XLSX.")
    now = utcnow()
    session.add(FileImport(organization_id=actor.organization_id, id=import_id, kind=kind, file_name=file_name,
                           file_format=file_format, size=0, state="uploaded", created_by=actor.name,
                           created_by_user_id=actor.user_id, created_at=now))
    session.flush()
    size, seq, piece = 0, 0, head
    while piece:
        size += len(piece)
        if size > tabular.MAX_BYTES:
            session.rollback()
            raise FileRefused(tabular.too_big_message())
        bulk_insert(session, ImportChunk.__table__,
                    [{"organization_id": actor.organization_id, "import_id": import_id, "seq": seq, "data": piece}])
        seq += 1
        piece = stream.read(CHUNK_BYTES)
    imp = session.get(FileImport, (actor.organization_id, import_id))
    imp.size = size
    session.commit()
    job = jobs.enqueue(session, actor, "imports.check", {"import": import_id}, idempotency_key=f"import-check:{import_id}")
    imp = session.get(FileImport, (actor.organization_id, import_id), populate_existing=True)
    imp.check_job_id, imp.state = job.id, "checking"
    session.commit()
    return imp


def get_import(session: Session, actor: Actor, import_id: str) -> FileImport:
    imp = session.get(FileImport, (actor.organization_id, import_id), populate_existing=True) \
        if isinstance(import_id, str) and len(import_id) <= 36 else None
    if imp is None or not can_import(actor, imp.kind):
        raise NotFound("No such import.")
    return imp


def list_imports(session: Session, actor: Actor, limit: int = 50) -> list[FileImport]:
    kinds = kinds_for(actor)
    return list(session.scalars(
        select(FileImport).where(FileImport.organization_id == actor.organization_id, FileImport.kind.in_(kinds))
        .order_by(FileImport.created_at.desc(), FileImport.id).limit(limit)))


def request_apply(session: Session, actor: Actor, import_id: str, error_policy: str) -> FileImport:
    """Queue the apply of a dry-run import with the chosen error policy."""
    imp = get_import(session, actor, import_id)
    if error_policy not in POLICY_LABELS:
        raise ValidationFailed([FieldError("errorPolicy", f"must be one of {', '.join(POLICY_LABELS)}")])
    if imp.state != "checked":
        raise ValidationFailed([FieldError("import", "can be imported once, after its dry run")],
                               detail="This file can be imported once, after its dry run.")
    rejected = (imp.check_counts or {}).get(REJECTED, 0)
    if error_policy == REJECT_ALL and rejected:
        message = (f"All or nothing would import nothing: {rejected:,} row{'s are' if rejected != 1 else ' is'} "
                   "rejected. Fix them and upload the file again, or import the good rows.")
        raise ValidationFailed([FieldError("errorPolicy", message)], detail=message)
    total = (imp.check_counts or {}).get("rows")
    job = jobs.enqueue(session, actor, "imports.apply", {"import": imp.id, "errorPolicy": error_policy},
                       idempotency_key=f"import-apply:{imp.id}", total=total)
    imp = session.get(FileImport, (actor.organization_id, imp.id), populate_existing=True)
    imp.apply_job_id, imp.error_policy, imp.state = job.id, error_policy, "applying"
    session.commit()
    return imp


def result_rows(session: Session, imp: FileImport, phase: str, status: str, limit: int = 200) -> list[ImportRow]:
    return list(session.scalars(
        select(ImportRow).where(ImportRow.organization_id == imp.organization_id, ImportRow.import_id == imp.id,
                                ImportRow.phase == phase, ImportRow.status == status)
        .order_by(ImportRow.row_number).limit(limit)))


def rejected_file(session: Session, imp: FileImport) -> Iterator[bytes]:
    """The rejected rows as CSV, the file's columns and an ``error`` column (ignored on
    the next upload): fix them and upload this file."""
    phase = APPLY if imp.apply_counts else CHECK
    header = [h for h in (imp.check_counts or {}).get("header") or header_for(
        session.get(Organization, imp.organization_id), imp.kind) if h]
    table = ImportRow.__table__

    def rows() -> Iterator[list[Any]]:
        stmt = (select(table.c.cells, table.c.errors).where(
            table.c.organization_id == imp.organization_id, table.c.import_id == imp.id, table.c.phase == phase,
            table.c.status == REJECTED).order_by(table.c.row_number))
        for cells, errors in session.execute(stmt.execution_options(yield_per=1000)):
            cells = cells or {}
            message = "; ".join(f"{e['column']}: {e['message']}" if e["column"] else e["message"]
                                for e in errors or [])
            for line in cells.get("_lines") or [cells]:
                yield [line.get(h) for h in header] + [message]

    return tabular.write_csv([*header, "error"], rows())


# --------------------------------------------------------------------------- reading a stored file


def _open_records(engine: Engine, imp: FileImport) -> tuple[list[str], Iterator[Record]]:
    stream = open_stored(engine, imp)
    if imp.file_format == tabular.JSON:
        return list(ORDER_HEADER), json_records(tabular.read_json_orders(stream))
    if imp.file_format == tabular.XLSX:
        header, rows = tabular.read_xlsx(stream)
    else:
        header, rows = tabular.read_csv(stream)
    return header, records(imp.kind, header, rows)


def count_rows(engine: Engine, imp: FileImport) -> int:
    """Data rows in the file (stops counting past the limit)."""
    stream = open_stored(engine, imp)
    if imp.file_format == tabular.JSON:
        rows: Iterator[Any] = tabular.read_json_orders(stream)
    elif imp.file_format == tabular.XLSX:
        return tabular.xlsx_row_count(stream)
    else:
        rows = tabular.read_csv(stream)[1]
    count = 0
    for _ in rows:
        count += 1
        if count > tabular.MAX_ROWS:
            break
    return count


# --------------------------------------------------------------------------- dry run and apply


def _catalog_outcomes(session: Session, actor: Actor, kind: str, batch: list[Record], dry_run: bool,
                      policy: str) -> list[Outcome]:
    upsert = catalog.upsert_products if kind == PRODUCTS else catalog.upsert_customers
    readable = [r for r in batch if not r.errors]
    results = iter(upsert(session, actor, [r.item for r in readable], error_policy=policy, dry_run=dry_run,
                          commit=False) if readable else [])
    out = []
    for record in batch:
        if record.errors:
            key = _text(record.cells[0].get("sku" if kind == PRODUCTS else "customerNumber"))
            out.append(Outcome(REJECTED, key, errors=[
                (offset, e.field, e.message) for offset, e in zip(record.error_rows, record.errors, strict=True)]))
            continue
        result = next(results)
        status = REJECTED if result.status == catalog.FAILED else result.status
        outcome = Outcome(status, result.key)
        for name, (old, new) in result.changes.items():
            if name.startswith("prices."):
                _, tier, currency = name.split(".", 2)
                name = price_header(tier, currency)
            outcome.changes.append([name, _plain(old), _plain(new)])
        for error in result.errors:
            outcome.errors.append((*_catalog_place(error.field, record), error.message))
        out.append(outcome)
    return out


def _catalog_place(path: str, record: Record) -> tuple[int, str]:
    """An error's path as (row offset, column): a price's error is on its column (wide
    layout) or on its row, in the column of its field (long layout)."""
    match = re.match(r"^prices\[(\d+)\]\.?(.*)$", path or "")
    if match and int(match.group(1)) < len(record.price_rows):
        return record.price_rows[int(match.group(1))], match.group(2) or "price"
    if match and int(match.group(1)) < len(record.price_columns):
        return 0, record.price_columns[int(match.group(1))]
    return 0, path


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(money.to_json_number(value), "f")
    if isinstance(value, dict):
        return ", ".join(f"{v}" for v in value.values())
    return value


_ORDER_PATH = re.compile(r"^orders\[\d+\]\.?")
_ITEM_PATH = re.compile(r"^items\[(\d+)\]\.?(.*)$")


def _order_error(error: FieldError, record: Record) -> tuple[int, str, str]:
    path = _ORDER_PATH.sub("", error.field or "")
    match = _ITEM_PATH.match(path)
    if match:
        offset = int(match.group(1))
        return (offset if offset < len(record.rows) else 0,
                f"items.{match.group(2)}" if match.group(2) else "items", error.message)
    return 0, path, error.message


def _order_outcomes(session: Session, actor: Actor, batch: list[Record], dry_run: bool,
                    policy: str) -> list[Outcome]:
    out: list[Outcome | None] = [None] * len(batch)
    todo = []
    for i, record in enumerate(batch):
        if record.errors:
            out[i] = Outcome(REJECTED, None, errors=[_order_error(e, record) for e in record.errors])
        else:
            todo.append(i)
    if todo:
        payloads = [batch[i].item for i in todo]
        slots = order_service.import_orders(session, actor, payloads, REJECT_FAILED if dry_run else policy,
                                            dry_run=dry_run, commit=False)
        for i, slot in zip(todo, slots, strict=True):
            record = batch[i]
            key = _order_key(record.cells[0])
            key = key.split(":", 1)[1] if key else None
            if slot.errors:
                out[i] = Outcome(REJECTED, key, errors=[_order_error(e, record) for e in slot.errors])
            elif slot.result.created:
                out[i] = Outcome(CREATED, key)
            elif slot.result.changed:
                out[i] = Outcome(UPDATED, key, changes=[[c.field, _plain(c.old), _plain(c.new)]
                                                        for c in slot.result.changes])
            else:
                out[i] = Outcome(UNCHANGED, key)
    return [o for o in out if o is not None]


class ApplyStopped(Exception):
    """All or nothing met a rejected row while applying (the data changed since the dry
    run): the whole file's writes are rolled back."""


def process_batch(session: Session, actor: Actor, imp: FileImport, phase: str, batch: list[Record],
                  policy: str) -> list[Outcome]:
    dry_run = phase == CHECK
    if imp.kind == ORDERS:
        try:
            outcomes = _order_outcomes(session, actor, batch, dry_run, policy)
        except ValidationFailed as exc:
            raise ApplyStopped(exc.errors[0].message if exc.errors else str(exc)) from exc
    else:
        outcomes = _catalog_outcomes(session, actor, imp.kind, batch, dry_run, policy)
        if not dry_run and policy == REJECT_ALL:
            for record, outcome in zip(batch, outcomes, strict=True):
                if outcome.status == REJECTED:
                    raise ApplyStopped(f"row {record.rows[0]}: " + "; ".join(f"{c}: {m}" for _, c, m in outcome.errors))
    return outcomes


def _row_values(imp: FileImport, phase: str, record: Record, outcome: Outcome) -> list[dict[str, Any]]:
    rows = []
    for offset, number in enumerate(record.rows):
        errors = [{"column": c, "message": m} for o, c, m in outcome.errors if o == offset]
        rows.append({
            "organization_id": imp.organization_id, "import_id": imp.id, "phase": phase, "row_number": number,
            "status": outcome.status, "key": (outcome.key or "")[:200] or None,
            "changes": outcome.changes if offset == 0 and outcome.changes else None,
            "errors": errors or None,
            "cells": ({k: _json_cell(v) for k, v in record.cells[min(offset, len(record.cells) - 1)].items() if k}
                      if outcome.status == REJECTED else None),
        })
    return rows


def _json_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return [{k: _json_cell(v) for k, v in line.items()} if isinstance(line, dict) else str(line) for line in value]
    if isinstance(value, dict):
        return str(value)
    return value


def _fresh_counts(rows: int | None = None) -> dict[str, Any]:
    return {CREATED: 0, UPDATED: 0, UNCHANGED: 0, REJECTED: 0, "items": 0, "rows": rows or 0}


def run_phase(session: Session, actor: Actor, imp: FileImport, phase: str, *, done: int = 0,
              progress: Callable[[int, int | None], None], policy: str = REJECT_FAILED,
              note: Callable[[int, int | None], None] | None = None) -> dict[str, Any]:
    """Read the stored file and dry-run (``check``) or apply it, in batches of about a
    thousand rows. Returns the counts.

    ``progress(rows done, total)`` commits: a batch's writes, its result rows and the
    job's progress land together, so a job resumed after ``done`` rows applies nothing
    twice. Applying "all or nothing" (``rejectAll``) keeps the whole file in one
    transaction instead, committed by the last ``progress`` call: a row rejected in any
    batch rolls every batch back, and a resumed attempt starts from the first row
    (nothing of an interrupted one was kept). Meanwhile ``note`` shows the progress
    without committing. The file is streamed either way; only a batch is in memory."""
    engine = session.get_bind()
    all_or_nothing = phase == APPLY and policy == REJECT_ALL
    if all_or_nothing:
        done = 0
    counts_attr = "check_counts" if phase == CHECK else "apply_counts"
    if phase == CHECK and not done:
        total = count_rows(engine, imp)
        if total > tabular.MAX_ROWS:
            raise FileRefused(tabular.too_many_rows_message(total))
    else:
        total = (imp.check_counts or {}).get("rows")
    if not done:
        session.execute(delete(ImportRow).where(ImportRow.organization_id == imp.organization_id,
                                                ImportRow.import_id == imp.id, ImportRow.phase == phase))
        setattr(imp, counts_attr, _fresh_counts(total))
        progress(0, total)
    header, items = _open_records(engine, imp)
    if phase == CHECK and not done:
        imp.check_counts = {**(imp.check_counts or {}), "header": header}
    if phase == CHECK and header and imp.file_format != tabular.JSON:
        key_column = {PRODUCTS: "sku", CUSTOMERS: "customerNumber", ORDERS: "externalId"}[imp.kind]
        if key_column not in header and not (imp.kind == ORDERS and "orderNumber" in header):
            raise FileRefused(f"The first row must hold the column names, among them {key_column} "
                              f"(download the template to see them). Found: {', '.join(h for h in header if h)[:300]}.")
    seen = 0
    batch: list[Record] = []
    batch_rows = 0

    def flush() -> None:
        nonlocal batch, batch_rows
        outcomes = process_batch(session, actor, imp, phase, batch, policy)
        counts = dict(getattr(session.get(FileImport, (imp.organization_id, imp.id)), counts_attr) or _fresh_counts(total))
        rows: list[dict[str, Any]] = []
        for record, outcome in zip(batch, outcomes, strict=True):
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            counts["items"] = counts.get("items", 0) + 1
            if outcome.status != UNCHANGED:
                rows.extend(_row_values(imp, phase, record, outcome))
        bulk_insert(session, ImportRow.__table__, rows)
        current = session.get(FileImport, (imp.organization_id, imp.id))
        setattr(current, counts_attr, counts)
        if all_or_nothing:
            session.flush()
            if note is not None:
                note(seen, total)
        else:
            progress(seen, total)
        batch, batch_rows = [], 0

    for record in items:
        seen += len(record.rows)
        if seen <= done:
            continue
        batch.append(record)
        batch_rows += len(record.rows)
        if batch_rows >= BATCH_ROWS:
            flush()
    if batch:
        flush()
    if all_or_nothing:
        progress(seen, total)
    current = session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    return dict(getattr(current, counts_attr) or {})


def _actor_for(session: Session, imp: FileImport) -> Actor:
    from app.services.accounts import actor_for_user

    user = session.get(User, imp.created_by_user_id) if imp.created_by_user_id else None
    if user is None or not user.active:
        raise PermissionDenied("The user who uploaded the file can no longer import it.")
    return actor_for_user(user)


def _job(ctx: jobs.JobContext, phase: str) -> dict[str, Any]:
    session = ctx.session
    imp = session.get(FileImport, (ctx.organization_id, ctx.params["import"]), populate_existing=True)
    if imp is None:
        return {"refused": "The import no longer exists."}
    policy = ctx.params.get("errorPolicy") or REJECT_FAILED
    base = {"import": imp.id, "kind": imp.kind, "phase": phase}
    try:
        actor = _actor_for(session, imp)
        counts = run_phase(session, actor, imp, phase, done=ctx.done, progress=ctx.progress, policy=policy,
                           note=ctx.note_progress)
    except (FileRefused, PermissionDenied, ApplyStopped) as exc:
        session.rollback()
        message = exc.message if isinstance(exc, FileRefused) else str(exc)
        if isinstance(exc, ApplyStopped):
            message = ("All or nothing stopped: a row was rejected while importing (the data changed since the "
                       f"dry run): {message}. Nothing was imported; run the dry run again.")
        imp = session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
        if phase == APPLY and policy == REJECT_ALL:
            imp.apply_counts = None  # nothing was applied: the dry run's results stand
        imp.state = "refused" if phase == CHECK else "failed"
        imp.error = message[:2000]
        session.commit()
        return {**base, "refused": message}
    imp = session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    imp.state = "checked" if phase == CHECK else "applied"
    if phase == APPLY:
        imp.applied_at = utcnow()
    session.commit()
    return {**base, **{k: v for k, v in counts.items() if k != "header"}}


@jobs.handler("imports.check")
def check_job(ctx: jobs.JobContext) -> dict[str, Any]:
    return _job(ctx, CHECK)


@jobs.handler("imports.apply")
def apply_job(ctx: jobs.JobContext) -> dict[str, Any]:
    return _job(ctx, APPLY)


# --------------------------------------------------------------------------- exports


def export_rows(session: Session, actor: Actor, kind: str) -> tuple[list[str], Iterator[list[Any]]]:
    """The catalog or the directory in the import's layout, streamed a thousand at a time."""
    org = session.get(Organization, actor.organization_id)
    header = header_for(org, kind)
    if kind == PRODUCTS:
        return header, _product_rows(session, org, header)
    if kind == CUSTOMERS:
        return header, _customer_rows(session, org)
    raise NotFound("No such export.")


def _product_rows(session: Session, org: Organization, header: list[str]) -> Iterator[list[Any]]:
    table, prices = Product.__table__, ProductPrice.__table__
    price_columns = header[len(PRODUCT_BASE):]
    after = ""
    while True:
        page = session.execute(
            select(table.c.id, table.c.sku, table.c.name, table.c.minimum_order_quantity,
                   table.c.quantity_increment, table.c.active)
            .where(table.c.organization_id == org.id, table.c.sku > after).order_by(table.c.sku).limit(1000)).all()
        if not page:
            return
        by_id: dict[str, dict[str, Any]] = {row.id: {} for row in page}
        for pid, tier, currency, price in session.execute(
                select(prices.c.product_id, prices.c.price_tier, prices.c.currency_code, prices.c.price)
                .where(in_list(prices.c.product_id, by_id))):
            by_id[pid][price_header(tier, currency)] = money.to_json_number(price)
        for row in page:
            found = by_id[row.id]
            yield [row.sku, row.name, row.minimum_order_quantity, row.quantity_increment, bool(row.active),
                   *(found.get(c) for c in price_columns)]
        after = page[-1].sku


def _customer_rows(session: Session, org: Organization) -> Iterator[list[Any]]:
    table = Customer.__table__
    after = ""
    while True:
        page = session.execute(select(table).where(table.c.organization_id == org.id,
                                                   table.c.customer_number > after)
                               .order_by(table.c.customer_number).limit(1000)).mappings().all()
        if not page:
            return
        for row in page:
            wire = catalog.customer_wire(dict(row))
            out = []
            for column in CUSTOMER_HEADER:
                if "." in column:
                    group, name = column.split(".", 1)
                    out.append((wire.get(group) or {}).get(name))
                else:
                    out.append(wire.get(column))
            yield out
        after = page[-1]["customer_number"]


def count_in(session: Session, actor: Actor, kind: str) -> int:
    model = Product if kind == PRODUCTS else Customer
    return session.scalar(select(func.count()).select_from(model).where(
        model.organization_id == actor.organization_id)) or 0
