"""The order builder: /orders/new and its htmx fragments.

The form is the draft: every fragment request posts the whole form, the service
evaluates it (prices, quantity checks, totals with the domain's arithmetic) and the
response swaps only what changed, out of band, never the field being typed in.
Submitting goes through ``services.orders.create_order``, the same call as POST
/api/orders, and its field errors are shown beside the inputs they name."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, render_template, request
from werkzeug.datastructures import MultiDict

from app.db.models import Organization
from app.domain import money
from app.domain.errors import FieldError, ValidationFailed
from app.domain.orders import ADDRESS_FIELDS, MAX_ITEMS
from app.extensions import db
from app.services import builder as svc
from app.services import orders as order_service
from app.services.context import Actor
from app.shapes.orders import labels
from app.web.auth import current_actor, role_required
from app.web.htmx import is_fragment_request, redirect_to

bp = Blueprint("builder", __name__, url_prefix="/orders/new")

ROLES = ("rep", "manager", "admin")
_KEY = re.compile(r"^[a-z0-9]{1,16}$")
_LINE_NAME = re.compile(r"^items-([a-z0-9]{1,16})-price$")
_LINE_FIELD = re.compile(r"^items-([a-z0-9]{1,16})-(?:price|quantity)$")
# Fields that reprice every line but cannot alter a quantity check.
REPRICING_FIELDS = ("priceTier", "currencyCode")


def reads_only(view: Callable) -> Callable:
    """For the fragments that only read (lookups and recalculations): their queries run
    outside a transaction, each one seeing committed data as it would under READ
    COMMITTED, which spares PostgreSQL a BEGIN and a ROLLBACK round trip per request (two
    of the four to seven a fragment costs). A session already in a transaction is left
    as it is, and so is SQLite, which has no round trip to spare and pays for switching."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = db.session()  # this request's Session, out of the scoped registry
        if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
            return view(*args, **kwargs)
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        try:
            return view(*args, **kwargs)
        finally:
            # Hands the connection back, to the pool, with its usual isolation level.
            session.rollback()

    return wrapper


# --------------------------------------------------------------------------- form ↔ draft


def field_id(name: str) -> str:
    """The element id of a form field: ``customer.companyName`` → ``f-customer-companyName``."""
    return "f-" + name.replace(".", "-")


def new_key() -> str:
    return secrets.token_hex(4)


def draft_from_form(form: MultiDict) -> svc.Draft:
    """Read the builder form; lines come in the order of their ``line`` keys."""
    get = lambda name: (form.get(name) or "")[:10000]  # noqa: E731
    draft = svc.Draft(
        customer_number=get("customer.customerNumber"), company_name=get("customer.companyName"),
        company_email=get("customer.companyEmail"), company_phone=get("customer.companyPhone"),
        billing_address={f: get(f"customer.billingAddress.{f}") for f in ADDRESS_FIELDS},
        shipping_address={f: get(f"shippingDetails.shippingAddress.{f}") for f in ADDRESS_FIELDS},
        po_number=get("poNumber"), order_type=get("orderType"), channel=get("channel"), terms=get("terms"),
        price_tier=get("priceTier"), currency_code=get("currencyCode"),
        primary_rep=get("primarySalesRep.repNumber"), taken_by_rep=get("takenBySalesRep.repNumber"),
        shipping_method=get("shippingDetails.method"), shipping_total=get("shippingDetails.total"),
        tax=get("tax"), notes=get("notes"),
    )
    seen: set[str] = set()
    for key in form.getlist("line")[: MAX_ITEMS + 1]:
        if not _KEY.match(key) or key in seen:
            continue
        seen.add(key)
        draft.lines.append(svc.DraftLine(
            key=key, sku=get(f"items-{key}-sku").strip(), name=get(f"items-{key}-name"),
            quantity=get(f"items-{key}-quantity"), price=get(f"items-{key}-price"),
            overridden=get(f"items-{key}-overridden") == "1",
        ))
    return draft


def blank_draft(org: Organization, actor: Actor) -> svc.Draft:
    """A new order: the organization's first tier and currency, the signed-in rep as
    primary and taken-by rep."""
    rep = svc.default_rep(actor)
    lists = org.settings_lists
    return svc.Draft(
        price_tier=(lists.names("priceTier") or [""])[0], currency_code=org.default_currency,
        order_type=(lists.names("orderType") or [""])[0], channel=(lists.names("channel") or [""])[0],
        primary_rep=rep, taken_by_rep=rep,
    )


