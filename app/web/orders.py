"""The orders list (search as you type, CSV export) and the order page with its inline
edits, status actions and history. Views translate HTTP to service calls and back."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import Response, abort, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy.orm import load_only, raiseload

from app.db.models import Order, Organization, SalesRep
from app.db.tx import in_list
from app.domain import workflow
from app.domain.errors import FieldError, StateLocked, ValidationFailed, VersionConflict
from app.domain.money import format_money
from app.domain.orders import FIRST_YEAR, LAST_YEAR, parse_datetime
from app.extensions import db
from app.services import approvals, review_filters
from app.services import bulk as bulk_service
from app.services import invoices as invoice_service
from app.services import orders as order_service
from app.services import search as search_service
from app.services import views as view_service
from app.web import bp
from app.web.auth import current_actor, role_required
from app.web.download import content_disposition
from app.web.format import localdate  # (also registers the template filters)
from app.web.forms import CustomerForm, ShippingForm, attach_errors, fill_customer, fill_shipping, parse_version
from app.web.htmx import is_fragment_request

PAGE_SIZE = 25
# The list shows a few fields of each order: only those are loaded (not its lines, not
# its addresses); reading any other one is an error rather than a query per row.
LIST_LOAD = (load_only(Order.id, Order.organization_id, Order.order_number, Order.order_date,
                       Order.company_name, Order.customer_number, Order.po_number, Order.order_status,
                       Order.approval_state, Order.order_total, Order.currency_code,
                       Order.primary_rep_number, Order.taken_by_rep_number, raiseload=True),
             raiseload("*"))
VIEW_KEYS = ("q", "status", "rep", "channel", "type", "from", "to", "sort", "dir", "page", "cols", "view",
             # Filters the dashboard's figures link with (see services.review_filters).
             *review_filters.KEYS)
SORTABLE = {"orderNumber": "Order #", "orderDate": "Date", "companyName": "Company",
            "customerNumber": "Customer #", "poNumber": "PO", "orderStatus": "Status", "orderTotal": "Total"}


def organization() -> Organization:
    return order_service.load_org(db.session, current_user.organization_id)


# --------------------------------------------------------------------------- list


def view_state(args) -> dict[str, str]:
    """The list's state as it appears in the URL (only the keys that are set)."""
    return {k: args.get(k, "").strip() for k in VIEW_KEYS if args.get(k, "").strip()}


def search_params(view: dict[str, str]) -> search_service.SearchParams:
    """The URL's view state as search parameters, through the API's own parser."""
    filters: list[dict[str, Any]] = []
    for key, field in (("status", "orderStatus"), ("rep", "repNumber"), ("channel", "channel"), ("type", "orderType")):
        if view.get(key):
            filters.append({"field": field, "operator": "eq", "value": view[key]})
    errors: list[FieldError] = []
    zone = organization().time_zone
    for key, op, shift in (("from", "gte", 0), ("to", "lt", 1)):
        if view.get(key):
            when = parse_datetime(view[key])
            if when is None:
                errors.append(FieldError(key, f"must be a date such as 2026-03-31, in the years {FIRST_YEAR}–{LAST_YEAR}"))
            else:
                # A date is a day in the organization's time zone.
                filters.append({"field": "orderDate", "operator": op,
                                "value": review_filters.local_day_start(when.date() + timedelta(days=shift),
                                                                        zone).isoformat()})
    filters.extend(review_filters.api_filters(view))
    args = {
        "pageNumber": view.get("page", "1"), "pageSize": str(PAGE_SIZE),
        "sortOn": view.get("sort", "orderDate"), "sortDirection": view.get("dir", "desc"),
        "filters": json.dumps(filters),
    }
    if view.get("q"):
        args["q"] = view["q"]
    try:
        params = search_service.parse_search_params(args)
    except ValidationFailed as exc:
        raise ValidationFailed(errors + exc.errors) from exc
    params.extra = review_filters.conditions(view, errors)
    if errors:
        raise ValidationFailed(errors)
    params.q_includes_sku = True
    return params


