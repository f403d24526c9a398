"""Concurrent creators and importers on PostgreSQL, each with its own connection."""

import copy
import random
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Order
from app.domain.errors import DomainError
from app.services.orders import REJECT_ALL, change_status, create_order, import_orders
from app.services.search import count_exactly, count_orders, parse_search_params
from tests.seed_examples import BULK, SINGLE_CREATE

WORKERS = 8
SHARED_EXTERNAL_IDS = [f"SHARED-{n:03d}" for n in range(12)]


def _import_payload(external_id: str) -> dict:
    order = copy.deepcopy(BULK["orders"][1])
    order.pop("orderNumber")
    order["externalId"] = external_id
    order["customer"] = {"customerNumber": f"C-{external_id}", "companyName": "Shared Co"}
    return order


def _worker(engine, actor, index: int, errors: list) -> None:
    rng = random.Random(index)
    try:
        with Session(engine) as session:
            for n in range(6):
                payload = copy.deepcopy(SINGLE_CREATE)
                payload["externalId"] = f"W{index}-{n}" if n % 2 else None
                if payload["externalId"] is None:
                    del payload["externalId"]
                create_order(session, actor, payload)
                shared = rng.sample(SHARED_EXTERNAL_IDS, 4)
                import_orders(session, actor, [_import_payload(e) for e in shared], REJECT_ALL)
    except Exception as exc:  # noqa: BLE001 - collected and asserted below
        errors.append(repr(exc))


@pytest.mark.postgres_only
def test_concurrent_creates_and_overlapping_imports(db_session, actor):
    engine = db_session.get_bind()
    errors: list = []
    threads = [threading.Thread(target=_worker, args=(engine, actor, i, errors)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    numbers = list(db_session.scalars(select(Order.order_number)))
    assert len(numbers) == len(set(numbers)) == WORKERS * 6 + len(
        set(db_session.scalars(select(Order.external_id).where(Order.external_id.like("SHARED-%"))))
    )
    per_external = db_session.execute(
        select(Order.external_id, func.count()).where(Order.external_id.is_not(None)).group_by(Order.external_id)
    ).all()
    assert all(n == 1 for _, n in per_external)
    assert {e for e, _ in per_external if e.startswith("SHARED-")} <= set(SHARED_EXTERNAL_IDS)
    assert len([e for e, _ in per_external if e.startswith("W")]) == WORKERS * 3
    params = parse_search_params({})
    assert count_orders(db_session, actor, params) == count_exactly(db_session, actor, params) == len(numbers)
    for status in ("Pending", "Complete"):
        params = parse_search_params({"orderStatus": status})
        assert count_orders(db_session, actor, params) == count_exactly(db_session, actor, params)


def _parallel(engine, calls):
    """Run each call with its own session at the same moment; return results or error names."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        with Session(engine) as session:
            barrier.wait()
            try:
                out[i] = call(session)
            except DomainError as exc:
                out[i] = type(exc).__name__
            except Exception as exc:  # noqa: BLE001 - reported by the assertion
                out[i] = f"unhandled {exc!r}"

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


@pytest.mark.postgres_only
def test_conflicting_status_changes_apply_one_after_the_other(db_session, actor):
    engine = db_session.get_bind()
    for n in range(5):
        payload = copy.deepcopy(SINGLE_CREATE)
        payload["externalId"] = f"RACE-{n}"
        payload["orderStatus"] = "Processing"
        order_id = create_order(db_session, actor, payload).id
        out = _parallel(engine, [
            lambda s, oid=order_id: change_status(s, actor, oid, "Shipped").order_status,
            lambda s, oid=order_id: change_status(s, actor, oid, "Cancelled").order_status,
        ])
        assert sorted(out, key=str) in (["Shipped", "StateLocked"], ["Cancelled", "StateLocked"]), out
        db_session.expire_all()
        for status in ("Processing", "Shipped", "Cancelled"):
            params = parse_search_params({"orderStatus": status})
            assert count_orders(db_session, actor, params) == count_exactly(db_session, actor, params), status


@pytest.mark.postgres_only
def test_status_change_racing_a_reimport_keeps_counts_true(db_session, actor):
    engine = db_session.get_bind()
    for n in range(4):
        order = copy.deepcopy(BULK["orders"][0])
        order.update(externalId=f"DL-{n}", orderNumber=f"DL-{n}", orderStatus="Pending")
        order_id = import_orders(db_session, actor, [order])[0].result.id
        changed = {**copy.deepcopy(order), "orderStatus": "Complete", "poNumber": "X"}
        out = _parallel(engine, [
            lambda s, oid=order_id: change_status(s, actor, oid, "Processing").order_status,
            lambda s, o=changed: import_orders(s, actor, [o])[0].result.changed,
        ])
        assert not any(str(r).startswith("unhandled") for r in out), out
        db_session.expire_all()
        for status in ("Pending", "Processing", "Complete"):
            params = parse_search_params({"orderStatus": status})
            assert count_orders(db_session, actor, params) == count_exactly(db_session, actor, params), (status, out)


@pytest.mark.postgres_only
def test_eight_managers_moving_one_order_leave_one_transition(db_session, actor):
    """Eight status changes made on the same version of one order at the same moment
    (mixed targets): one applies, seven are refused, and the history says so."""
    from app.db.models import OrderEvent

    engine = db_session.get_bind()
    payload = copy.deepcopy(SINGLE_CREATE)
    payload["externalId"] = "RACE-8"
    order_id = create_order(db_session, actor, payload).id
    targets = ["Processing", "Cancelled"] * 4
    out = _parallel(engine, [
        lambda s, t=t: change_status(s, actor, order_id, t, expected_version=1).order_status for t in targets
    ])
    winners = [r for r in out if r in ("Processing", "Cancelled")]
    assert len(winners) == 1 and sorted(r for r in out if r not in winners) == ["VersionConflict"] * 7, out
    # Without a version, the same target eight times: the workflow refuses all but one.
    target = "Shipped" if winners[0] == "Processing" else None
    if target:
        again = _parallel(engine, [lambda s: change_status(s, actor, order_id, "Shipped").order_status] * 8)
        assert sorted(again) == ["Shipped"] + ["StateLocked"] * 7, again
    db_session.expire_all()
    events = db_session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order_id, OrderEvent.kind == "status_changed").order_by(OrderEvent.id)).all()
    assert [e.changes[0]["new"] for e in events] == [winners[0], *([target] if target else [])]
    assert [e.order_version for e in events] == list(range(2, 2 + len(events)))
    for status in ("Pending", "Processing", "Shipped", "Cancelled"):
        params = parse_search_params({"orderStatus": status})
        assert count_orders(db_session, actor, params) == count_exactly(db_session, actor, params), status
