"""Issuing and voiding invoices: numbering, due dates, the frozen snapshot, the rules,
and (PostgreSQL) concurrent issuers getting distinct, gapless numbers."""

import copy
import itertools
import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Invoice, Order, OrderEvent
from app.domain.errors import Conflict, NotFound, PermissionDenied, StateLocked, ValidationFailed
from app.services import accounts
from app.services.context import MANAGER, REP, Actor
from app.services.invoices import issue_invoice, local_today, state_for_order, void_invoice
from app.services.orders import change_status, create_order, update_shipping
from app.services.search import invoice_numbers_for, parse_search_params, search_orders
from tests.seed_examples import SHIPPING_UPDATE, SINGLE_CREATE

PATHS = {"Pending": [], "Processing": ["Processing"], "Shipped": ["Processing", "Shipped"],
         "Complete": ["Processing", "Shipped", "Complete"], "Cancelled": ["Processing", "Cancelled"]}


_serial = itertools.count()


def make_order(session, actor, status="Shipped", **changes):
    payload = copy.deepcopy(SINGLE_CREATE)
    payload["externalId"] = f"INV-TEST-{next(_serial)}"
    payload.update(changes)
    order_id = create_order(session, actor, payload).id
    for step in PATHS[status]:
        change_status(session, actor, order_id, step)
    return order_id


@pytest.fixture()
def manager(org):
    return Actor(organization_id=org.id, name="Dana Lee", role=MANAGER, user_id="u-manager")


def test_issue_numbers_dates_snapshot_and_history(db_session, org, actor, manager):
    order_id = make_order(db_session, actor, "Shipped")
    invoice = issue_invoice(db_session, manager, order_id)
    order = db_session.get(Order, order_id)
    assert invoice.invoice_number == "INV-00001"
    assert invoice.amount == order.order_total > 0
    assert invoice.terms == "Net30"
    assert invoice.due_date == local_today(org, invoice.issued_at) + timedelta(days=30)
    assert invoice.issued_by == "Dana Lee"
    assert invoice.snapshot["order"]["total"] == format(order.order_total, "f")
    assert [line["sku"] for line in invoice.snapshot["lines"]] == [line.sku for line in order.items]
    event = db_session.scalars(select(OrderEvent).where(OrderEvent.kind == "invoice_issued")).one()
    assert event.actor == "Dana Lee" and "INV-00001" in event.summary
    second = issue_invoice(db_session, manager, make_order(db_session, actor, "Complete", terms="Net60"))
    assert second.invoice_number == "INV-00002"
    assert (second.due_date - local_today(org, second.issued_at)).days == 60
    assert invoice_numbers_for(db_session, [order_id]) == {order_id: ["INV-00001"]}
    page = search_orders(db_session, actor, parse_search_params(
        {"filters": '[{"field":"invoiceNumber","operator":"eq","value":"INV-00001"}]'}))
    assert [o.id for o in page.items] == [order_id]


def test_invoice_is_frozen_against_later_order_edits(db_session, org, actor, manager):
    order_id = make_order(db_session, actor, "Pending")
    change_status(db_session, actor, order_id, "Processing")
    change_status(db_session, actor, order_id, "Shipped")
    invoice = issue_invoice(db_session, manager, order_id)
    frozen = copy.deepcopy(invoice.snapshot)
    order = db_session.get(Order, order_id)
    order.company_name = "Renamed Later Inc."
    db_session.commit()
    db_session.expire_all()
    again = db_session.get(Invoice, invoice.id)
    assert again.snapshot == frozen and again.snapshot["customer"]["name"] == "Brightfield Supply Co."


