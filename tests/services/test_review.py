"""Approvals cannot be bypassed; dashboard figures equal an independent query; the queue
finds each reason; two organizations' figures never mix. Runs on SQLite and PostgreSQL."""

import copy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select, text

from app.db.models import Order, OrderEvent, OutboxEmail, Product, ProductPrice
from app.domain.errors import PermissionDenied, StateLocked, ValidationFailed
from app.mail.service import queue_confirmation
from app.services import accounts, approvals, attention, dashboard, org_settings
from app.services.context import Actor
from app.services.orders import REJECT_FAILED, change_status, create_order, get_order, import_orders, update_shipping
from app.services.present import order_to_dict
from tests.seed_examples import SINGLE_CREATE

RULES = {"pending_days": "3", "below_list_percent": "10", "discount_percent": "15", "approval_total_USD": "400",
         "approval_discount_percent": "", "approval_below_list_percent": "10"}


def payload(ext: str, **changes):
    data = copy.deepcopy(SINGLE_CREATE)
    data["externalId"] = ext
    data.update(changes)
    return data


@pytest.fixture()
def manager(org):
    return Actor(organization_id=org.id, name="Mia Manager", role="manager", user_id="u-manager")


@pytest.fixture()
def rules(db_session, org, actor):
    org_settings.update_review(db_session, actor, RULES)
    return org


def test_an_order_over_the_total_awaits_approval_and_cannot_move_or_be_emailed(db_session, actor, manager, rules):
    order_id = create_order(db_session, actor, payload("E-1")).id
    order = get_order(db_session, actor, order_id)
    assert order.approval_state == "pending"
    assert order.approval_reasons == ["Total $479.30 is above $400.00"]
    with pytest.raises(StateLocked, match="awaiting a manager's approval"):
        change_status(db_session, manager, order_id, "Processing")
    with pytest.raises(StateLocked, match="emailed once it is approved"):
        queue_confirmation(db_session, manager, order_id, ["a@example.com"])
    assert db_session.scalar(select(OutboxEmail.id)) is None
    body = order_to_dict(get_order(db_session, actor, order_id), rules)
    assert body["approval"] == {"state": "pending", "reasons": ["Total $479.30 is above $400.00"],
                                "decidedBy": None, "decidedAt": None, "reason": None}
    approvals.decide(db_session, manager, order_id, "approve", "Known customer")
    assert change_status(db_session, manager, order_id, "Processing").order_status == "Processing"
    kinds = list(db_session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == order_id)
                                    .order_by(OrderEvent.id)))
    assert kinds == ["created", "approval_requested", "approval_approved", "status_changed"]
    body = order_to_dict(get_order(db_session, actor, order_id), rules)
    assert body["approval"]["state"] == "approved" and body["approval"]["decidedBy"] == "Mia Manager"
    assert body["approval"]["reason"] == "Known customer" and body["approval"]["decidedAt"].endswith("Z")


def test_an_unapproved_order_may_still_be_cancelled_and_a_small_one_needs_nothing(db_session, actor, manager, rules):
    big = create_order(db_session, actor, payload("E-2")).id
    assert change_status(db_session, manager, big, "Cancelled").order_status == "Cancelled"
    small = payload("E-3", items=[{"sku": "WDG-BLU-L", "quantity": 2, "price": 12.5}])
    small_id = create_order(db_session, actor, small).id
    assert get_order(db_session, actor, small_id).approval_state is None
    assert order_to_dict(get_order(db_session, actor, small_id), rules)["approval"] is None


def test_email_before_approval_when_the_organization_allows_it(db_session, actor, manager, rules):
    org_settings.update_review(db_session, actor, {**RULES, "approval_allows_email": "1"})
    order_id = create_order(db_session, actor, payload("E-4")).id
    assert queue_confirmation(db_session, manager, order_id, ["a@example.com"])


