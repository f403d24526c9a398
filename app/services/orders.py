"""Creating, importing and changing orders.

Single create and bulk import share one writer: parse and validate every order,
match existing orders (externalId first, then orderNumber), then write set-based
(Core inserts and executemany updates) inside one retried transaction."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from app import metrics
from app.db.models import (
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    Organization,
    Product,
    SalesRep,
    utcnow,
)
from app.db.tx import bulk_insert, in_list, insert_ignoring_duplicates, run_in_transaction
from app.db.types import guid
from app.domain import money, workflow
from app.domain.errors import (
    AmountsConflict,
    FieldError,
    NotFound,
    PermissionDenied,
    StateLocked,
    ValidationFailed,
    VersionConflict,
)
from app.domain.orders import (
    CatalogRule,
    Change,
    OrderInput,
    OrderRules,
    RepInput,
    Totals,
    compute_totals,
    diff,
    format_datetime,
    is_valid_text,
    order_totals,
    parse_order,
)
from app.domain.updates import parse_customer_update, parse_shipping_update
from app.services import approvals, facets, summaries, visibility
from app.services.context import Actor
from app.services.numbering import reserve_order_numbers
from app.shapes.orders import MAX_BULK, LineItemInput, stored_paths
from app.shapes.orders import CustomerUpdate as CustomerUpdateShape

REJECT_ALL, REJECT_FAILED = "rejectAll", "rejectFailed"
ERROR_POLICIES = (REJECT_ALL, REJECT_FAILED)


@dataclass(frozen=True)
class WriteResult:
    """One order written: 201 semantics when ``created``, 200 when an update."""

    id: str
    order_number: str
    created: bool
    changed: bool = True
    # Each changed field of an update (path, old, new); empty for a create.
    changes: tuple[Change, ...] = ()


@dataclass
class ImportSlot:
    """One submitted order of a bulk import: a result or its errors."""

    index: int
    result: WriteResult | None = None
    errors: list[FieldError] = field(default_factory=list)


# --------------------------------------------------------------------------- loading


def load_org(session: Session, organization_id: str) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound("Organization not found.")
    return org


def get_order(session: Session, actor: Actor, order_id: str, *, for_update: bool = False) -> Order:
    """The order with ``order_id`` in the actor's organization and visible to them;
    anything else is NotFound, exactly like an id that does not exist. ``for_update``
    locks the row (PostgreSQL) so a change is checked against the latest state."""
    if not isinstance(order_id, str) or len(order_id) > 36:
        raise NotFound("No order with this id.")
    stmt = select(Order).where(Order.id == order_id, Order.organization_id == actor.organization_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    order = session.scalar(stmt)
    if order is None or not can_see(actor, order):
        raise NotFound("No order with this id.")
    return order


def can_see(actor: Actor, order: Order) -> bool:
    return visibility.is_visible(actor, order.primary_rep_number, order.taken_by_rep_number)


def _check_creator_keeps_sight(actor: Actor, order: OrderInput) -> None:
    """A rep cannot create an order they would not see: they must be its primary or
    taken-by rep (the builder fills both with them; changing both is refused here)."""
    taken_by = order.taken_by_rep.rep_number if order.taken_by_rep else None
    if not visibility.is_visible(actor, order.primary_rep.rep_number, taken_by):
        mine = " or ".join(actor.rep_numbers) or "your rep number"
        raise ValidationFailed([FieldError(
            "takenBySalesRep.repNumber",
            f"must be you ({mine}) when someone else is the primary rep: reps see only the orders they are a rep on",
        )])


def _catalog(session: Session, org_id: str, skus: set[str]) -> dict[str, CatalogRule]:
    if not skus:
        return {}
    rows = session.execute(
        select(Product.sku, Product.name, Product.minimum_order_quantity, Product.quantity_increment)
        .where(Product.organization_id == org_id, in_list(Product.sku, skus))
    )
    return {sku: CatalogRule(name, moq, inc) for sku, name, moq, inc in rows}


def _skus_in(payloads: Sequence[Any]) -> set[str]:
    skus: set[str] = set()
    for payload in payloads:
        items = payload.get("items") if type(payload) is dict or isinstance(payload, Mapping) else None
        if isinstance(items, list):
            for item in items:
                sku = item.get("sku") if type(item) is dict or isinstance(item, Mapping) else None
                # Only what could be a valid SKU is looked up; the parser reports the rest.
                if isinstance(sku, str) and 0 < len(sku.strip()) <= 100 and is_valid_text(sku) \
                        and "\x00" not in sku:
                    skus.add(sku.strip())
    return skus


# --------------------------------------------------------------------------- create / import


def create_order(session: Session, actor: Actor, payload: Any) -> WriteResult:
    """POST /api/orders and the web builder: validate (catalog quantity rules
    enforced), then create, or update in place the order with the same externalId."""

    def work() -> WriteResult:
        org = load_org(session, actor.organization_id)
        rules = OrderRules(
            tiers=org.price_tiers, catalog=_catalog(session, org.id, _skus_in([payload])),
            enforce_catalog=True, allow_import_fields=False,
        )
        order, errors = parse_order(payload, rules)
        if errors:
            raise ValidationFailed(errors)
        _check_creator_keeps_sight(actor, order)
        # A single create carries no orderNumber, so it can only match by externalId.
        matched = _match_existing(session, org, [(0, order)], bulk=False)
        todo = [(order, matched.existing.get(0))]
        assessments = _assess(session, org, todo)
        if assessments[0].refusal:
            raise StateLocked(assessments[0].refusal)
        return _write(session, org, actor, todo, source="api", assessments=assessments)[0]

    result = run_in_transaction(session, work)
    metrics.record_orders_written("create", [result])
    return result


@dataclass
class _Existing:
    """A stored order as plain column values plus its lines (no ORM objects: an import
    compares up to a thousand of them)."""

    row: Mapping[str, Any]
    lines: list[Mapping[str, Any]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.row[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@dataclass
class _Matches:
    existing: dict[int, _Existing]
    slot_errors: dict[int, list[FieldError]]


def import_orders(
    session: Session, actor: Actor, payloads: Any, error_policy: str = REJECT_ALL, *, dry_run: bool = False,
    commit: bool = True,
) -> list[ImportSlot]:
    """POST /api/orders/bulk: idempotent by externalId (then orderNumber); catalog
    quantity rules are recorded but not enforced. With ``rejectAll`` any invalid order
    rejects the whole request (nothing written); with ``rejectFailed`` the valid ones
    are written and the invalid ones come back with their errors. A ``dry_run`` reads,
    matches and compares exactly the same way and writes nothing (new orders without an
    orderNumber get theirs only when applied). ``commit=False`` leaves the writes in the
    caller's open transaction (a file import commits them with its progress)."""
    if error_policy not in ERROR_POLICIES:
        raise ValidationFailed([FieldError("errorPolicy", f"must be one of {', '.join(ERROR_POLICIES)}")])
    if not isinstance(payloads, list):
        raise ValidationFailed([FieldError("orders", "must be an array of orders")])
    if not 1 <= len(payloads) <= MAX_BULK:
        raise ValidationFailed([FieldError("orders", f"must contain between 1 and {MAX_BULK} orders (got {len(payloads)})")])

    def work() -> list[ImportSlot]:
        org = load_org(session, actor.organization_id)
        rules = OrderRules(
            # History is what it was: a tier since retired is still a valid one to import.
            tiers=org.settings_lists.names("priceTier", include_retired=True),
            catalog=_catalog(session, org.id, _skus_in(payloads)),
            enforce_catalog=False, allow_import_fields=True,
        )
        slots = [ImportSlot(i) for i in range(len(payloads))]
        parsed: list[tuple[int, OrderInput]] = []
        for i, payload in enumerate(payloads):
            order, errors = parse_order(payload, rules, path=f"orders[{i}]")
            if errors:
                slots[i].errors = errors
            else:
                parsed.append((i, order))
        _flag_duplicates(parsed, slots)
        parsed = [(i, o) for i, o in parsed if not slots[i].errors]
        matched = _match_existing(session, org, parsed, bulk=True)
        for i, errs in matched.slot_errors.items():
            slots[i].errors.extend(errs)
        parsed = [(i, o) for i, o in parsed if not slots[i].errors]
        assessed = dict(zip((i for i, _ in parsed),
                            _assess(session, org, [(o, matched.existing.get(i)) for i, o in parsed]), strict=True))
        for i, assessment in assessed.items():
            if assessment.refusal:
                slots[i].errors.append(FieldError(f"orders[{i}].orderStatus", assessment.refusal))
        all_errors = [e for slot in slots for e in slot.errors]
        if all_errors and error_policy == REJECT_ALL:
            failed = sum(1 for slot in slots if slot.errors)
            raise ValidationFailed(
                all_errors,
                detail=f"{failed} of {len(slots)} orders are invalid; nothing was imported.",
            )
        todo = [(i, o) for i, o in parsed if not slots[i].errors]
        results = _write(session, org, actor, [(o, matched.existing.get(i)) for i, o in todo], source="import",
                         assessments=[assessed[i] for i, _ in todo], dry_run=dry_run)
        for (i, _), result in zip(todo, results, strict=True):
            slots[i].result = result
        return slots

    if dry_run:
        try:
            return work()
        finally:
            session.rollback()
    slots = run_in_transaction(session, work) if commit else work()
    metrics.record_orders_written("import", [slot.result for slot in slots])
    return slots


