"""The columns declared on the order's shape: the paths and order a change to an order
is listed in, and that every declared column is one the order's row is written with."""

from __future__ import annotations

from decimal import Decimal

from app.db.models import Order
from app.domain.orders import CustomerInput, OrderInput, RepInput, Totals
from app.services.orders import _order_row
from app.shapes.orders import stored_paths


def test_a_change_lists_the_fields_by_their_paths_in_the_order_object_order():
    assert list(stored_paths().items()) == [
        ("order_date", "orderDate"), ("order_status", "orderStatus"), ("order_type", "orderType"),
        ("po_number", "poNumber"), ("price_tier", "priceTier"), ("currency_code", "currencyCode"),
        ("terms", "terms"), ("channel", "channel"), ("external_id", "externalId"), ("notes", "notes"),
        ("origination_cart_id", "originationCartId"),
        ("customer_number", "customer.customerNumber"), ("company_name", "customer.companyName"),
        ("company_email", "customer.companyEmail"), ("company_phone", "customer.companyPhone"),
        ("company_fax", "customer.companyFax"), ("billing_address", "customer.billingAddress"),
        ("shipping_address", "shippingDetails.shippingAddress"),
        ("primary_rep_number", "primarySalesRep.repNumber"),
        ("primary_rep_first_name", "primarySalesRep.firstName"),
        ("primary_rep_last_name", "primarySalesRep.lastName"),
        ("primary_rep_email", "primarySalesRep.email"),
        ("taken_by_rep_number", "takenBySalesRep.repNumber"),
        ("taken_by_rep_first_name", "takenBySalesRep.firstName"),
        ("taken_by_rep_last_name", "takenBySalesRep.lastName"),
        ("taken_by_rep_email", "takenBySalesRep.email"),
        ("user_id", "user.userId"), ("user_type", "user.userType"),
        ("shipping_method", "shippingDetails.method"), ("shipping_total", "shippingDetails.total"),
        ("tax", "tax"), ("discount_amount", "discountAmount"),
    ]


def test_every_declared_column_is_a_column_the_order_row_is_written_with():
    order = OrderInput(customer=CustomerInput("C-1", "Co"), order_type="Direct", po_number="PO",
                       price_tier="Retail", currency_code="USD", primary_rep=RepInput("R-1"), items=[],
                       user_type="rep")
    zero = Decimal(0)
    row = _order_row(order, Totals((), zero, zero, zero, zero, zero))
    assert set(stored_paths()) <= set(row) <= set(Order.__table__.columns.keys())