def test_a_rep_never_approves_not_even_their_own_order_and_neither_does_a_token(db_session, actor, org, rules):
    order_id = create_order(db_session, actor, payload("E-5")).id
    rep = Actor(organization_id=org.id, name="Jordan", role="rep", user_id="u-rep", rep_numbers=("REP-007",))
    token = Actor(organization_id=org.id, name="ERP", token_id="t-1")
    for who in (rep, token):
        with pytest.raises(PermissionDenied):
            approvals.decide(db_session, who, order_id, "approve", "mine")
        db_session.rollback()
    with pytest.raises(PermissionDenied):
        change_status(db_session, rep, order_id, "Processing")
    assert get_order(db_session, actor, order_id).approval_state == "pending"


def test_reject_needs_a_reason_and_blocks_processing(db_session, actor, manager, rules):
    order_id = create_order(db_session, actor, payload("E-6")).id
    with pytest.raises(ValidationFailed):
        approvals.decide(db_session, manager, order_id, "reject", "  ")
    db_session.rollback()
    approvals.decide(db_session, manager, order_id, "reject", "Margin too thin")
    with pytest.raises(StateLocked, match="rejected"):
        change_status(db_session, manager, order_id, "Processing")
    with pytest.raises(StateLocked, match="nothing to decide"):
        approvals.decide(db_session, manager, order_id, "approve", "changed my mind")


def test_an_import_of_a_pending_order_then_a_reimport_as_processing_is_refused(db_session, actor, manager, rules):
    slot = import_orders(db_session, actor, [payload("IMP-1", orderNumber="H-1")])[0]
    assert get_order(db_session, actor, slot.result.id).approval_state == "pending"
    again = payload("IMP-1", orderNumber="H-1", orderStatus="Processing")
    with pytest.raises(ValidationFailed) as refused:
        import_orders(db_session, actor, [again])
    assert refused.value.errors[0].field == "orders[0].orderStatus"
    assert "awaiting a manager's approval" in refused.value.errors[0].message
    db_session.rollback()
    slots = import_orders(db_session, actor, [again], REJECT_FAILED)
    assert slots[0].result is None and slots[0].errors
    # A new order cannot be imported straight into Processing either.
    slots = import_orders(db_session, actor, [payload("IMP-2", orderStatus="Processing")], REJECT_FAILED)
    assert slots[0].result is None and "Processing once approved" in slots[0].errors[0].message
    # A create that re-submits the externalId as Processing is refused the same way.
    with pytest.raises(StateLocked):
        create_order(db_session, actor, payload("IMP-1", orderStatus="Processing"))
    db_session.rollback()
    assert get_order(db_session, actor, slot.result.id).order_status == "Pending"


def test_a_change_after_approval_makes_it_lapse_and_asks_again(db_session, actor, manager, rules):
    order_id = create_order(db_session, actor, payload("E-7")).id
    approvals.decide(db_session, manager, order_id, "approve", "ok")
    # The same content again keeps the decision.
    create_order(db_session, actor, payload("E-7"))
    assert get_order(db_session, actor, order_id).approval_state == "approved"
    changed = payload("E-7")
    changed["items"][0]["quantity"] = 30
    create_order(db_session, actor, changed)
    order = get_order(db_session, actor, order_id)
    assert order.approval_state == "pending" and order.approval_decided_by is None
    with pytest.raises(StateLocked):
        change_status(db_session, manager, order_id, "Processing")
    approvals.decide(db_session, manager, order_id, "approve", "ok again")
    # A shipping edit changes the total: it lapses too.
    update_shipping(db_session, manager, order_id, {"method": "Freight", "total": 90})
    assert get_order(db_session, actor, order_id).approval_state == "pending"
    kinds = set(db_session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == order_id)))
    assert "approval_lapsed" in kinds


def test_a_line_below_list_asks_for_approval_and_counts_as_overridden(db_session, actor, manager, rules, org):
    product = Product(organization_id=org.id, sku="WDG-BLU-L", name="Widget")
    product.prices = [ProductPrice(price_tier="Wholesale", currency_code="USD", price=D("15.00"))]
    db_session.add(product)
    db_session.commit()
    cheap = payload("E-8", items=[{"sku": "WDG-BLU-L", "quantity": 2, "price": 12.5}])
    order = get_order(db_session, actor, create_order(db_session, actor, cheap).id)
    assert (order.overridden_lines, order.below_list_pct) == (1, D("16.67"))
    assert order.approval_reasons == ["A line is priced 16.67 % below its list price (rule: more than 10 %)"]


