import copy
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app.db.models import Customer, Order, OrderEvent, OrderLine, Product, SalesRep
from app.domain.errors import NotFound, PermissionDenied, StateLocked, ValidationFailed
from app.services import accounts
from app.services.context import Actor
from app.services.orders import (
    REJECT_FAILED,
    change_status,
    create_order,
    get_order,
    import_orders,
    order_events,
    update_customer,
    update_shipping,
)
from app.services.present import order_to_dict
from tests.seed_examples import BULK, CUSTOMER_UPDATE, SHIPPING_UPDATE, SINGLE_CREATE


def count(session, model=Order):
    return session.scalar(select(func.count()).select_from(model))


def seed_order(**changes):
    data = copy.deepcopy(SINGLE_CREATE)
    data.update(changes)
    return data


def bulk_orders():
    return copy.deepcopy(BULK["orders"])


def test_create_returns_created_and_the_seed_totals_and_formats(db_session, actor, org):
    result = create_order(db_session, actor, SINGLE_CREATE)
    assert result.created
    body = order_to_dict(get_order(db_session, actor, result.id), org)
    assert body["subtotal"] == D("432.00") and body["orderTotal"] == D("479.30")
    assert body["items"][0]["subTotal"] == D("300.00")
    assert [body["items"][0]["priceFormatted"], body["items"][0]["subTotalFormatted"],
            body["shippingDetails"]["totalFormatted"], body["taxFormatted"],
            body["subtotalFormatted"], body["orderTotalFormatted"]] == \
        ["$12.50", "$300.00", "$18.50", "$28.80", "$432.00", "$479.30"]
    assert body["primarySalesRep"]["fullName"] == "Jordan Avery"
    assert body["customer"]["shippingAddress"]["city"] == "Portland"
    assert body["orderStatus"] == "Pending"
    assert body["createdAt"].endswith("Z")


def test_jpy_and_bhd_orders_store_rounded_amounts(db_session, actor, org):
    jpy = seed_order(currencyCode="JPY", externalId="JPY-1", tax=D("10.5"),
                     shippingDetails={"method": "Post", "total": D("99.5")})
    jpy["items"] = [{"sku": "A", "quantity": 3, "price": D("100.5")}]
    bhd = seed_order(currencyCode="BHD", externalId="BHD-1", tax=D("0.0005"),
                     shippingDetails={"method": "Post", "total": D("1")})
    bhd["items"] = [{"sku": "A", "quantity": 1, "price": D("1.0005")}]
    j = get_order(db_session, actor, create_order(db_session, actor, jpy).id)
    b = get_order(db_session, actor, create_order(db_session, actor, bhd).id)
    assert (j.subtotal, j.tax, j.shipping_total, j.order_total) == (D("302"), D("11"), D("100"), D("413"))
    assert (b.subtotal, b.tax, b.order_total) == (D("1.001"), D("0.001"), D("2.002"))
    assert order_to_dict(j, org)["orderTotalFormatted"] == "¥413"


def test_resending_the_same_external_id_updates_in_place_and_records_no_change(db_session, actor):
    first = create_order(db_session, actor, SINGLE_CREATE)
    again = create_order(db_session, actor, SINGLE_CREATE)
    assert (again.id, again.order_number, again.created, again.changed) == (first.id, first.order_number, False, False)
    assert count(db_session) == 1
    kinds = [e.kind for e in order_events(db_session, actor, first.id)]
    assert kinds == ["created"]


def test_reimport_with_changes_replaces_content_and_lists_changes(db_session, actor):
    first = create_order(db_session, actor, SINGLE_CREATE)
    before = get_order(db_session, actor, first.id)
    created_at = before.created_at
    changed = seed_order(poNumber="PO-CHANGED")
    changed["items"] = [{"sku": "WDG-BLU-L", "quantity": 30, "price": 12.50}]
    result = create_order(db_session, actor, changed)
    assert not result.created and result.changed and result.id == first.id
    order = get_order(db_session, actor, first.id)
    assert order.po_number == "PO-CHANGED"
    assert [(line.sku, line.quantity) for line in order.items] == [("WDG-BLU-L", 30)]
    assert order.created_at == created_at and order.updated_at >= created_at
    assert order.subtotal == D("375.00")
    assert count(db_session, OrderLine) == 1
    event = order_events(db_session, actor, first.id)[-1]
    changes = {c["field"]: (c["old"], c["new"]) for c in event.changes}
    assert changes["poNumber"] == ("PO-88412", "PO-CHANGED")
    assert changes["items[0].quantity"] == (24, 30)
    assert changes["items[1]"][1] is None


