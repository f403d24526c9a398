"""Managers' pages: the dashboard, rep performance (with CSV), the needs-attention queue
with its in-place actions, and approving or rejecting an order. Views translate HTTP to
the services (dashboard, attention, approvals, orders, outbox) and back."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user

from app.db.models import Organization, utcnow
from app.domain import money as money_domain
from app.domain import workflow
from app.domain.errors import StateLocked, ValidationFailed, VersionConflict
from app.domain.money import format_money
from app.extensions import db
from app.mail import outbox
from app.mail.smtp import SmtpSettings
from app.services import approvals, attention, org_settings, review_filters, summaries
from app.services import dashboard as dash
from app.services import orders as order_service
from app.web import bp, charts
from app.web.auth import current_actor, role_required
from app.web.download import content_disposition
from app.web.forms import parse_version
from app.web.htmx import is_fragment_request
from app.web.orders import status_actions

MANAGERS = ("manager", "admin")


def _org() -> Organization:
    return order_service.load_org(db.session, current_user.organization_id)


def orders_link(first: date, last: date, **filters: str | None) -> str:
    """The orders list showing exactly the orders behind a figure (a page has hundreds of
    them, so the query string is put together directly)."""
    view = review_filters.period_view(first, last, **filters)
    return "/orders?" + "&".join(f"{key}={_quoted(value)}" for key, value in view.items())


@lru_cache(maxsize=4096)
def _quoted(value: str) -> str:
    return quote_plus(value)


def _period(org: Organization) -> tuple[dash.Period, str | None]:
    """The period asked for, in days of the zone the summaries are keyed in (the old zone
    until the recount after a time-zone change has run)."""
    zone = summaries.keyed_zone(org)
    try:
        return dash.resolve_period(request.args.get("period"), request.args.get("from"), request.args.get("to"),
                                   zone), None
    except ValidationFailed as exc:
        return dash.resolve_period("30d", None, None, zone), "; ".join(
            f"{e.field}: {e.message}" for e in exc.errors)


def _period_args(period: dash.Period) -> dict[str, str]:
    if period.key == "custom":
        return {"period": "custom", "from": period.first.isoformat(), "to": period.last.isoformat()}
    return {"period": period.key}


def _currency(org: Organization, seen: list[str]) -> tuple[str, list[str], str | None]:
    offered = list(dict.fromkeys([*seen, *org_settings.org_currencies(org)]))
    wanted = (request.args.get("currency") or "").strip().upper()
    if wanted and not money_domain.is_currency(wanted):
        return offered[0], offered, "currency: must be an ISO 4217 code such as USD"
    if wanted and wanted not in offered:
        offered.append(wanted)
    return wanted or offered[0], offered, None


def change(current: Decimal | int | None, previous: Decimal | int | None) -> str:
    """The change against the previous period, in words a screen reader reads well."""
    if current is None or previous is None:
        return "no comparison"
    if previous == 0:
        return "new" if current else "no change"
    pct = (Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)
    if abs(pct) < Decimal("0.05"):
        return "no change"
    return f"{'+' if pct > 0 else '−'}{abs(pct):.1f} %"


# --------------------------------------------------------------------------- dashboard


@bp.get("/dashboard")
@role_required(*MANAGERS)
def dashboard():
    org, actor = _org(), current_actor()
    period, problem = _period(org)
    comps = dash.headlines(db.session, actor, period)
    currency, offered, currency_problem = _currency(org, dash.currencies_seen(comps, org.default_currency))
    problem = "; ".join(p for p in (problem, currency_problem) if p) or None
    data = dash.summary(db.session, actor, period, currency, comps)
    prev = period.previous()

    def money(value: Decimal | None, cur: str = currency) -> str:
        return format_money(value, cur, org.locale) if value is not None else "–"

    trend = data["trend"]
    context = {
        "org": org, "period": period, "prev": prev, "periods": dash.PERIODS, "currency": currency,
        "recount": summaries.recount(db.session, org),
        "currencies": offered, "problem": problem, "money": money, "change": change, "link": orders_link,
        "period_args": _period_args(period), **data,
        "status_chart": charts.hbars([(r.label, r.orders, f"{r.orders:,}", orders_link(
            period.first, period.last, currency=currency, status=r.key)) for r in data["by_status"]]),
        "rep_chart": charts.hbars([(r.label, r.revenue, money(r.revenue), orders_link(
            period.first, period.last, currency=currency, prep=r.key, notstatus=workflow.CANCELLED))
            for r in data["by_rep"]]),
        "orders_chart": charts.columns([(d.day.isoformat(), d.orders, f"{d.orders:,}", orders_link(
            d.day, d.day, currency=currency)) for d in trend]),
        "revenue_chart": charts.columns([(d.day.isoformat(), d.revenue, money(d.revenue), None) for d in trend],
                                        fill=charts.PALETTE[1]),
    }
    return render_template("review/dashboard.html", **context), 400 if problem else 200


# --------------------------------------------------------------------------- rep performance


def _rep_context() -> dict[str, Any]:
    org, actor = _org(), current_actor()
    period, problem = _period(org)
    rows = dash.rep_performance(db.session, actor, period)
    seen = sorted({c for r in rows for c in r.revenue}) or [org.default_currency]
    currency, _, currency_problem = _currency(org, seen)
    sort = request.args.get("sort") if request.args.get("sort") in dash.REP_SORTS else "revenue"
    descending = request.args.get("dir", "desc" if sort != "name" else "asc") != "asc"
    return {
        "org": org, "period": period, "periods": dash.PERIODS, "rows": dash.sort_reps(rows, sort, descending, currency),
        "recount": summaries.recount(db.session, org),
        "currencies": seen, "currency": currency, "sort": sort, "descending": descending,
        "problem": "; ".join(p for p in (problem, currency_problem) if p) or None,
        "period_args": _period_args(period), "link": orders_link,
        "money": lambda value, cur: format_money(value, cur, org.locale) if value is not None else "–",
    }


@bp.get("/dashboard/reps")
@role_required(*MANAGERS)
def rep_performance():
    context = _rep_context()
    return render_template("review/reps.html", **context), 400 if context["problem"] else 200


@bp.get("/dashboard/reps.csv")
@role_required(*MANAGERS)
def rep_performance_csv():
    context = _rep_context()
    if context["problem"]:
        abort(400, context["problem"])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    currencies = context["currencies"]
    writer.writerow(["Rep #", "Rep", "Orders", *(f"Revenue {c}" for c in currencies),
                     *(f"Average {c}" for c in currencies), "Overridden lines", "Cancelled", "Approvals asked"])
    for r in context["rows"]:
        averages = [r.average(c) for c in currencies]
        writer.writerow([_safe(r.rep_number), _safe(r.name), r.orders,
                         *(str(r.revenue.get(c, Decimal(0))) for c in currencies),
                         *("" if a is None else str(money_domain.round_amount(a, c)) for a, c in zip(averages, currencies,
                                                                                                     strict=True)),
                         r.overridden_lines, r.cancelled, r.approvals_asked])
    period = context["period"]
    name = f"rep-performance-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv", headers={"Content-Disposition": content_disposition(name)})


def _safe(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r", "|") else value


# --------------------------------------------------------------------------- needs attention


@bp.get("/attention")
@role_required(*MANAGERS)
def attention_queue():
    org = _org()
    items, total = attention.queue_and_count(db.session, current_actor(), org)
    return render_template("review/attention.html", org=org, items=items, total=total, money=_money(org), age=_age,
                           order_path=order_path)


@bp.get("/attention/count")
@role_required(*MANAGERS)
def attention_count():
    """The count in the navigation (loaded after the page, so no page waits on it)."""
    n = attention.count(db.session, current_actor(), _org())
    return render_template("review/_count.html", n=n)


def order_path(endpoint: str, order_id: str) -> str:
    """``url_for(endpoint, order_id=…)`` for the queue's many rows: the route's path is
    built once a request and the id put in (ids are UUIDs, safe in a path as they are)."""
    paths = g.setdefault("order_paths", {})
    if endpoint not in paths:
        paths[endpoint] = url_for(endpoint, order_id="__order__")
    return paths[endpoint].replace("__order__", order_id)


def _money(org: Organization):
    return lambda value, cur: format_money(value, cur, org.locale)


def _age(when) -> str:
    return attention.age_words(utcnow() - when)


def _row(order_id: str, message: str | None = None, problem: str | None = None, status: int = 200,
         conflict: dict[str, Any] | None = None):
    """The queue row of one order after an action (or a note that it left the queue)."""
    org = _org()
    actor = current_actor()
    order = order_service.get_order(db.session, actor, order_id)
    found = attention.queue(db.session, actor, org, order_id=order.id, limit=1)
    if not is_fragment_request():
        if problem:
            abort(status, problem)
        return redirect(url_for("web.attention_queue"), code=303)
    return render_template("review/_row.html", item=found[0] if found else None, order=order, org=org,
                           order_path=order_path, message=message, problem=problem, conflict=conflict,
                           money=_money(org), age=_age), status


@bp.post("/attention/<order_id>/status")
@role_required(*MANAGERS)
def attention_process(order_id: str):
    """Move an order to Processing from the queue (same service and gates as the order page)."""
    try:
        order = order_service.change_status(db.session, current_actor(), order_id, workflow.PROCESSING)
    except StateLocked as exc:
        db.session.rollback()
        return _row(order_id, problem=exc.detail, status=409)
    return _row(order_id, message=f"Order {order.order_number} moved to Processing.")


@bp.post("/attention/<order_id>/email")
@role_required(*MANAGERS)
def attention_retry_email(order_id: str):
    """Try the order's failed or late confirmation email again."""
    org, actor = _org(), current_actor()
    order = order_service.get_order(db.session, actor, order_id)
    found = attention.queue(db.session, actor, org, order_id=order.id, limit=1)
    email_id = found[0].email_id if found else None
    if email_id is None:
        return _row(order_id, problem="This order has no failed or late email to retry.", status=409)
    outbox.retry_now(db.session, org.id, email_id)
    delivery = outbox.deliver_one(db.session, email_id, SmtpSettings.from_config(current_app.config))
    db.session.expire_all()
    if delivery.status == outbox.SENT:
        return _row(order_id, message=f"The confirmation of {order.order_number} was sent.")
    return _row(order_id, problem=f"Still not sent: {delivery.error or 'queued for the next attempt'}.",
                status=200)