def _list_links() -> tuple[Any, str]:
    """The orders list's link builder, ``link(view, **changes)``: the list's URL with the
    view's non-empty fields, ``changes`` applied, as ``urlencode`` writes them (the list's
    URL and each quoted key and value computed once for its many sort, column and page
    links); and the start of each order's URL (its id follows)."""
    base = url_for("web.orders")
    quoted: dict[str, str] = {}  # the same keys and values recur in every link

    def quote(text: Any) -> str:
        text = str(text)
        found = quoted.get(text)
        if found is None:
            found = quoted[text] = quote_plus(text)
        return found

    def list_link(view: dict[str, str], **changes: str | None) -> str:
        state = {k: v for k, v in {**view, **changes}.items() if v}
        return base + ("?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in state.items()) if state else "")

    return list_link, url_for("web.order_page", order_id="-")[:-1]


@bp.get("/orders")
@role_required()
def orders():
    view = view_state(request.args)
    actor = current_actor()
    org = organization()
    fragment = is_fragment_request()
    columns = view_service.parse_columns(view.get("cols"))
    page, problem = None, None
    try:
        page = search_service.search_orders(db.session, actor, search_params(view), load=LIST_LOAD,
                                            invoices="invoices" in columns)
    except ValidationFailed as exc:
        problem = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    list_link, order_url = _list_links()
    rows = _rows(page, org.locale) if page is not None else []
    context = {
        "view": view, "page": page, "problem": problem, "org": org, "link": list_link, "order_url": order_url,
        "rows": rows,
        "sortable": SORTABLE, "statuses": workflow.STATUSES,
        # Filters offer retired entries too: old orders carry them and must stay findable.
        "channels": org.settings_lists.names("channel", include_retired=True),
        "order_types": org.settings_lists.names("orderType", include_retired=True),
        # The rep filter is part of the search form, which a fragment does not redraw.
        "reps": _reps(org) if actor.sees_all_orders and not fragment else [],
        "approval_filters": review_filters.APPROVAL_VALUES,
        "csv_url": url_for("web.orders_csv") + ("?" + urlencode(view) if view else ""),
        **_workbench(actor, view, columns),
    }
    if fragment:
        response = Response(render_template("orders/_results.html", **context), 200 if problem is None else 400)
        response.headers["HX-Push-Url"] = list_link(view)  # the canonical URL, without empty fields
        return response
    return render_template("orders/index.html", **context), 200 if problem is None else 400


@dataclass(frozen=True, slots=True)
class ListRow:
    """One order as the list shows it, each field formatted once here rather than
    through a filter call per cell."""

    id: str
    number: str
    date: str
    company: str
    customer: str
    po: str
    status: str
    status_class: str
    awaiting_approval: bool
    total: str
    rep: str
    invoices: str


def _rows(page: search_service.SearchPage, locale: str) -> list[ListRow]:
    numbers = page.invoice_numbers
    rows = []
    for o in page.items:
        primary, taken = o.primary_rep_number, o.taken_by_rep_number
        rows.append(ListRow(
            o.id, o.order_number, localdate(o.order_date, locale), o.company_name, o.customer_number, o.po_number,
            o.order_status, o.order_status.lower(), o.approval_state == "pending",
            format_money(o.order_total, o.currency_code, locale) or "",
            f"{primary} / {taken}" if taken and taken != primary else primary,
            ", ".join(numbers.get(o.id, ())),
        ))
    return rows


def _workbench(actor, view: dict[str, str], columns: tuple[str, ...]) -> dict[str, Any]:
    """Saved views, columns and (for managers) the bulk action form of the list."""
    saved = view_service.list_views(db.session, actor)
    active = next((v for v in [*saved.mine, *saved.shared] if v.id == view.get("view")), None)
    return {
        "columns": columns, "column_choices": view_service.column_choices(columns),
        "saved_views": saved, "active_view": active,
        "may_manage_view": active is not None and view_service.may_manage(actor, active),
        "bulk": {"token": secrets.token_urlsafe(16), "actions": bulk_service.action_labels(),
                 "max": bulk_service.MAX_ORDERS} if actor.is_manager else None,
    }


def _reps(org: Organization) -> list[SalesRep]:
    from sqlalchemy import select

    return list(db.session.scalars(
        select(SalesRep).where(SalesRep.organization_id == org.id).order_by(SalesRep.rep_number)))


CSV_COLUMNS = [
    ("Order #", Order.order_number), ("Order date (UTC)", Order.order_date), ("Status", Order.order_status),
    ("Type", Order.order_type), ("Channel", Order.channel), ("PO", Order.po_number),
    ("Customer #", Order.customer_number), ("Company", Order.company_name),
    ("Primary rep", Order.primary_rep_number), ("Taken by", Order.taken_by_rep_number),
    ("Currency", Order.currency_code), ("Subtotal", Order.subtotal), ("Shipping", Order.shipping_total),
    ("Tax", Order.tax), ("Discount", Order.discount_amount), ("Total", Order.order_total),
    ("External ID", Order.external_id),
]


@bp.get("/orders.csv")
@role_required()
def orders_csv():
    """Exactly the current result (all pages), streamed in chunks of rows."""
    view = view_state(request.args)
    try:
        params = search_params(view)
    except ValidationFailed as exc:
        abort(400, "Check the filters: " + "; ".join(f"{e.field}: {e.message}" for e in exc.errors))
    stmt = search_service.ordered_ids(current_actor(), params).with_only_columns(*(c for _, c in CSV_COLUMNS))
    ids = [i for i in request.args.getlist("id") if 0 < len(i) <= 36][:bulk_service.MAX_ORDERS]
    if ids and request.args.get("all") != "1":  # the rows picked on the list, not the whole result
        stmt = stmt.where(in_list(Order.id, ids))

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([name for name, _ in CSV_COLUMNS])
        result = db.session.execute(stmt.execution_options(yield_per=1000))
        for partition in result.partitions():
            for row in partition:
                writer.writerow([_csv_value(v) for v in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": content_disposition("orders.csv")})


def _csv_value(value: Any) -> Any:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r", "|"):
        return "'" + value  # not a formula when opened in a spreadsheet
    return value


# --------------------------------------------------------------------------- order page


def status_actions(order: Order, actor: Any) -> dict[str, Any]:
    """The status moves the order page offers a manager: only those the approval gate
    allows (``transitions``); the ones it holds back until approval (``held``) are shown
    as waiting instead of as buttons that would be refused."""
    if not actor.is_manager:
        return {"transitions": (), "held": ()}
    offered, held = approvals.offered_transitions(order, workflow.allowed_transitions(order.order_status))
    return {"transitions": offered, "held": held}


def _order_context(order_id: str, **extra: Any) -> dict[str, Any]:
    """Everything the order page and its panels show."""
    actor = current_actor()
    order = order_service.get_order(db.session, actor, order_id)
    org = organization()
    invoices = search_service.invoice_numbers_for(db.session, [order.id]).get(order.id, [])
    return {
        "order": order, "org": org, "invoice_numbers": invoices, **status_actions(order, actor),
        "events": order_service.order_events(db.session, actor, order.id),
        "shipping_editable": order.order_status in workflow.SHIPPING_EDITABLE,
        "customer_editable": order.order_status != workflow.CANCELLED,
        "invoice_state": invoice_service.state_for_order(db.session, actor, order),
        "money": lambda value: format_money(value, order.currency_code, org.locale),
        **extra,
    }


@bp.get("/orders/<order_id>")
@role_required()
def order_page(order_id: str):
    return render_template("orders/show.html", **_order_context(order_id))


PANELS = {
    "shipping": (ShippingForm, fill_shipping, order_service.update_shipping, "Shipping details saved."),
    "customer": (CustomerForm, fill_customer, order_service.update_customer, "Customer details saved."),
}


@bp.get("/orders/<order_id>/<any(shipping, customer):panel>")
@role_required()
def order_panel(order_id: str, panel: str):
    """The panel as shown (Cancel and Escape land here)."""
    context = _order_context(order_id)  # an order the user may not see is a 404 either way
    if not is_fragment_request():
        return redirect(url_for("web.order_page", order_id=order_id))
    return render_template(f"orders/_{panel}.html", **context)


@bp.route("/orders/<order_id>/<any(shipping, customer):panel>/edit", methods=["GET", "POST"])
@role_required()
def edit_panel(order_id: str, panel: str):
    """GET: the panel as a form in place. POST: save through the same service as the API."""
    form_cls, fill, update, saved = PANELS[panel]
    context = _order_context(order_id)
    order = context["order"]
    form = form_cls()
    status = 200
    if request.method == "GET":
        fill(form, order, context["org"].locale)
    elif form.validate_on_submit():
        try:
            payload = form.payload(locale=context["org"].locale, currency=order.currency_code)
            order = update(db.session, current_actor(), order.id, payload, form.opened_version())
        except ValidationFailed as exc:
            attach_errors(form, exc.errors)
            status = 422
        except VersionConflict as exc:
            # Nothing was saved: show who changed what since the form was opened; the
            # form keeps what was typed and now carries the current version, so saving
            # again applies it knowingly.
            context = _order_context(order.id, conflict=changes_since(order.id, exc.expected_version))
            form.version.data = str(exc.current_version)
            status = 409
        except StateLocked as exc:
            context["locked"] = exc.detail
            status = 409
        else:
            context = _order_context(order.id, saved=saved, saved_panel=panel)
            if is_fragment_request():
                return render_template(f"orders/_{panel}_saved.html", **context)
            return redirect(url_for("web.order_page", order_id=order.id))
    else:
        status = 422
    template = f"orders/_{panel}_form.html" if is_fragment_request() else "orders/show.html"
    return render_template(template, form=form, editing=panel, **context), status


def changes_since(order_id: str, version: int) -> dict[str, Any]:
    """Who changed the order after ``version``, when, and each change (from its history)."""
    events = order_service.order_events(db.session, current_actor(), order_id)
    newer = [e for e in events if e.order_version is not None and e.order_version > version]
    if not newer:  # history written before versions were recorded: the latest change
        newer = [e for e in events if e.order_version is not None or e.changes][-1:]
    last = newer[-1] if newer else None
    return {"actor": last.actor if last else "someone else", "at": last.occurred_at if last else None,
            "events": newer}


@bp.post("/orders/<order_id>/status")
@role_required("manager", "admin")
def change_status(order_id: str):
    target = request.form.get("status", "")
    message, status, conflict = None, 200, None
    try:
        order_service.change_status(db.session, current_actor(), order_id, target,
                                    parse_version(request.form.get("version")))
    except VersionConflict as exc:
        conflict, status = changes_since(order_id, exc.expected_version), 409
        message = "Nothing was changed."
    except StateLocked as exc:
        message, status = exc.detail, 409
    except ValidationFailed as exc:
        message, status = "; ".join(e.message for e in exc.errors), 422
    if not is_fragment_request():
        if message:
            abort(status, message)
        return redirect(url_for("web.order_page", order_id=order_id))
    return render_template("orders/_status_changed.html", status_message=message,
                           **_order_context(order_id, conflict=conflict)), status


order_context = _order_context
