from decimal import Decimal

from tests.seed_examples import SINGLE_CREATE
from app.services.orders import create_order, get_order


def test_seed_example_creates_an_order_with_the_documented_totals(db_session, actor):
    result = create_order(db_session, actor, SINGLE_CREATE)
    order = get_order(db_session, actor, result.id)
    assert result.created
    assert order.subtotal == Decimal("432.00")
    assert order.order_total == Decimal("479.30")
    assert order.order_number == "ORD-00001"