def test_bulk_import_keeps_supplied_numbers_and_is_idempotent(db_session, actor):
    slots = import_orders(db_session, actor, bulk_orders())
    assert [s.result.order_number for s in slots] == ["ORD-2023-001", "ORD-2023-002"]
    assert all(s.result.created for s in slots)
    again = import_orders(db_session, actor, bulk_orders())
    assert [(s.result.id, s.result.created, s.result.changed) for s in again] == \
        [(s.result.id, False, False) for s in slots]
    assert count(db_session) == 2
    first = get_order(db_session, actor, slots[0].result.id)
    assert first.order_status == "Complete"
    assert first.order_date.isoformat() == "2023-06-15T09:30:00+00:00"


def test_import_matches_by_order_number_when_external_id_is_new(db_session, actor):
    orders = bulk_orders()
    orders[0].pop("externalId")
    slots = import_orders(db_session, actor, orders[:1])
    orders[0]["externalId"] = "ERP-LATE"
    orders[0]["poNumber"] = "PO-NEW"
    again = import_orders(db_session, actor, orders[:1])
    assert again[0].result.id == slots[0].result.id and not again[0].result.created
    order = get_order(db_session, actor, slots[0].result.id)
    assert (order.external_id, order.po_number) == ("ERP-LATE", "PO-NEW")


def test_external_id_and_order_number_pointing_at_two_orders_is_a_conflict(db_session, actor):
    import_orders(db_session, actor, bulk_orders())
    clash = bulk_orders()[0]
    clash["orderNumber"] = "ORD-2023-002"  # externalId ERP-10001 is ORD-2023-001
    with pytest.raises(ValidationFailed) as info:
        import_orders(db_session, actor, [clash])
    assert info.value.errors[0].field == "orders[0].orderNumber"
    assert "ORD-2023-001" in info.value.errors[0].message
    slots = import_orders(db_session, actor, [clash], REJECT_FAILED)
    assert slots[0].result is None and slots[0].errors


def test_duplicates_inside_one_request_fail_and_nothing_is_written(db_session, actor):
    orders = bulk_orders()
    orders[1]["externalId"] = orders[0]["externalId"]
    with pytest.raises(ValidationFailed) as info:
        import_orders(db_session, actor, orders)
    assert [e.field for e in info.value.errors] == ["orders[0].externalId", "orders[1].externalId"]
    assert count(db_session) == 0
    orders = bulk_orders()
    orders[1]["orderNumber"] = orders[0]["orderNumber"]
    with pytest.raises(ValidationFailed) as info:
        import_orders(db_session, actor, orders)
    assert "appears more than once" in info.value.errors[0].message


def test_reject_all_writes_nothing_and_indexes_every_error(db_session, actor):
    orders = bulk_orders() + [{"customer": {}}]
    orders[1]["items"][0]["price"] = -1
    with pytest.raises(ValidationFailed) as info:
        import_orders(db_session, actor, orders)
    fields = [e.field for e in info.value.errors]
    assert "orders[1].items[0].price" in fields and "orders[2].customer.customerNumber" in fields
    assert count(db_session) == 0 and count(db_session, Customer) == 0
    assert "2 of 3 orders are invalid" in info.value.detail


def test_reject_failed_writes_only_the_valid_orders(db_session, actor):
    orders = bulk_orders()
    orders[0]["items"][0]["quantity"] = 2.5
    slots = import_orders(db_session, actor, orders, REJECT_FAILED)
    assert slots[0].result is None and slots[0].errors[0].field == "orders[0].items[0].quantity"
    assert slots[1].result.created
    assert list(db_session.scalars(select(Order.order_number))) == ["ORD-2023-002"]


def test_bulk_size_and_policy_limits(db_session, actor):
    with pytest.raises(ValidationFailed):
        import_orders(db_session, actor, [])
    with pytest.raises(ValidationFailed):
        import_orders(db_session, actor, [bulk_orders()[0]] * 1001)
    with pytest.raises(ValidationFailed) as info:
        import_orders(db_session, actor, bulk_orders(), "rejectSome")
    assert info.value.errors[0].field == "errorPolicy"


def test_generated_numbers_skip_numbers_an_import_supplied(db_session, actor):
    imported = bulk_orders()[:1]
    imported[0]["orderNumber"] = "ORD-00002"
    import_orders(db_session, actor, imported)
    numbers = []
    for n in range(3):
        numbers.append(create_order(db_session, actor, seed_order(externalId=f"X-{n}")).order_number)
    assert numbers == ["ORD-00001", "ORD-00003", "ORD-00004"]
    batch = bulk_orders()
    for i, o in enumerate(batch):
        o.pop("orderNumber")
        o["externalId"] = f"B-{i}"
    slots = import_orders(db_session, actor, batch)
    assert [s.result.order_number for s in slots] == ["ORD-00005", "ORD-00006"]


