"""bulk_insert writes through the driver (COPY on PostgreSQL): values of every column
type come back as written, text with the characters COPY escapes included, and a
duplicate key is SQLAlchemy's IntegrityError as an INSERT's would be."""

import copy
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db.models import Order, OrderEvent, OrderLine
from app.db.tx import bulk_insert
from app.services.orders import import_orders, order_events
from tests.seed_examples import BULK

AWKWARD = "tab\there, line\nbreak, back\\slash \\N, quote \" ' and accents: Müller–Ærø 東京"


def test_imported_values_come_back_as_written(db_session, actor):
    orders = copy.deepcopy(BULK["orders"])
    orders[0]["notes"] = AWKWARD
    orders[0]["items"][0]["productName"] = AWKWARD
    orders[0]["items"][0]["price"] = D("1234567.89")
    slots = import_orders(db_session, actor, orders)
    order = db_session.get(Order, slots[0].result.id)
    assert order.notes == AWKWARD
    assert order.order_date.isoformat() == "2023-06-15T09:30:00+00:00"
    assert order.active is True
    line = db_session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                              .order_by(OrderLine.line_no)).first()
    assert (line.product_name, line.price) == (AWKWARD, D("1234567.89"))

    orders[0]["notes"] = "changed"
    import_orders(db_session, actor, orders)
    changes = [e.changes for e in order_events(db_session, actor, order.id) if e.kind == "import_updated"]
    assert changes == [[{"field": "notes", "old": AWKWARD, "new": "changed"}]]


def test_a_duplicate_key_is_an_integrity_error(db_session, actor):
    slots = import_orders(db_session, actor, copy.deepcopy(BULK["orders"]))
    order = db_session.get(Order, slots[0].result.id)
    event = db_session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)).first()
    row = {"id": event.id, "organization_id": order.organization_id, "order_id": order.id,
           "occurred_at": event.occurred_at, "actor": "x", "kind": "created", "summary": None,
           "changes": [], "order_version": 1}
    with pytest.raises(IntegrityError):
        bulk_insert(db_session, OrderEvent.__table__, [row])
    db_session.rollback()