def test_rules_refuse_reps_unshipped_cancelled_and_a_second_live_invoice(db_session, org, actor, manager):
    rep = Actor(organization_id=org.id, name="Rep", role=REP, rep_numbers=("REP-007",))
    shipped = make_order(db_session, actor, "Shipped")
    with pytest.raises(PermissionDenied):
        issue_invoice(db_session, rep, shipped)
    with pytest.raises(PermissionDenied):
        issue_invoice(db_session, Actor(organization_id=org.id, name="RO", read_only=True), shipped)
    with pytest.raises(StateLocked, match="Shipped or Complete"):
        issue_invoice(db_session, manager, make_order(db_session, actor, "Processing"))
    with pytest.raises(StateLocked, match="Cancelled"):
        issue_invoice(db_session, manager, make_order(db_session, actor, "Cancelled"))
    first = issue_invoice(db_session, manager, shipped)
    with pytest.raises(Conflict, match=f"already has invoice {first.invoice_number}"):
        issue_invoice(db_session, manager, shipped)
    state = state_for_order(db_session, rep, db_session.get(Order, shipped))
    assert not state.can_issue and [i.invoice_number for i in state.invoices] == ["INV-00001"]
    other_org = accounts.create_organization(db_session, "Other Co", tiers=["Wholesale"])
    db_session.commit()
    with pytest.raises(NotFound):
        issue_invoice(db_session, Actor(organization_id=other_org.id, name="X", role=MANAGER), shipped)


def test_void_keeps_the_number_and_allows_a_new_invoice(db_session, org, actor, manager):
    order_id = make_order(db_session, actor, "Complete")
    first = issue_invoice(db_session, manager, order_id)
    with pytest.raises(ValidationFailed):
        void_invoice(db_session, manager, first.id, "  ")
    voided = void_invoice(db_session, manager, first.id, "Wrong billing address")
    assert voided.is_void and voided.void_reason == "Wrong billing address" and voided.voided_by == "Dana Lee"
    with pytest.raises(Conflict, match="already void"):
        void_invoice(db_session, manager, first.id, "again")
    second = issue_invoice(db_session, manager, order_id)
    assert second.invoice_number == "INV-00002"
    assert sorted(invoice_numbers_for(db_session, [order_id])[order_id]) == ["INV-00001", "INV-00002"]
    assert db_session.get(Invoice, first.id).invoice_number == "INV-00001"


def test_prefix_applies_to_new_numbers_and_imported_numbers_are_skipped(db_session, org, actor, manager):
    imported = make_order(db_session, actor, "Complete", externalId="IMP-1")
    db_session.add(Invoice(organization_id=org.id, order_id=imported, invoice_number="BILL-00001", amount=D(5)))
    org.invoice_number_prefix = "BILL-"
    db_session.commit()
    order_id = make_order(db_session, actor, "Shipped")
    assert issue_invoice(db_session, manager, order_id).invoice_number == "BILL-00002"
    with pytest.raises(Conflict, match="BILL-00001"):
        issue_invoice(db_session, manager, imported)


def test_shipping_edit_after_issue_is_refused_and_invoice_unchanged(db_session, org, actor, manager):
    order_id = make_order(db_session, actor, "Shipped")
    invoice = issue_invoice(db_session, manager, order_id)
    with pytest.raises(StateLocked):
        update_shipping(db_session, actor, order_id, SHIPPING_UPDATE)
    assert db_session.get(Invoice, invoice.id).amount == invoice.amount


@pytest.mark.postgres_only
def test_eight_threads_issue_distinct_gapless_numbers(db_session, org, actor, manager):
    engine = db_session.get_bind()
    order_ids = [make_order(db_session, actor, "Shipped", externalId=f"PAR-{n}") for n in range(24)]
    barrier = threading.Barrier(8)
    errors: list[str] = []

    def worker(index: int) -> None:
        with Session(engine) as session:
            barrier.wait()
            for order_id in order_ids[index::8]:
                try:
                    issue_invoice(session, manager, order_id)
                except Exception as exc:  # noqa: BLE001 - asserted below
                    errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    numbers = sorted(db_session.scalars(select(Invoice.invoice_number)))
    assert numbers == [f"INV-{n:05d}" for n in range(1, 25)]
    per_order = db_session.scalars(select(Invoice.order_id)).all()
    assert sorted(per_order) == sorted(order_ids)

    # Eight managers issuing for the same order at once: one invoice, seven refusals.
    contested = make_order(db_session, actor, "Shipped", externalId="PAR-X")
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def racer() -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                outcomes.append(issue_invoice(session, manager, contested).invoice_number)
            except Conflict as exc:
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=racer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["Conflict"] * 7 + ["INV-00025"]
