"""Bulk actions on orders run as jobs through the same services as the single
actions: per-order outcomes with reasons, tenancy and rep visibility kept, one job per
form submission, and the search resolved inside the job."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.db.models import BulkItem, Job, Order, OrderEvent, OutboxEmail
from app.domain.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.services import accounts, bulk, jobs
from app.services.context import Actor
from app.services.orders import change_status, create_order
from app.services.search import parse_search_params
from tests.seed_examples import SINGLE_CREATE

KEY = "form-token-0001"


def make_order(session, actor, n: int, *, rep: str = "REP-1", status: str = "Pending", email: str | None = "buyer@example.com",
               company: str = "Harbor Industrial") -> str:
    body = copy.deepcopy(SINGLE_CREATE)
    body["externalId"] = f"B-{n}"
    body["primarySalesRep"] = {"repNumber": rep}
    body["customer"] = {**body["customer"], "customerNumber": f"C-{n}", "companyName": company, "companyEmail": email}
    if email is None:
        body["customer"].pop("companyEmail")
    order_id = create_order(session, actor, body).id
    path = {"Processing": ["Processing"], "Shipped": ["Processing", "Shipped"], "Cancelled": ["Cancelled"]}
    for step in path.get(status, []):
        change_status(session, actor, order_id, step)
    return order_id


def run_all(session) -> None:
    """What a worker does: claim each due job and run it to its end."""
    while (claimed := jobs.claim_next(session, "test-worker")) is not None:
        jobs.run_claimed(session, db.engine, claimed)


def status_of(session, order_id: str) -> str:
    session.expire_all()
    return session.scalar(select(Order.order_status).where(Order.id == order_id))


@pytest.fixture()
def manager(org) -> Actor:
    return Actor(organization_id=org.id, name="Dana Lee", role="manager", user_id="u-manager")


def test_a_mixed_selection_moves_what_the_workflow_allows_and_says_why_for_the_rest(db_session, actor, manager):
    pending = [make_order(db_session, actor, n) for n in range(3)]
    shipped = make_order(db_session, actor, 3, status="Shipped")
    processing = make_order(db_session, actor, 4, status="Processing")

    job = bulk.start(db_session, manager, "status", key=KEY, order_ids=[*pending, shipped, processing],
                     target="Processing")
    assert job.progress_total == 5
    run_all(db_session)

    state = jobs.get_job(db_session, manager, job.id)
    assert state.state == "succeeded"
    assert (state.result["done"], state.result["unchanged"], state.result["refused"]) == (3, 1, 1)
    assert [status_of(db_session, o) for o in pending] == ["Processing"] * 3
    assert status_of(db_session, shipped) == "Shipped"
    refused = state.result["items"]["refused"]
    assert refused[0][1] == "An order in status Shipped cannot move to Processing. Allowed next: Complete."
    assert state.result["items"]["unchanged"][0][1] == "Already Processing."
    # The same history as a single change, by the person who started the job.
    events = db_session.scalars(select(OrderEvent).where(OrderEvent.order_id == pending[0],
                                                         OrderEvent.kind == "status_changed")).all()
    assert [(e.actor, e.summary) for e in events] == [("Dana Lee", "Status changed to Processing")]
    rows = list(bulk.outcomes(db_session, manager, job.id))
    assert [r[2] for r in rows] == ["Done", "Done", "Done", "Refused", "Unchanged"]


def test_a_second_submit_of_the_same_form_is_the_same_job_and_applies_once(db_session, actor, manager):
    order = make_order(db_session, actor, 1)
    first = bulk.start(db_session, manager, "status", key=KEY, order_ids=[order], target="Processing")
    again = bulk.start(db_session, manager, "status", key=KEY, order_ids=[order], target="Processing")
    assert again.id == first.id
    run_all(db_session)
    assert bulk.start(db_session, manager, "status", key=KEY, order_ids=[order], target="Processing").id == first.id
    run_all(db_session)
    assert db_session.scalar(select(func.count()).select_from(Job)) == 1
    assert db_session.scalar(select(func.count()).select_from(OrderEvent).where(
        OrderEvent.order_id == order, OrderEvent.kind == "status_changed")) == 1


def test_cancelling_needs_a_reason_and_keeps_it_in_the_history(db_session, actor, manager):
    order = make_order(db_session, actor, 1)
    with pytest.raises(ValidationFailed) as refused:
        bulk.start(db_session, manager, "cancel", key=KEY, order_ids=[order], reason="  ")
    assert refused.value.errors[0].field == "reason"
    bulk.start(db_session, manager, "cancel", key=KEY, order_ids=[order], reason="Customer closed the account")
    run_all(db_session)
    assert status_of(db_session, order) == "Cancelled"
    summary = db_session.scalar(select(OrderEvent.summary).where(OrderEvent.order_id == order,
                                                                 OrderEvent.kind == "status_changed"))
    assert summary == "Status changed to Cancelled: Customer closed the account"


def test_emailing_queues_each_customers_confirmation_and_refuses_a_customer_without_email(db_session, actor, manager):
    with_email = make_order(db_session, actor, 1, email="harbor@example.com")
    without = make_order(db_session, actor, 2, email=None)
    job = bulk.start(db_session, manager, "email", key=KEY, order_ids=[with_email, without])
    run_all(db_session)
    emails = db_session.scalars(select(OutboxEmail)).all()
    assert [(e.order_id, e.recipients, e.created_by) for e in emails] == [(with_email, ["harbor@example.com"], "Dana Lee")]
    result = jobs.get_job(db_session, manager, job.id).result
    assert result["items"]["done"][0][1] == "Confirmation queued for harbor@example.com."
    assert result["items"]["refused"][0][1] == "The customer has no email address."


def test_all_matching_a_search_is_resolved_in_the_job_and_never_reaches_another_organization(db_session, actor, manager):
    other_org = accounts.create_organization(db_session, "Beta Supplies", tiers=["Wholesale", "Retail"])
    db_session.commit()
    other = Actor(organization_id=other_org.id, name="Beta Admin")
    theirs = make_order(db_session, other, 1, company="Harbor Industrial")
    ours = [make_order(db_session, actor, n) for n in range(4)]
    make_order(db_session, actor, 9, company="Somebody Else")

    search = parse_search_params({"q": "Harbor", "sortOn": "orderNumber"})
    job = bulk.start(db_session, manager, "status", key=KEY, search=search, target="Processing")
    assert job.progress_total == 4
    # An order of another organization named by id is refused like one that does not exist.
    by_id = bulk.start(db_session, manager, "status", key="form-token-0002", order_ids=[theirs], target="Processing")
    run_all(db_session)
    assert [status_of(db_session, o) for o in ours] == ["Processing"] * 4
    assert status_of(db_session, theirs) == "Pending"
    assert jobs.get_job(db_session, manager, by_id.id).result["items"]["refused"] == [[None, "No order with this id."]]
    with pytest.raises(Exception) as foreign:
        list(bulk.outcomes(db_session, Actor(organization_id=other_org.id, name="Beta", role="manager"), job.id))
    assert type(foreign.value).__name__ == "NotFound"


def test_reps_cannot_start_a_bulk_action_and_a_reps_job_reaches_only_their_orders(db_session, actor, org):
    mine = [make_order(db_session, actor, n, rep="REP-1") for n in range(2)]
    make_order(db_session, actor, 5, rep="REP-2")
    rep = Actor(organization_id=org.id, name="Riley Rep", role="rep", user_id="u-rep", rep_numbers=("REP-1",))
    with pytest.raises(PermissionDenied):
        bulk.start(db_session, rep, "email", key=KEY, order_ids=mine)
    # The job itself resolves the search with the starter's visibility, whoever queued it.
    spec = bulk.search_spec(parse_search_params({"q": "Harbor"}))
    job = jobs.enqueue(db_session, rep, bulk.KIND, {"action": "email", "target": None, "reason": None,
                                                  "actor": bulk._actor_params(rep), "search": spec})
    run_all(db_session)
    items = db_session.scalars(select(BulkItem.order_id).where(BulkItem.job_id == job.id)).all()
    assert sorted(items) == sorted(mine)
    assert db_session.scalar(select(func.count()).select_from(OutboxEmail)) == 2


def test_a_reps_job_naming_another_reps_order_by_id_refuses_it_as_unknown(db_session, actor, org):
    mine = make_order(db_session, actor, 1, rep="REP-1")
    theirs = make_order(db_session, actor, 2, rep="REP-2")
    rep = Actor(organization_id=org.id, name="Riley Rep", role="rep", user_id="u-rep", rep_numbers=("REP-1",))
    job = jobs.enqueue(db_session, rep, bulk.KIND, {"action": "email", "target": None, "reason": None,
                                                  "actor": bulk._actor_params(rep), "ids": [mine, theirs]})
    run_all(db_session)
    result = jobs.get_job(db_session, rep, job.id).result
    assert (result["done"], result["refused"]) == (1, 1)
    assert result["items"]["refused"] == [[None, "No order with this id."]]
    assert db_session.scalars(select(OutboxEmail.order_id)).all() == [mine]


def test_a_resumed_job_carries_on_with_the_orders_it_resolved(db_session, actor, manager):
    orders = [make_order(db_session, actor, n) for n in range(4)]
    search = parse_search_params({"filters": '[{"field": "orderStatus", "operator": "eq", "value": "Pending"}]'})
    job = bulk.start(db_session, manager, "status", key=KEY, search=search, target="Processing")
    claimed = jobs.claim_next(db_session, "first-worker")
    ctx = jobs.JobContext(db_session, claimed)
    bulk._resolve(ctx, Actor(organization_id=manager.organization_id, name=manager.name, role="manager"))
    # The first worker moved one order and died; the search no longer matches that one.
    change_status(db_session, manager, orders[0], "Processing")
    db_session.execute(BulkItem.__table__.update().where(BulkItem.job_id == job.id, BulkItem.seq == 0)
                       .values(outcome="done", message="Moved to Processing."))
    db_session.execute(Job.__table__.update().where(Job.id == job.id).values(lease_expires_at=None, state="queued"))
    db_session.commit()
    run_all(db_session)
    result = jobs.get_job(db_session, manager, job.id).result
    assert (result["total"], result["done"], result["refused"]) == (4, 4, 0)
    assert [status_of(db_session, o) for o in orders] == ["Processing"] * 4


def test_issuing_invoices_in_bulk_follows_the_single_issue_rules(db_session, actor, manager):
    from app.db.models import Invoice

    shipped = make_order(db_session, actor, 1, status="Shipped")
    pending = make_order(db_session, actor, 2)
    cancelled = make_order(db_session, actor, 3, status="Cancelled")
    job = bulk.start(db_session, manager, "invoice", key=KEY, order_ids=[shipped, pending, cancelled, shipped])
    assert job.progress_total == 3  # an order picked twice is acted on once
    run_all(db_session)
    invoices = db_session.scalars(select(Invoice)).all()
    assert [(i.order_id, i.issued_by) for i in invoices] == [(shipped, "Dana Lee")]
    result = jobs.get_job(db_session, manager, job.id).result
    assert result["items"]["done"][0][1].startswith(f"Invoice {invoices[0].invoice_number} issued, due ")
    assert [m for _, m in result["items"]["refused"]] == [
        f"Order {_number(db_session, pending)} is Pending; an invoice is issued once an order is Shipped or Complete.",
        f"Order {_number(db_session, cancelled)} is Cancelled; a cancelled order cannot be invoiced."]
    again = bulk.start(db_session, manager, "invoice", key="form-token-0003", order_ids=[shipped])
    run_all(db_session)
    refused = jobs.get_job(db_session, manager, again.id).result["items"]["refused"]
    assert refused[0][1].startswith(f"Order {_number(db_session, shipped)} already has invoice {invoices[0].invoice_number}")


def _number(session, order_id: str) -> str:
    return session.scalar(select(Order.order_number).where(Order.id == order_id))


def _run_then_resume(session, manager, action: str, orders: list[str], model, value) -> tuple[dict, dict, dict]:
    """Run a bulk job to its end, then again as a worker resuming it would after dying
    when the emails or invoices were committed but their items' outcomes were not (the
    items are to do again, the job's lease has lapsed). Returns what each order had
    (``value`` of its ``model`` rows) after the first run and after the resumed one,
    and the job's result."""
    job = bulk.start(session, manager, action, key=KEY, order_ids=orders)
    run_all(session)
    first = {row.order_id: value(row) for row in session.scalars(select(model))}
    session.execute(BulkItem.__table__.update().where(BulkItem.job_id == job.id).values(outcome=None, message=None))
    session.execute(Job.__table__.update().where(Job.id == job.id).values(
        state="running", lease_owner="dead-worker", lease_expires_at=datetime(2000, 1, 1, tzinfo=UTC),
        finished_at=None, result=None))
    session.commit()
    run_all(session)
    session.expire_all()
    rows = session.scalars(select(model)).all()
    assert len(rows) == len(orders)
    return first, {row.order_id: value(row) for row in rows}, jobs.get_job(session, manager, job.id).result


