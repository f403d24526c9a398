"""Bulk actions on orders: move to a status, cancel with a reason, email the
confirmation to each order's customer, issue invoices (``issue_invoice``).

A bulk action is a background job (``orders.bulk``). It names its orders either by id
(rows picked on the list) or by a search (every order the search matches, not only a
page), resolved inside the job as the person who started it, so a rep-scoped or
another organization's order is never reached. The job first writes the orders it
resolved as ``bulk_items`` (a resumed job works through the same orders, even when
the search would now match others), then takes them one at a time through the same
service function as the single action — every rule (workflow, approvals, visibility)
applies — and commits each order's change together with its outcome. A refusal is an
outcome with its reason, never the end of the job."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.models import BulkItem, Order
from app.db.tx import bulk_insert, in_list
from app.domain import workflow
from app.domain.errors import DomainError, FieldError, NotFound, PermissionDenied, StateLocked, ValidationFailed
from app.services import jobs, visibility
from app.services import orders as order_service
from app.services import search as search_service
from app.services.context import Actor

KIND = "orders.bulk"
MAX_ORDERS = 10_000
BATCH = 50
MAX_REASON = 500
DONE, UNCHANGED, REFUSED = "done", "unchanged", "refused"
OUTCOME_LABELS = {DONE: "Done", UNCHANGED: "Unchanged", REFUSED: "Refused"}
RESULT_LIST_LIMIT = 200
_KEY = re.compile(r"[A-Za-z0-9_-]{8,100}")


@dataclass(frozen=True)
class Action:
    label: str
    apply: Callable[[Session, Actor, str, dict[str, Any]], tuple[str, str]]
    # What ``apply`` reports when it is done (written with the change itself).
    message: Callable[[dict[str, Any]], str]


def action_labels() -> dict[str, str]:
    return {name: action.label for name, action in ACTIONS.items()}


# --------------------------------------------------------------------------- starting


def start(session: Session, actor: Actor, action: str, *, key: str, order_ids: list[str] | None = None,
          search: search_service.SearchParams | None = None, target: str | None = None,
          reason: str | None = None) -> jobs.JobState:
    """Queue a bulk action over ``order_ids`` or over every order ``search`` matches
    (at most 10,000). ``key`` (from the form) makes a repeated submit return the job
    already queued instead of applying the action twice."""
    if not actor.is_manager:
        raise PermissionDenied("Only managers and admins act on orders in bulk.")
    errors: list[FieldError] = []
    if action not in ACTIONS:
        errors.append(FieldError("action", f"must be one of {', '.join(ACTIONS)}"))
    if action == "status" and target not in workflow.STATUSES:
        errors.append(FieldError("target", f"must be one of {', '.join(workflow.STATUSES)}"))
    reason = (reason or "").strip()
    if action == "cancel":
        if not reason:
            errors.append(FieldError("reason", "is required to cancel orders"))
        elif len(reason) > MAX_REASON or any(ord(ch) < 32 for ch in reason):
            errors.append(FieldError("reason", f"must be at most {MAX_REASON} characters on one line"))
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        errors.append(FieldError("token", "is missing or malformed; reload the page and try again"))
    params: dict[str, Any] = {"action": action, "target": target if action == "status" else None,
                              "reason": reason or None, "actor": _actor_params(actor)}
    if order_ids is not None:
        ids = list(dict.fromkeys(i for i in order_ids if isinstance(i, str) and 0 < len(i) <= 36))
        if not ids:
            errors.append(FieldError("id", "select at least one order"))
        elif len(ids) > MAX_ORDERS:
            errors.append(FieldError("id", f"at most {MAX_ORDERS:,} orders at once"))
        params["ids"], total = ids, len(ids)
    elif search is not None:
        total = search_service.count_exactly(session, actor, search)
        if total == 0:
            errors.append(FieldError("all", "no order matches this search"))
        elif total > MAX_ORDERS:
            errors.append(FieldError("all", f"{total:,} orders match; narrow the search to at most {MAX_ORDERS:,}"))
        params["search"] = search_spec(search)
    else:
        errors.append(FieldError("id", "select at least one order"))
        total = 0
    if errors:
        raise ValidationFailed(errors)
    return jobs.enqueue(session, actor, KIND, params, idempotency_key=f"{KIND}:{key}", total=total)


def _actor_params(actor: Actor) -> dict[str, Any]:
    return {"name": actor.name, "role": actor.role, "user_id": actor.user_id, "rep_numbers": list(actor.rep_numbers)}


def search_spec(params: search_service.SearchParams) -> dict[str, Any]:
    """A search as JSON (the API's own parameters), for the job to run again."""
    filters = [{"field": f.field, "operator": f.operator, "value": _plain(f.value)} for f in params.filters]
    return {"sortOn": params.sort_on, "sortDirection": params.sort_direction, "q": params.q,
            "filters": filters, "qIncludesSku": params.q_includes_sku}


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def search_from_spec(spec: dict[str, Any]) -> search_service.SearchParams:
    import json

    args = {"sortOn": spec["sortOn"], "sortDirection": spec["sortDirection"], "filters": json.dumps(spec["filters"])}
    if spec.get("q"):
        args["q"] = spec["q"]
    params = search_service.parse_search_params(args)
    params.q_includes_sku = bool(spec.get("qIncludesSku"))
    return params


# --------------------------------------------------------------------------- the job


@jobs.handler(KIND)
def run(ctx: jobs.JobContext) -> dict[str, Any]:
    session, params = ctx.session, {**ctx.params, "job_id": ctx.job_id}
    actor = Actor(organization_id=ctx.organization_id, **{**params["actor"],
                                                          "rep_numbers": tuple(params["actor"]["rep_numbers"])})
    action = ACTIONS[params["action"]]
    total = _resolve(ctx, actor)
    done = _count(session, ctx, finished=True)
    while True:
        batch = session.execute(
            select(BulkItem.seq, BulkItem.order_id)
            .where(BulkItem.organization_id == ctx.organization_id, BulkItem.job_id == ctx.job_id,
                   BulkItem.outcome.is_(None))
            .order_by(BulkItem.seq).limit(BATCH)
        ).all()
        session.commit()
        if not batch:
            break
        for seq, order_id in batch:
            _apply_one(session, ctx, actor, action, seq, order_id, params)
            done += 1
        ctx.progress(done, total)
    return summary(session, ctx.organization_id, ctx.job_id, params)


def _resolve(ctx: jobs.JobContext, actor: Actor) -> int:
    """Write the job's orders as items once (a resumed job finds them written)."""
    session, params = ctx.session, ctx.params
    existing = _count(session, ctx)
    if existing:
        return existing
    org = ctx.organization_id
    if "ids" in params:
        wanted = params["ids"]
        found: dict[str, str] = {}
        for start_at in range(0, len(wanted), 1000):
            chunk = wanted[start_at:start_at + 1000]
            found.update(session.execute(
                select(Order.id, Order.order_number)
                .where(Order.organization_id == org, in_list(Order.id, chunk),
                       *visibility.visible_orders(actor))
            ).all())
        rows = [(oid, found.get(oid)) for oid in wanted]
    else:
        stmt = (search_service.ordered_ids(actor, search_from_spec(params["search"]))
                .with_only_columns(Order.id, Order.order_number).limit(MAX_ORDERS))
        rows = [tuple(r) for r in session.execute(stmt)]
    items = [{"organization_id": org, "job_id": ctx.job_id, "seq": i, "order_id": oid, "order_number": number,
              "outcome": None if number is not None else REFUSED,
              "message": None if number is not None else "No order with this id."}
             for i, (oid, number) in enumerate(rows)]
    bulk_insert(session, BulkItem.__table__, items)
    done = sum(1 for item in items if item["outcome"])
    ctx.progress(done, len(items))
    return len(items)


def _count(session: Session, ctx: jobs.JobContext, *, finished: bool = False) -> int:
    stmt = select(func.count()).select_from(BulkItem).where(
        BulkItem.organization_id == ctx.organization_id, BulkItem.job_id == ctx.job_id)
    if finished:
        stmt = stmt.where(BulkItem.outcome.is_not(None))
    count = session.scalar(stmt) or 0
    session.commit()
    return count


def _record(session: Session, ctx: jobs.JobContext, seq: int, outcome: str, message: str) -> None:
    session.execute(update(BulkItem).where(
        BulkItem.organization_id == ctx.organization_id, BulkItem.job_id == ctx.job_id, BulkItem.seq == seq,
    ).values(outcome=outcome, message=message[:2000]).execution_options(synchronize_session=False))


def _apply_one(session: Session, ctx: jobs.JobContext, actor: Actor, action: Action, seq: int, order_id: str,
               params: dict[str, Any]) -> None:
    """The action on one order. Its outcome is written first, in the same transaction
    as the service's change (which commits both); a refusal rolls both back and records
    why. Should the service have had to retry its transaction, the outcome is written again."""
    expected = action.message(params)
    _record(session, ctx, seq, DONE, expected)
    try:
        outcome, message = action.apply(session, actor, order_id, params)
    except DomainError as exc:
        session.rollback()
        outcome, message = _refusal(session, actor, order_id, params, exc)
    if (outcome, message) != (DONE, expected) or session.scalar(select(BulkItem.outcome).where(
            BulkItem.organization_id == ctx.organization_id, BulkItem.job_id == ctx.job_id,
            BulkItem.seq == seq)) != DONE:
        _record(session, ctx, seq, outcome, message)
    session.commit()


def _refusal(session: Session, actor: Actor, order_id: str, params: dict[str, Any],
             exc: DomainError) -> tuple[str, str]:
    target = params.get("target") or (workflow.CANCELLED if params["action"] == "cancel" else None)
    if isinstance(exc, StateLocked) and target is not None:
        current = session.scalar(select(Order.order_status).where(
            Order.organization_id == actor.organization_id, Order.id == order_id))
        if current == target:
            return UNCHANGED, f"Already {target}."
    if isinstance(exc, ValidationFailed) and exc.errors:
        return REFUSED, "; ".join(e.message for e in exc.errors)
    return REFUSED, exc.detail


# --------------------------------------------------------------------------- the actions


def _moved(params: dict[str, Any]) -> str:
    return f"Moved to {params['target']}."


def _cancelled(params: dict[str, Any]) -> str:
    return f"Cancelled: {params['reason']}"


def _move(session: Session, actor: Actor, order_id: str, params: dict[str, Any]) -> tuple[str, str]:
    target = params["target"]
    order_service.change_status(session, actor, order_id, target)
    return DONE, _moved(params)


def _cancel(session: Session, actor: Actor, order_id: str, params: dict[str, Any]) -> tuple[str, str]:
    order_service.change_status(session, actor, order_id, workflow.CANCELLED, reason=params["reason"])
    return DONE, _cancelled(params)


def _item_key(params: dict[str, Any], order_id: str) -> str:
    """What makes one order's email or invoice of one bulk job happen once: a job resumed
    after its worker died between the service's commit and the item's outcome (or run
    again from an earlier point) finds the email or invoice it already wrote."""
    return f"{KIND}:{params['job_id']}:{order_id}"


def _email(session: Session, actor: Actor, order_id: str, params: dict[str, Any]) -> tuple[str, str]:
    from app.mail.service import queue_confirmation, suggested_recipients

    recipients = suggested_recipients(order_service.get_order(session, actor, order_id))
    if not recipients:
        raise ValidationFailed([FieldError("customer.companyEmail", "The customer has no email address.")])
    queue_confirmation(session, actor, order_id, recipients, idempotency_key=_item_key(params, order_id))
    return DONE, f"Confirmation queued for {', '.join(recipients)}."


def _invoice(session: Session, actor: Actor, order_id: str, params: dict[str, Any]) -> tuple[str, str]:
    from app.services.invoices import issue_invoice

    invoice = issue_invoice(session, actor, order_id, idempotency_key=_item_key(params, order_id))
    return DONE, f"Invoice {invoice.invoice_number} issued, due {invoice.due_date.isoformat()}."


ACTIONS: dict[str, Action] = {
    "status": Action("Move to status", _move, _moved),
    "cancel": Action("Cancel with a reason", _cancel, _cancelled),
    "email": Action("Email confirmation to the customer", _email, lambda params: "Confirmation queued."),
    "invoice": Action("Issue invoices", _invoice, lambda params: "Invoice issued."),
}


# --------------------------------------------------------------------------- results


def summary(session: Session, organization_id: str, job_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Counts per outcome, the most common refusal reasons, and the first orders of each outcome."""
    rows = session.execute(
        select(BulkItem.order_number, BulkItem.outcome, BulkItem.message)
        .where(BulkItem.organization_id == organization_id, BulkItem.job_id == job_id).order_by(BulkItem.seq)
    ).all()
    counts = Counter(outcome for _, outcome, _ in rows)
    reasons = Counter(message for _, outcome, message in rows if outcome == REFUSED)
    listed: dict[str, list[list[str | None]]] = {DONE: [], UNCHANGED: [], REFUSED: []}
    for number, outcome, message in rows:
        if outcome in listed and len(listed[outcome]) < RESULT_LIST_LIMIT:
            listed[outcome].append([number, message])
    label = ACTIONS[params["action"]].label if params["action"] in ACTIONS else params["action"]
    if params.get("target"):
        label = f"Move to {params['target']}"
    return {
        "action": params["action"], "label": label, "total": len(rows),
        "done": counts[DONE], "unchanged": counts[UNCHANGED], "refused": counts[REFUSED],
        "reasons": [[message, n] for message, n in reasons.most_common(10)],
        "items": listed, "list_limit": RESULT_LIST_LIMIT,
    }


def outcomes(session: Session, actor: Actor, job_id: str) -> Iterator[tuple[int, str | None, str, str]]:
    """Every order of a bulk job of the actor's organization: (position, order number,
    outcome, message); another organization's job is NotFound."""
    job = jobs.get_job(session, actor, job_id)
    if job.kind != KIND:
        raise NotFound("No such bulk action.")
    result = session.execute(
        select(BulkItem.seq, BulkItem.order_number, BulkItem.outcome, BulkItem.message)
        .where(BulkItem.organization_id == actor.organization_id, BulkItem.job_id == job_id)
        .order_by(BulkItem.seq).execution_options(yield_per=1000)
    )
    for seq, number, outcome, message in result:
        yield seq + 1, number, OUTCOME_LABELS.get(outcome or "", "Waiting"), message or ""