# --------------------------------------------------------------------------- figures


def _seed(db_session, actor, org_tag: str, n: int = 60) -> None:
    """Orders over 40 days, in two currencies, several statuses, channels, reps and types."""
    base = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    statuses = ["Pending", "Processing", "Shipped", "Complete", "Cancelled"]
    orders = []
    for i in range(n):
        data = payload(f"{org_tag}-{i}", orderNumber=f"{org_tag}-{i:04d}",
                       orderDate=(base - timedelta(hours=16 * i + 3)).isoformat(),
                       orderStatus=statuses[i % 5], currencyCode="USD" if i % 3 else "EUR",
                       channel=["Phone", "Web", "Email"][i % 3], orderType=["Direct", "EDI"][i % 2])
        data["customer"] = {"customerNumber": f"C-{i % 7}", "companyName": f"Company {i % 7}"}
        data["primarySalesRep"] = {"repNumber": f"R-{i % 4}"}
        data["items"] = [{"sku": f"SKU-{i % 5}", "quantity": 1 + i % 4, "price": 10 + i},
                         {"sku": f"SKU-{(i + 1) % 5}", "quantity": 2, "price": 3}]
        data["discountAmount"] = i % 6
        orders.append(data)
    assert all(s.result for s in import_orders(db_session, actor, orders))


def _independent(db_session, org_id: str, start: datetime, end: datetime):
    rows = db_session.execute(text(
        "SELECT currency_code, order_status, channel, primary_rep_number, order_type, customer_number, order_total, id "
        "FROM orders WHERE organization_id = :org"), {"org": org_id}).all()
    keep = []
    for row in rows:
        when = db_session.get(Order, row.id).order_date
        if start <= when < end:
            keep.append(row)
    return keep