def _flag_duplicates(parsed: list[tuple[int, OrderInput]], slots: list[ImportSlot]) -> None:
    """Two orders of one request with the same externalId or orderNumber both fail."""
    for attr, label in (("external_id", "externalId"), ("order_number", "orderNumber")):
        seen: dict[str, list[int]] = {}
        for i, order in parsed:
            value = getattr(order, attr)
            if value is not None:
                seen.setdefault(value, []).append(i)
        for value, indexes in seen.items():
            if len(indexes) > 1:
                for i in indexes:
                    others = ", ".join(f"orders[{j}]" for j in indexes if j != i)
                    slots[i].errors.append(FieldError(
                        f"orders[{i}].{label}",
                        f"{label} {value!r} appears more than once in this request (also in {others})",
                    ))


def _match_existing(
    session: Session, org: Organization, parsed: list[tuple[int, OrderInput]], *, bulk: bool,
) -> _Matches:
    """Existing order per submitted order: by externalId first, then by orderNumber.
    Pointing at two different orders is a conflict for that order."""
    matches = _Matches({}, {})
    ext_ids = {o.external_id for _, o in parsed if o.external_id}
    numbers = {o.order_number for _, o in parsed if o.order_number}
    if not ext_ids and not numbers:
        return matches
    conditions = []
    if ext_ids:
        conditions.append(in_list(Order.__table__.c.external_id, ext_ids))
    if numbers:
        conditions.append(in_list(Order.__table__.c.order_number, numbers))
    table, lines_table = Order.__table__, OrderLine.__table__
    rows = [
        _Existing(row) for row in
        session.execute(
            # Locked (PostgreSQL) so concurrent writers of the same order apply one after the other.
            select(table).where(table.c.organization_id == org.id, or_(*conditions))
            .order_by(table.c.id).with_for_update()
        ).mappings()
    ]
    if rows:
        by_id = {o.id: o for o in rows}
        line_rows = session.execute(
            select(lines_table).where(in_list(lines_table.c.order_id, by_id)).order_by(lines_table.c.order_id, lines_table.c.line_no)
        ).mappings()
        for line in line_rows:
            by_id[line["order_id"]].lines.append(line)
    by_ext = {o.external_id: o for o in rows if o.external_id}
    by_num = {o.order_number: o for o in rows}
    for i, order in parsed:
        a = by_ext.get(order.external_id) if order.external_id else None
        b = by_num.get(order.order_number) if order.order_number else None
        prefix = f"orders[{i}]." if bulk else ""
        if a is not None and b is not None and a.id != b.id:
            message = (
                f"externalId {order.external_id!r} matches order {a.order_number} but "
                f"orderNumber {order.order_number!r} belongs to another order"
            )
            matches.slot_errors.setdefault(i, []).append(FieldError(f"{prefix}orderNumber", message))
        elif a is None and b is not None and b.external_id and order.external_id \
                and b.external_id != order.external_id:
            message = (
                f"orderNumber {order.order_number!r} belongs to an order with externalId "
                f"{b.external_id!r}, not {order.external_id!r}"
            )
            matches.slot_errors.setdefault(i, []).append(FieldError(f"{prefix}externalId", message))
        elif a is not None or b is not None:
            matches.existing[i] = a or b
    claimed: dict[str, list[int]] = {}
    for i, existing in matches.existing.items():
        claimed.setdefault(existing.id, []).append(i)
    for indexes in claimed.values():
        if len(indexes) < 2:
            continue
        number = matches.existing[indexes[0]].order_number
        for i in indexes:
            others = ", ".join(f"orders[{j}]" for j in indexes if j != i)
            matches.slot_errors.setdefault(i, []).append(FieldError(
                f"orders[{i}]", f"matches order {number}, which {others} of this request also matches"))
            del matches.existing[i]
    return matches