@bp.post("/orders/<order_id>/approval")
@role_required(*MANAGERS)
def decide_approval(order_id: str):
    """Approve or reject with a reason (the service refuses reps and tokens too). The
    form carries the version it was opened on: when the order changed since, nothing is
    decided and the answer shows who changed what, with the form now on the current version."""
    from app.web.orders import changes_since, order_context

    decision, reason = request.form.get("decision", ""), request.form.get("reason", "")
    from_queue = request.form.get("from") == "queue"
    problem, status, conflict = None, 200, None
    try:
        order = approvals.decide(db.session, current_actor(), order_id, decision, reason,
                                 parse_version(request.form.get("version")))
    except VersionConflict as exc:
        db.session.rollback()
        conflict, status = changes_since(order_id, exc.expected_version), 409
        problem = "Nothing was decided: the order changed after this form was opened."
    except StateLocked as exc:
        problem, status = exc.detail, 409
    except ValidationFailed as exc:
        problem, status = "; ".join(f"{e.field.capitalize()} {e.message}" for e in exc.errors), 422
    if problem:
        db.session.rollback()
    if from_queue:
        message = None if problem else f"Order {order.order_number} {order.approval_state}."
        return _row(order_id, message=message, problem=problem, status=status, conflict=conflict)
    if not is_fragment_request():
        if conflict:
            return render_template("orders/show.html", approval_conflict=conflict,
                                   **order_context(order_id)), status
        if problem:
            abort(status, problem)
        return redirect(url_for("web.order_page", order_id=order_id), code=303)
    order = order_service.get_order(db.session, current_actor(), order_id)
    org = _org()
    return render_template("orders/_approval.html", order=order, org=org,
                           approval_problem=None if conflict else problem, approval_conflict=conflict,
                           oob_status=not problem or conflict is not None,
                           events=order_service.order_events(db.session, current_actor(), order.id),
                           **_status_context(order, org)), status


def _status_context(order, org: Organization) -> dict[str, Any]:
    return {
        **status_actions(order, current_actor()),
        "money": lambda value: format_money(value, order.currency_code, org.locale),
    }