def error_map(errors: list[FieldError], draft: svc.Draft) -> dict[str, list[str]]:
    """Field errors keyed by the id of the input they belong to (``items[1].quantity`` →
    the second line's quantity box); errors without an input are keyed ``summary``."""
    out: dict[str, list[str]] = {}
    for error in errors:
        target = svc.line_for_path(error.field, draft.lines)
        if target is not None:
            line, name = target
            key = field_id(f"items-{line.key}-{name if name in ('quantity', 'price') else 'sku'}")
        elif error.field.startswith("items"):
            key = "f-lines"
        else:
            key = field_id(error.field)
        out.setdefault(key, []).append(error.message)
    return out


# Each field's label, as the order's shape declares it; an address's fields are named after it.
FIELD_LABELS = labels()
_ADDRESS_LABELS = {path: label for path, label in FIELD_LABELS.items() if path.endswith("Address")}


def error_summary(errors: list[FieldError], draft: svc.Draft) -> list[tuple[str, str]]:
    """(input id, sentence) for each error, naming the field so the summary reads on its own."""
    out = []
    for error in errors:
        target = svc.line_for_path(error.field, draft.lines)
        if target is not None:
            line, name = target
            anchor = field_id(f"items-{line.key}-{name if name in ('quantity', 'price') else 'sku'}")
            text = error.message if error.message.startswith("Quantity") else (
                f"Line {draft.lines.index(line) + 1} ({line.sku}) {name or 'line'}: {error.message}")
        else:
            anchor = "f-lines" if error.field.startswith("items") else field_id(error.field)
            prefix, _, leaf = error.field.rpartition(".")
            label = FIELD_LABELS.get(error.field) or (
                f"{_ADDRESS_LABELS[prefix]} {leaf}" if prefix in _ADDRESS_LABELS else error.field)
            text = f"{label}: {error.message}"
        out.append((anchor, text))
    return out


# --------------------------------------------------------------------------- rendering


def _org(actor: Actor) -> Organization:
    return order_service.load_org(db.session, actor.organization_id)


def form_context(org: Organization, actor: Actor, draft: svc.Draft, view: svc.DraftView,
                 errors: list[FieldError] | None = None, found: Any = False,
                 whole_form: bool = True) -> dict[str, Any]:
    """Everything the form template needs: choices, the evaluated draft, errors by field.
    ``found`` is the directory customer when the caller already looked it up; a fragment
    that is not the whole form skips the rep list."""
    if found is False:
        found = svc.customer_by_number(db.session, org.id, draft.customer_number)
    context, duplicates = svc.customer_history(db.session, actor, draft.customer_number, draft.po_number)
    lists = org.settings_lists
    return {
        "org": org, "draft": draft, "view": view, "field_id": field_id,
        "errors": error_map(errors or [], draft), "error_list": error_summary(errors or [], draft),
        "tiers": lists.names("priceTier"), "currencies": _with(svc.currencies(db.session, org), draft.currency_code),
        "order_types": _with(lists.names("orderType"), draft.order_type),
        "channels": _with(lists.names("channel"), draft.channel),
        "terms_choices": _with(lists.names("terms"), draft.terms),
        "shipping_methods": lists.names("shippingMethod"),
        "reps": svc.sales_reps(db.session, org.id) if whole_form else [], "address_fields": ADDRESS_FIELDS,
        "customer_found": found,
        "context": context, "duplicates": duplicates,
        "money": lambda value, currency: money.format_money(value, currency, org.locale),
    }


def _with(choices: tuple[str, ...] | list[str], value: str) -> list[str]:
    """The choices, plus the current value when it is not among them (nothing typed is lost)."""
    items = list(choices)
    if value and value not in items:
        items.append(value)
    return items