# --------------------------------------------------------------------------- writing

# The order's columns a client gives, with the wire path a change lists each under.
_ROW_FIELDS = stored_paths()
# A line's columns are the fields of its input shape, named alike.
_LINE_FIELDS = {name: info.alias for name, info in LineItemInput.model_fields.items()}


def _order_row(order: OrderInput, totals: Totals) -> dict[str, Any]:
    c, p, t = order.customer, order.primary_rep, order.taken_by_rep or RepInput("")
    return {
        "order_date": order.order_date, "order_status": order.order_status,
        "order_type": order.order_type, "po_number": order.po_number,
        "price_tier": order.price_tier, "currency_code": order.currency_code,
        "terms": order.terms, "channel": order.channel, "external_id": order.external_id,
        "notes": order.notes, "origination_cart_id": order.origination_cart_id,
        "customer_number": c.customer_number, "company_name": c.company_name,
        "company_email": c.company_email, "company_phone": c.company_phone,
        "company_fax": c.company_fax, "billing_address": c.billing_address,
        "shipping_address": order.shipping_address,
        "primary_rep_number": p.rep_number, "primary_rep_first_name": p.first_name,
        "primary_rep_last_name": p.last_name, "primary_rep_email": p.email,
        "taken_by_rep_number": t.rep_number or None, "taken_by_rep_first_name": t.first_name,
        "taken_by_rep_last_name": t.last_name, "taken_by_rep_email": t.email,
        "user_id": order.user_id, "user_type": order.user_type,
        "shipping_method": order.shipping_method, "shipping_total": totals.shipping,
        "tax": totals.tax, "discount_amount": totals.discount,
        "subtotal": totals.subtotal, "order_total": totals.total,
    }