def test_catalog_rules_apply_to_create_not_import(db_session, actor, org):
    db_session.add(Product(organization_id=org.id, sku="WDG-BLU-L", name="Widget Blue Large",
                           minimum_order_quantity=48, quantity_increment=12))
    db_session.commit()
    with pytest.raises(ValidationFailed) as info:
        create_order(db_session, actor, SINGLE_CREATE)
    assert info.value.errors[0].field == "items[0].quantity"
    assert count(db_session) == 0
    history = seed_order(orderNumber="H-1")
    slots = import_orders(db_session, actor, [history])
    line = get_order(db_session, actor, slots[0].result.id).items[0]
    assert (line.quantity, line.minimum_order_quantity, line.quantity_increment) == (24, 48, 12)


def test_unknown_customers_and_reps_join_the_directory(db_session, actor):
    create_order(db_session, actor, SINGLE_CREATE)
    import_orders(db_session, actor, bulk_orders())
    assert sorted(db_session.scalars(select(Customer.customer_number))) == ["CUST-0055", "CUST-0082", "CUST-1042"]
    assert sorted(db_session.scalars(select(SalesRep.rep_number))) == ["REP-003", "REP-007"]
    rep = db_session.scalar(select(SalesRep).where(SalesRep.rep_number == "REP-007"))
    assert rep.full_name == "Jordan Avery"


def test_shipping_update_keeps_omitted_fields_and_null_clears(db_session, actor):
    oid = create_order(db_session, actor, SINGLE_CREATE).id
    order = update_shipping(db_session, actor, oid, SHIPPING_UPDATE)
    assert (order.shipping_method, order.shipping_total, order.order_total) == ("UPS Next Day Air", D("42.00"), D("502.80"))
    assert order.shipping_address["city"] == "Salem"
    order = update_shipping(db_session, actor, oid, {"method": "Pickup", "total": 0})
    assert order.shipping_address["city"] == "Salem"
    order = update_shipping(db_session, actor, oid, {"method": "Pickup", "total": 0, "shippingAddress": None})
    assert order.shipping_address is None
    kinds = [e.kind for e in order_events(db_session, actor, oid)]
    assert kinds == ["created", "shipping_changed", "shipping_changed", "shipping_changed"]


def test_customer_update_keeps_omitted_and_null_clears(db_session, actor):
    oid = create_order(db_session, actor, SINGLE_CREATE).id
    order = update_customer(db_session, actor, oid, CUSTOMER_UPDATE)
    assert order.company_name == "Brightfield Supply Co. (Updated)"
    order = update_customer(db_session, actor, oid, {"customerNumber": "CUST-1042", "companyName": "B", "companyFax": "1"})
    assert (order.company_phone, order.company_fax) == ("555-400-1201", "1")
    order = update_customer(db_session, actor, oid, {"customerNumber": "CUST-1042", "companyName": "B", "companyPhone": None})
    assert order.company_phone is None
    with pytest.raises(ValidationFailed) as info:
        update_customer(db_session, actor, oid, {"companyEmail": "nope"})
    assert [e.field for e in info.value.errors] == ["customerNumber", "companyName", "companyEmail"]


def test_status_locks_shipping_and_customer_changes(db_session, actor):
    oid = create_order(db_session, actor, SINGLE_CREATE).id
    for target in ("Processing", "Shipped"):
        change_status(db_session, actor, oid, target)
    with pytest.raises(StateLocked):
        update_shipping(db_session, actor, oid, SHIPPING_UPDATE)
    update_customer(db_session, actor, oid, CUSTOMER_UPDATE)
    with pytest.raises(StateLocked):
        change_status(db_session, actor, oid, "Cancelled")
    other = create_order(db_session, actor, seed_order(externalId="X2")).id
    change_status(db_session, actor, other, "Cancelled")
    with pytest.raises(StateLocked):
        update_customer(db_session, actor, other, CUSTOMER_UPDATE)
    event = order_events(db_session, actor, other)[-1]
    assert event.changes == [{"field": "orderStatus", "old": "Pending", "new": "Cancelled"}]
    assert get_order(db_session, actor, oid).shipping_method == "FedEx Ground"


def test_reps_only_see_their_orders_and_may_not_change_status(db_session, actor, org):
    oid = create_order(db_session, actor, SINGLE_CREATE).id
    mine = Actor(organization_id=org.id, name="Rep", role="rep", user_id="u1", rep_numbers=("REP-007",))
    theirs = Actor(organization_id=org.id, name="Rep", role="rep", user_id="u2", rep_numbers=("REP-001",))
    assert get_order(db_session, mine, oid).id == oid
    with pytest.raises(NotFound):
        get_order(db_session, theirs, oid)
    with pytest.raises(PermissionDenied):
        change_status(db_session, mine, oid, "Processing")