def _fragment(template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> Response:
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# --------------------------------------------------------------------------- page and submit


@bp.get("")
@reads_only
@role_required(*ROLES)
def new_order() -> Response:
    actor = current_actor()
    org = _org(actor)
    draft = blank_draft(org, actor)
    # "New order" from a customer's page: the builder opens with that customer chosen.
    chosen = svc.customer_by_number(db.session, org.id, request.args.get("customer", "")[:64])
    if chosen is not None:
        svc.apply_customer(draft, chosen, org)
    view = svc.evaluate(db.session, org, draft)
    return _fragment("builder/new.html", **form_context(org, actor, draft, view, found=chosen))


@bp.post("")
@role_required(*ROLES)
def submit() -> Response:
    """Create the order through create_order; on rejection re-render the form with each
    error beside its field (422), nothing written."""
    actor = current_actor()
    org = _org(actor)
    draft = draft_from_form(request.form)
    view = svc.evaluate(db.session, org, draft)
    payload, number_problems = svc.draft_request(draft, actor, org.locale)
    try:
        result = order_service.create_order(db.session, actor, payload)
    except ValidationFailed as exc:
        db.session.rollback()
        errors = svc.merge_number_problems(number_problems, exc.errors)
        template = "builder/_form.html" if is_fragment_request() else "builder/new.html"
        return _fragment(template, 422, **form_context(org, actor, draft, view, errors))
    return redirect_to(f"/orders/{result.id}", **{"HX-Trigger": "orderCreated"})


@bp.post("/draft")
@reads_only
@role_required(*ROLES)
def restore() -> Response:
    """The form rendered from a saved draft (a reload restores what was typed)."""
    actor = current_actor()
    org = _org(actor)
    draft = draft_from_form(request.form)
    view = svc.evaluate(db.session, org, draft)
    return _fragment("builder/_form.html", **form_context(org, actor, draft, view))


# --------------------------------------------------------------------------- lookups


@bp.get("/customers")
@reads_only
@role_required(*ROLES)
def customer_options() -> Response:
    actor = current_actor()
    q = (request.args.get("q") or "")[:100]
    hits = svc.lookup_customers(db.session, actor.organization_id, q)
    return _fragment("builder/_customer_options.html", customers=hits, q=q)


@bp.get("/products")
@reads_only
@role_required(*ROLES)
def product_options() -> Response:
    actor = current_actor()
    org = _org(actor)
    q = (request.args.get("q") or "")[:100]
    probe = svc.Draft(price_tier=request.args.get("priceTier", ""), currency_code=request.args.get("currencyCode", ""))
    tier, currency = svc.order_tier(org, probe), svc.order_currency(org, probe)
    hits = svc.lookup_products(db.session, org.id, q, tier, currency)
    return _fragment("builder/_product_options.html", products=hits, q=q, tier=tier, currency=currency,
                     fmt=lambda value: money.format_money(value, currency, org.locale))


@bp.get("/po-check")
@reads_only
@role_required(*ROLES)
def po_check() -> Response:
    actor = current_actor()
    dupes = svc.duplicate_po(db.session, actor, request.args.get("customer.customerNumber", "")[:64],
                             request.args.get("poNumber", "")[:100])
    return _fragment("builder/_po_warning.html", duplicates=dupes, po=request.args.get("poNumber", ""))


# --------------------------------------------------------------------------- changes


@bp.post("/customer")
@reads_only
@role_required(*ROLES)
def choose_customer() -> Response:
    """Choosing a directory customer (or typing a known number) fills the customer and
    their tier, terms and currency defaults, and reprices lines that were not overridden."""
    actor = current_actor()
    org = _org(actor)
    draft = draft_from_form(request.form)
    number = (request.form.get("choose") or draft.customer_number).strip()
    customer = svc.customer_by_number(db.session, org.id, number)
    if customer is not None and request.form.get("choose"):
        svc.apply_customer(draft, customer, org)
        message = (f"Customer {customer.company_name} selected: addresses, {draft.price_tier} pricing, "
                   f"terms {draft.terms or 'none'} and {draft.currency_code} filled in.")
    elif customer is not None:
        message = f"{customer.company_name} is in the directory."
    else:
        message = "New customer: it joins the directory when the order is created." if number else ""
    view = svc.evaluate(db.session, org, draft)
    looked_up = number == draft.customer_number.strip()
    context = form_context(org, actor, draft, view, found=customer if looked_up else False, whole_form=False)
    return _fragment("builder/_customer_changed.html", message=message, chosen=bool(request.form.get("choose")),
                     **context)


@bp.post("/lines")
@reads_only
@role_required(*ROLES)
def add_line() -> Response:
    """Add one catalog product as a line, at its minimum order quantity unless a quantity is given."""
    actor = current_actor()
    org = _org(actor)
    draft = draft_from_form(request.form)
    sku = (request.form.get("add") or "").strip()
    tier, currency = svc.order_tier(org, draft), svc.order_currency(org, draft)
    entry = svc.catalog_entries(db.session, org.id, [sku], tier, currency).get(sku)
    if entry is None:
        view = svc.evaluate(db.session, org, draft)
        return _fragment("builder/_lines_added.html", added=[], view=view, draft=draft,
                         message=f"{sku or 'That product'} is not in the catalog.", field_id=field_id)
    quantity = svc.parse_quantity(request.form.get("quantity") or "", org.locale) or entry.rule.minimum_order_quantity
    line = svc.DraftLine(new_key(), entry.sku, entry.name, str(quantity))
    draft.lines.append(line)
    view = svc.evaluate(db.session, org, draft)
    added = [lv for lv in view.lines if lv.line is line]
    return _fragment("builder/_lines_added.html", added=added, view=view, draft=draft, field_id=field_id,
                     message=f"Added {entry.sku} {entry.name}, quantity {quantity}. Line {len(draft.lines)}.")


@bp.post("/quick-add")
@reads_only
@role_required(*ROLES)
def quick_add() -> Response:
    """Add every pasted ``SKU quantity`` line; unknown or unreadable ones stay in the box, reported."""
    actor = current_actor()
    org = _org(actor)
    draft = draft_from_form(request.form)
    text = (request.form.get("quick_add") or "")[:20000]
    tier, currency = svc.order_tier(org, draft), svc.order_currency(org, draft)
    result = svc.resolve_quick_add(db.session, org.id, text, tier, currency)
    new_lines = [svc.DraftLine(new_key(), e.sku, e.name, str(q)) for e, q in result.added]
    draft.lines.extend(new_lines)
    view = svc.evaluate(db.session, org, draft)
    keys = {ln.key for ln in new_lines}
    added = [lv for lv in view.lines if lv.line.key in keys]
    rest = "\n".join(text.splitlines()[r.line_no - 1] for r in sorted(result.unknown + result.unreadable,
                                                                        key=lambda r: r.line_no))
    return _fragment("builder/_lines_added.html", added=added, view=view, draft=draft, field_id=field_id,
                     message=result.message(), quick_add_rest=rest, quick_add=True,
                     quick_add_problem=bool(result.unknown or result.unreadable))


@bp.post("/recalc")
@reads_only
@role_required(*ROLES)
def recalc() -> Response:
    """Re-evaluate after any change: line subtotals, quantity checks, price sources,
    repriced lines and the order totals, all out of band. ``remove`` drops a line and
    ``reset`` returns a line to its list price."""
    actor = current_actor()
    org = _org(actor)
    draft = draft_from_form(request.form)
    removed = request.form.get("remove") or ""
    if removed:
        draft.lines = [ln for ln in draft.lines if ln.key != removed]
    reset = request.form.get("reset") or ""
    for line in draft.lines:
        if line.key == reset:
            line.overridden = False
    trigger = request.headers.get("HX-Trigger-Name") or ""
    typed = _LINE_NAME.match(trigger)
    typed_key = typed.group(1) if typed else ""
    view = svc.evaluate(db.session, org, draft, priced_by_rep={typed_key} if typed_key else ())
    message = ""
    if removed:
        message = f"Line removed. {len(draft.lines)} line{'s' if len(draft.lines) != 1 else ''} left."
    return _fragment("builder/_recalc.html", view=view, draft=draft, removed=removed, reset=reset,
                     typed_key=typed_key, message=message, field_id=field_id,
                     only=_touched_lines(trigger, reset, removed), quantities=trigger not in REPRICING_FIELDS)


def _touched_lines(trigger: str, reset: str, removed: str) -> set[str] | None:
    """The lines whose cells a change can alter: the line typed in (or reset), none for
    shipping, tax or a removal (totals only), every line (None) for a tier or currency change."""
    line = _LINE_FIELD.match(trigger)
    if line:
        return {line.group(1)}
    if reset:
        return {reset}
    if removed or trigger in ("shippingDetails.total", "tax"):
        return set()
    return None