def _line_rows(order: OrderInput, totals: Totals, order_id: str, org_id: str) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id, "organization_id": org_id, "line_no": n, "sku": line.sku, "product_name": line.product_name,
            "quantity": line.quantity, "price": line.price,
            "discount_amount": line.discount_amount, "sub_total": totals.line_subtotals[n],
            "minimum_order_quantity": line.minimum_order_quantity,
            "quantity_increment": line.quantity_increment,
        }
        for n, line in enumerate(order.items)
    ]


def _content(row: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The comparable content of an order in wire names, for change detection."""
    content: dict[str, Any] = {wire: _plain(row.get(col)) for col, wire in _ROW_FIELDS.items()}
    content["items"] = [
        {wire: _plain(line.get(col)) for col, wire in _LINE_FIELDS.items()} for line in lines
    ]
    return content


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return format_datetime(value)
    return value




def _assess(session: Session, org: Organization,
            todo: list[tuple[OrderInput, _Existing | None]]) -> list[approvals.Assessment]:
    """The review figures and approval state each order of a write gets (one catalog query)."""
    rules = approvals.settings_of(org)
    prices = approvals.list_prices(session, org.id, {line.sku for o, _ in todo for line in o.items})
    out = []
    for order, existing in todo:
        totals = order_totals(order)
        lines = [approvals.Line(ln.sku, ln.quantity, ln.price, ln.discount_amount) for ln in order.items]
        fig = approvals.figures(lines, order.price_tier, order.currency_code, totals.discount, prices)
        new_status = order.order_status or (existing.order_status if existing else workflow.DEFAULT_STATUS)
        out.append(approvals.assess(
            rules, locale=org.locale, currency=order.currency_code, total=totals.total, fig=fig,
            new_basis=approvals.basis(lines, totals.discount, totals.total),
            old=existing.row if existing else None, old_status=existing.order_status if existing else None,
            new_status=new_status, number=existing.order_number if existing else order.order_number,
        ))
    return out


def _write(
    session: Session, org: Organization, actor: Actor,
    todo: list[tuple[OrderInput, _Existing | None]], *, source: str, dry_run: bool = False,
    assessments: list[approvals.Assessment],
) -> list[WriteResult]:
    """Insert new orders and replace changed existing ones, set-based. A dry run
    computes the same results and writes nothing."""
    now = utcnow()
    _fill_from_directory(session, org, [o for o, _ in todo], dry_run=dry_run)
    new_count = sum(1 for o, existing in todo if existing is None and not o.order_number)
    supplied = {o.order_number for o, _ in todo if o.order_number}
    if dry_run:
        fresh_numbers = iter([""] * new_count)
    else:
        fresh_numbers = iter(reserve_order_numbers(session, org, new_count, supplied) if new_count else [])

    order_inserts: list[dict[str, Any]] = []
    line_inserts: list[dict[str, Any]] = []
    order_updates: list[dict[str, Any]] = []
    replaced_ids: list[str] = []
    events: list[dict[str, Any]] = []
    results: list[WriteResult] = []
    counts = facets.Delta()
    figures = summaries.Delta()
    zone = summaries.zone_of(summaries.keyed_zone(org)) if dry_run else summaries.write_zone(session, org.id)

    for (order, existing), assessment in zip(todo, assessments, strict=True):
        totals = order_totals(order)
        row = _order_row(order, totals)
        row.update(assessment.columns)
        if existing is None:
            order_id = guid()
            number = order.order_number or next(fresh_numbers)
            row.update(
                id=order_id, organization_id=org.id, order_number=number,
                order_date=row["order_date"] or now,
                order_status=row["order_status"] or workflow.DEFAULT_STATUS,
                active=True, created_at=now, updated_at=now, version=1,
            )
            order_inserts.append(row)
            new_lines = _line_rows(order, totals, order_id, org.id)
            line_inserts.extend(new_lines)
            figures.order(row, new_lines, zone)
            events.append(_event(org.id, order_id, actor, "imported" if source == "import" else "created",
                                 f"Order {number} {'imported' if source == 'import' else 'created'}", [], now, 1))
            if assessment.event:
                events.append(_event(org.id, order_id, actor, *assessment.event, [], now, 1))
            results.append(WriteResult(order_id, number, created=True))
            continue
        # An update keeps id, orderNumber and createdAt; omitted status and date keep theirs.
        row["order_date"] = row["order_date"] or existing.order_date
        row["order_status"] = row["order_status"] or existing.order_status
        lines = _line_rows(order, totals, existing.id, org.id)
        old = _content(existing.row, existing.lines)
        new = _content(row, lines)
        changes = [] if old == new else diff(old, new)
        if not changes:
            results.append(WriteResult(existing.id, existing.order_number, created=False, changed=False))
            continue
        if source == "api":
            _check_resubmission(existing, row["order_status"])
        version = (existing.version or 1) + 1
        order_updates.append({**row, "_id": existing.id, "updated_at": now, "version": version})
        counts.update(facets.change(existing.row, row))
        figures.change(existing.row, existing.lines, {**existing.row, **row}, lines, zone)
        replaced_ids.append(existing.id)
        line_inserts.extend(lines)
        events.append(_event(org.id, existing.id, actor,
                             "import_updated" if source == "import" else "updated",
                             f"Order {existing.order_number} updated by re-submission "
                             f"({len(changes)} change{'s' if len(changes) != 1 else ''})",
                             [c.as_dict() for c in changes], now, version))
        if assessment.event:
            events.append(_event(org.id, existing.id, actor, *assessment.event, [], now, version))
        results.append(WriteResult(existing.id, existing.order_number, created=False, changes=tuple(changes)))

    if dry_run:
        return results
    facets.count_new(counts, order_inserts)
    if order_inserts:
        bulk_insert(session, Order.__table__, order_inserts)
    if order_updates:
        table = Order.__table__
        stmt = update(table).where(table.c.id == bindparam("_id")).values(
            {col: bindparam(col) for col in order_updates[0] if col != "_id"}
        )
        session.execute(stmt, order_updates)
        session.execute(delete(OrderLine.__table__).where(in_list(OrderLine.__table__.c.order_id, replaced_ids)))
    if line_inserts:
        bulk_insert(session, OrderLine.__table__, line_inserts)
    if events:
        bulk_insert(session, OrderEvent.__table__, events)
    facets.apply(session, org.id, counts)
    summaries.apply(session, org.id, figures)
    if order_updates:
        session.expire_all()
    return results


def _check_resubmission(existing: _Existing, new_status: str) -> None:
    """A create that re-submits an existing externalId follows the workflow (only an
    import may rewrite history): the order must still be editable and a status change
    must be an allowed transition."""
    if existing.order_status not in workflow.SHIPPING_EDITABLE:
        raise StateLocked(
            f"Order {existing.order_number} is {existing.order_status}; re-submitting its externalId "
            "can no longer change it."
        )
    if new_status != existing.order_status:
        workflow.check_transition(existing.order_status, new_status)


def _event(org_id: str, order_id: str, actor: Actor, kind: str, summary: str,
           changes: list[dict[str, Any]], when: datetime, version: int) -> dict[str, Any]:
    return {
        "organization_id": org_id, "order_id": order_id, "occurred_at": when,
        "actor": actor.name, "kind": kind, "summary": summary, "changes": changes, "order_version": version,
    }


def _fill_from_directory(session: Session, org: Organization, orders: list[OrderInput], *,
                         dry_run: bool = False) -> None:
    """Unknown customers and reps join the directory; known ones fill what the request
    left out of the order's snapshot."""
    if not orders:
        return
    numbers = {o.customer.customer_number for o in orders}
    # Plain rows, not ORM objects: only these columns are read, for up to a thousand of each.
    customers = {
        c.customer_number: c for c in session.execute(
            select(Customer.customer_number, Customer.company_email, Customer.company_phone,
                   Customer.company_fax, Customer.billing_address, Customer.shipping_address)
            .where(Customer.organization_id == org.id, in_list(Customer.customer_number, numbers))
        )
    }
    rep_numbers = {o.primary_rep.rep_number for o in orders} | {
        o.taken_by_rep.rep_number for o in orders if o.taken_by_rep
    }
    reps = {
        r.rep_number: r for r in session.execute(
            select(SalesRep.rep_number, SalesRep.first_name, SalesRep.last_name, SalesRep.email)
            .where(SalesRep.organization_id == org.id, in_list(SalesRep.rep_number, rep_numbers))
        )
    }
    new_customers: dict[str, dict[str, Any]] = {}
    new_reps: dict[str, dict[str, Any]] = {}
    for order in orders:
        c = order.customer
        known = customers.get(c.customer_number)
        if known is not None:
            c.company_email = c.company_email or known.company_email
            c.company_phone = c.company_phone or known.company_phone
            c.company_fax = c.company_fax or known.company_fax
            c.billing_address = c.billing_address or known.billing_address
            order.shipping_address = order.shipping_address or known.shipping_address
        elif c.customer_number not in new_customers:
            new_customers[c.customer_number] = {
                "id": guid(), "organization_id": org.id, "customer_number": c.customer_number,
                "company_name": c.company_name, "company_email": c.company_email,
                "company_phone": c.company_phone, "company_fax": c.company_fax,
                "billing_address": c.billing_address,
                "shipping_address": order.shipping_address or c.shipping_address,
                "default_price_tier": order.price_tier, "default_terms": order.terms,
                "default_currency": order.currency_code, "created_at": utcnow(),
            }
        for rep in filter(None, (order.primary_rep, order.taken_by_rep)):
            known_rep = reps.get(rep.rep_number)
            if known_rep is not None:
                rep.first_name = rep.first_name or known_rep.first_name
                rep.last_name = rep.last_name or known_rep.last_name
                rep.email = rep.email or known_rep.email
            elif rep.rep_number not in new_reps:
                new_reps[rep.rep_number] = {
                    "id": guid(), "organization_id": org.id, "rep_number": rep.rep_number,
                    "first_name": rep.first_name, "last_name": rep.last_name, "email": rep.email,
                }
    if dry_run:
        return
    insert_ignoring_duplicates(session, Customer.__table__, list(new_customers.values()))
    insert_ignoring_duplicates(session, SalesRep.__table__, list(new_reps.values()))


# --------------------------------------------------------------------------- changes to one order


def _record(session: Session, order: Order, actor: Actor, kind: str, summary: str,
            changes: list[Change]) -> None:
    session.add(OrderEvent(
        organization_id=order.organization_id, order_id=order.id, occurred_at=utcnow(),
        actor=actor.name, kind=kind, summary=summary, changes=[c.as_dict() for c in changes],
        order_version=order.version,
    ))


def check_version(order: Order, expected: int | Collection[int] | None) -> None:
    """Refuse a change made on a version of the order that is no longer current (the
    row is locked by the caller, so the comparison holds until commit). ``expected``
    is the version a form was opened on, or the versions an If-Match header names."""
    if expected is None:
        return
    versions = {expected} if isinstance(expected, int) else set(expected)
    if order.version not in versions:
        raise VersionConflict(order.id, order.version, min(versions, default=0))


def update_shipping(session: Session, actor: Actor, order_id: str, payload: Any,
                    expected_version: int | Collection[int] | None = None) -> Order:
    """PUT /shipping: method and total required; shippingAddress optional (omitted keeps,
    null clears). Allowed while Pending or Processing."""
    def work() -> Order:
        order = get_order(session, actor, order_id, for_update=True)
        # A malformed body is answered as such (400/422) before the precondition (412).
        update_ = parse_shipping_update(payload, order.currency_code)
        check_version(order, expected_version)
        workflow.check_shipping_editable(order.order_status)
        before = _snapshot(order, ("shipping_method", "shipping_total", "shipping_address"))
        figures = summaries.snapshot(order)
        order.shipping_method = update_.method
        order.shipping_total = update_.total
        if update_.address_given:
            order.shipping_address = update_.address
        _recompute(order)
        org = load_org(session, order.organization_id)
        approvals.reassess_loaded(session, org, order, actor)
        summaries.record_edit(session, order, figures)
        return _finish_change(session, order, actor, before, "shipping_changed", "Shipping details changed")

    return run_in_transaction(session, work)


def update_customer(session: Session, actor: Actor, order_id: str, payload: Any,
                    expected_version: int | Collection[int] | None = None) -> Order:
    """PUT /customer: customerNumber and companyName required; optional fields omitted
    keep their value, null clears. Allowed unless Cancelled."""
    def work() -> Order:
        order = get_order(session, actor, order_id, for_update=True)
        given = parse_customer_update(payload)
        check_version(order, expected_version)
        workflow.check_customer_editable(order.order_status)
        before = _snapshot(order, tuple(CustomerUpdateShape.model_fields))
        figures = summaries.snapshot(order)
        for column, value in given.items():
            setattr(order, column, value)
        summaries.record_edit(session, order, figures)
        return _finish_change(session, order, actor, before, "customer_changed", "Customer details changed")

    return run_in_transaction(session, work)


def change_status(session: Session, actor: Actor, order_id: str, target: str,
                  expected_version: int | Collection[int] | None = None, *, reason: str | None = None) -> Order:
    """Move an order along the workflow; only managers and admins may. The row lock
    makes concurrent moves of one order apply one after the other: the second sees
    the first's status (and version) and is checked against it. A ``reason``
    (required to cancel in bulk) is kept in the history with the change."""

    def work() -> Order:
        if not actor.is_manager and actor.token_id is None:
            raise PermissionDenied("Only managers and admins change an order's status.")
        order = get_order(session, actor, order_id, for_update=True)
        check_version(order, expected_version)
        if target not in workflow.STATUSES:
            raise ValidationFailed([FieldError("orderStatus", f"must be one of {', '.join(workflow.STATUSES)}")])
        workflow.check_transition(order.order_status, target)
        approvals.check_may_move(order, target)
        before = _snapshot(order, ("order_status",))
        figures = summaries.snapshot(order)
        order.order_status = target
        facets.apply(session, order.organization_id, facets.change(before, {"order_status": target}))
        summaries.record_edit(session, order, figures)
        summary = f"Status changed to {target}" + (f": {reason}" if reason else "")
        return _finish_change(session, order, actor, before, "status_changed", summary)

    return run_in_transaction(session, work)


def _snapshot(order: Order, columns: Sequence[str]) -> dict[str, Any]:
    return {col: getattr(order, col) for col in columns}


def _finish_change(session: Session, order: Order, actor: Actor, before: dict[str, Any],
                   kind: str, summary: str) -> Order:
    old = {_ROW_FIELDS.get(c, c): _plain(v) for c, v in before.items()}
    new = {_ROW_FIELDS.get(c, c): _plain(getattr(order, c)) for c in before}
    changes = diff(old, new)
    if changes:
        order.updated_at = utcnow()
        order.version = (order.version or 1) + 1
        _record(session, order, actor, kind, summary, changes)
    session.flush()
    return order


def _recompute(order: Order) -> None:
    totals = compute_totals(
        [(line.quantity, line.price, line.discount_amount) for line in order.items],
        currency=order.currency_code, shipping=order.shipping_total, tax=order.tax,
        discount=order.discount_amount,
    )
    if totals.total < 0:
        raise AmountsConflict([FieldError("total", "would make the order total negative (the order's discount exceeds subtotal + shipping + tax)")])
    if totals.subtotal + totals.shipping + totals.tax > money.MAX_AMOUNT:
        raise AmountsConflict([FieldError("total", f"would make the order total exceed {money.MAX_AMOUNT}")])
    order.shipping_total = totals.shipping
    order.subtotal = totals.subtotal
    order.order_total = totals.total


def order_events(session: Session, actor: Actor, order_id: str) -> list[OrderEvent]:
    order = get_order(session, actor, order_id)
    return list(session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.occurred_at, OrderEvent.id)
    ))