def test_other_organizations_orders_are_not_found(db_session, actor):
    oid = create_order(db_session, actor, SINGLE_CREATE).id
    other_org = accounts.create_organization(db_session, "Other Co")
    db_session.commit()
    stranger = Actor(organization_id=other_org.id, name="Other admin")
    for call in (lambda: get_order(db_session, stranger, oid),
                 lambda: update_shipping(db_session, stranger, oid, SHIPPING_UPDATE),
                 lambda: change_status(db_session, stranger, oid, "Processing")):
        with pytest.raises(NotFound):
            call()
    # The same externalId in another organization is a different order.
    result = create_order(db_session, stranger, SINGLE_CREATE)
    assert result.created and result.id != oid and result.order_number == "ORD-00001"


def test_rejected_create_writes_nothing(db_session, actor):
    bad = seed_order(priceTier="Gold")
    with pytest.raises(ValidationFailed):
        create_order(db_session, actor, bad)
    assert count(db_session) == 0 and count(db_session, Customer) == 0 and count(db_session, OrderEvent) == 0


def test_two_orders_of_one_import_matching_the_same_order_both_fail(db_session, actor):
    import_orders(db_session, actor, bulk_orders()[:1])
    by_external = bulk_orders()[0]
    del by_external["orderNumber"]
    by_number = bulk_orders()[1]
    del by_number["externalId"]
    by_number["orderNumber"] = "ORD-2023-001"
    slots = import_orders(db_session, actor, [by_external, by_number], REJECT_FAILED)
    assert [s.result for s in slots] == [None, None]
    assert [s.errors[0].field for s in slots] == ["orders[0]", "orders[1]"]
    order = db_session.scalar(select(Order))
    assert [line.sku for line in order.items] == ["PART-A1"]


def test_shipping_change_may_not_make_the_total_negative(db_session, actor):
    payload = seed_order(discountAmount=D("470"))  # 432 + 18.50 + 28.80 - 470 = 9.30
    oid = create_order(db_session, actor, payload).id
    with pytest.raises(ValidationFailed) as info:
        update_shipping(db_session, actor, oid, {"method": "Pickup", "total": 0})  # 460.80 - 470 < 0
    assert info.value.errors[0].field == "total"
    db_session.expire_all()
    order = get_order(db_session, actor, oid)
    assert (order.shipping_total, order.order_total) == (D("18.50"), D("9.30"))


def test_line_discounts_are_rounded_to_the_currency_so_resubmission_is_identical(db_session, actor):
    payload = seed_order()
    payload["items"][0]["discountAmount"] = D("0.123456")
    first = create_order(db_session, actor, payload)
    again = create_order(db_session, actor, payload)
    assert (again.created, again.changed) == (False, False)
    line = get_order(db_session, actor, first.id).items[0]
    assert (line.discount_amount, line.sub_total) == (D("0.12"), D("299.88"))


def test_resubmitting_an_external_id_follows_the_workflow(db_session, actor):
    oid = create_order(db_session, actor, SINGLE_CREATE).id
    moved = create_order(db_session, actor, seed_order(orderStatus="Processing"))
    assert moved.changed and get_order(db_session, actor, oid).order_status == "Processing"
    with pytest.raises(StateLocked):
        create_order(db_session, actor, seed_order(orderStatus="Pending"))
    change_status(db_session, actor, oid, "Shipped")
    with pytest.raises(StateLocked):
        create_order(db_session, actor, seed_order(poNumber="CHANGED"))
    assert create_order(db_session, actor, seed_order(orderStatus="Shipped")).changed is False
    # Import may rewrite history.
    history = seed_order(orderNumber=get_order(db_session, actor, oid).order_number, orderStatus="Pending")
    assert import_orders(db_session, actor, [history])[0].result.changed


def test_text_that_cannot_be_stored_is_a_validation_error(db_session, actor):
    with pytest.raises(ValidationFailed) as info:
        create_order(db_session, actor, seed_order(notes="bad \ud800 text"))
    assert info.value.errors[0].field == "notes"
    from app.services.search import parse_search_params

    for query in ({"q": "\ud800"}, {"filters": '[{"field":"sku","operator":"eq","value":"\\ud800"}]'},
                  {"filters": '[{"field":"orderStatus","operator":"eq","value":' + "9" * 5000 + "}]"}):
        with pytest.raises(ValidationFailed):
            parse_search_params(query)