def test_dashboard_figures_equal_an_independent_query_and_organizations_never_mix(db_session, actor, org):
    other = accounts.create_organization(db_session, "Other Co", tiers=["Wholesale"])
    db_session.commit()
    org.time_zone = org.summary_time_zone = "America/New_York"
    db_session.commit()
    other_actor = Actor(organization_id=other.id, name="Other Admin")
    _seed(db_session, actor, "A")
    _seed(db_session, other_actor, "B", n=45)
    now = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    period = dashboard.resolve_period("30d", None, None, org.time_zone, now=now)
    assert period.first == date(2026, 11, 1) and period.start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    rows = _independent(db_session, org.id, period.start, period.end)
    prev_rows = _independent(db_session, org.id, period.previous().start, period.previous().end)
    comps = dashboard.headlines(db_session, actor, period)
    for cur in ("USD", "EUR"):
        mine = [r for r in rows if r.currency_code == cur]
        kept = [r for r in mine if r.order_status != "Cancelled"]
        assert comps[cur].current.orders == len(mine)
        assert comps[cur].current.cancelled == len(mine) - len(kept)
        assert comps[cur].current.revenue == sum((D(str(r.order_total)) for r in kept), D(0))
        assert comps[cur].previous.orders == len([r for r in prev_rows if r.currency_code == cur])
    by_status = {r.key: r.orders for r in dashboard.breakdown(db_session, actor, period, "USD", "status")}
    assert by_status == {s: len([r for r in rows if r.currency_code == "USD" and r.order_status == s])
                         for s in {r.order_status for r in rows if r.currency_code == "USD"}}
    by_rep = {r.key: r.revenue for r in dashboard.breakdown(db_session, actor, period, "USD", "rep")}
    for rep, revenue in by_rep.items():
        assert revenue == sum((D(str(r.order_total)) for r in rows if r.currency_code == "USD"
                               and r.primary_rep_number == rep and r.order_status != "Cancelled"), D(0))
    top = dashboard.top_customers(db_session, actor, period, "USD")
    expected = {}
    for r in rows:
        if r.currency_code == "USD" and r.order_status != "Cancelled":
            expected[r.customer_number] = expected.get(r.customer_number, D(0)) + D(str(r.order_total))
    assert [(t.key, t.revenue) for t in top] == sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    kept_usd = [r for r in rows if r.currency_code == "USD" and r.order_status != "Cancelled"]
    lines = db_session.execute(text("SELECT order_id, sku, quantity, sub_total FROM order_lines")).all()
    per_order: dict = {}
    for line in lines:
        per_order.setdefault(line.order_id, []).append(line)
    units, sku_revenue = {}, {}
    for r in kept_usd:
        for line in per_order[r.id]:
            units[r.customer_number] = units.get(r.customer_number, 0) + line.quantity
            sku_revenue[line.sku] = sku_revenue.get(line.sku, D(0)) + D(str(line.sub_total))
    top_units = dashboard.top_customers(db_session, actor, period, "USD", "units")
    assert [(t.key, t.units) for t in top_units] == sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    top_skus = dashboard.top_products(db_session, actor, period, "USD")
    assert [(t.key, t.revenue) for t in top_skus] == sorted(sku_revenue.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    trend = dashboard.daily(db_session, actor, period, "USD")
    assert len(trend) == 30 and sum(d.orders for d in trend) == len([r for r in rows if r.currency_code == "USD"])
    reps = dashboard.rep_performance(db_session, actor, period)
    assert sum(r.orders for r in reps) == len(rows)
    # The other organization's figures are its own.
    other_comps = dashboard.headlines(db_session, other_actor, dashboard.resolve_period("30d", None, None, "UTC", now=now))
    other_rows = _independent(db_session, other.id, *(lambda p: (p.start, p.end))(
        dashboard.resolve_period("30d", None, None, "UTC", now=now)))
    assert sum(c.current.orders for c in other_comps.values()) == len(other_rows)
    assert all(o.organization_id == org.id for o in
               [i.order for i in attention.queue(db_session, Actor(organization_id=org.id, name="M", role="manager"),
                                                 org)])


def test_the_queue_names_each_reason(db_session, actor, manager, rules, org):
    now = datetime.now(UTC)
    stale = payload("Q-1", orderNumber="Q-1", orderDate=(now - timedelta(days=5)).isoformat(),
                    items=[{"sku": "X", "quantity": 1, "price": 10}], discountAmount=2)
    reused = payload("Q-2", orderNumber="Q-2", poNumber=stale["poNumber"],
                     items=[{"sku": "X", "quantity": 1, "price": 10}])
    incomplete = payload("Q-3", orderNumber="Q-3", orderStatus="Processing", shippingDetails={"method": "Freight", "total": 0},
                         items=[{"sku": "X", "quantity": 1, "price": 10}], poNumber="PO-OTHER")
    incomplete["customer"] = {"customerNumber": "NEW-1", "companyName": "No Address Inc"}
    big = payload("Q-4", orderNumber="Q-4", poNumber="PO-BIG")
    import_orders(db_session, actor, [stale, reused, incomplete, big])
    items = {i.order.order_number: i.reasons for i in attention.queue(db_session, manager, org)}
    assert any(r.startswith("Pending for 5 days") for r in items["Q-1"])
    assert any("Discount is 20 % of the subtotal" in r for r in items["Q-1"])
    assert any(r.startswith("PO ") for r in items["Q-2"])
    assert items["Q-3"] == ["Processing without a ship-to address"]
    assert items["Q-4"][0].startswith("Awaiting approval: Total")
    assert attention.count(db_session, manager, org) == len(items) == 4
    with pytest.raises(PermissionDenied):
        attention.queue(db_session, Actor(organization_id=org.id, name="r", role="rep"), org)


def test_an_average_is_an_amount_rounded_to_its_currency():
    usd = dashboard.Headline(orders=3, kept=3, revenue=D("100.00"), currency="USD")
    jpy = dashboard.Headline(orders=3, kept=3, revenue=D("1000"), currency="JPY")
    assert usd.average == D("33.33") and jpy.average == D("333")
    assert dashboard.Headline(orders=2, kept=2).average is None  # counts over every currency have no money