def test_a_resumed_email_job_queues_each_orders_email_once(db_session, actor, manager):
    orders = [make_order(db_session, actor, n, email=f"buyer{n}@example.com") for n in range(3)]
    first, after, result = _run_then_resume(db_session, manager, "email", orders, OutboxEmail, lambda e: e.id)
    assert sorted(first) == sorted(orders) and after == first
    queued = db_session.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.kind == "email_queued"))
    assert queued == 3
    assert (result["done"], result["refused"]) == (3, 0)
    # Another job (another form submission) is another email.
    bulk.start(db_session, manager, "email", key="form-token-0004", order_ids=orders[:1])
    run_all(db_session)
    assert db_session.scalar(select(func.count()).select_from(OutboxEmail)) == 4


def test_a_resumed_invoice_job_issues_one_invoice_per_order(db_session, actor, manager):
    from app.db.models import Invoice

    orders = [make_order(db_session, actor, n, status="Shipped") for n in range(3)]
    first, after, result = _run_then_resume(db_session, manager, "invoice", orders, Invoice,
                                            lambda i: (i.invoice_number, i.due_date.isoformat()))
    assert sorted(first) == sorted(orders) and after == first
    assert (result["done"], result["refused"]) == (3, 0)
    assert sorted(m for _, m in result["items"]["done"]) == sorted(
        f"Invoice {number} issued, due {due}." for number, due in after.values())
