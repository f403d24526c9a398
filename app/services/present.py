"""The order object as the seed's "Get an order" example shows it (plus
``invoiceNumbers``), with money as exact Decimals and ``…Formatted`` strings in the
organization's locale."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.db.models import Order, Organization
from app.domain.money import format_money, to_json_number
from app.domain.orders import format_datetime, full_name
from app.services.approvals import approval_to_dict
from app.shapes import orders as shape

# The stored columns of each object of the order, by field (``app.shapes.orders.Column``).
_ORDER = shape.columns(shape.Order)
_CUSTOMER = shape.columns(shape.Customer)
_SHIPPING = shape.columns(shape.ShippingDetails)
_PRIMARY_REP, _TAKEN_BY_REP = (shape.columns(shape.SalesRep, shape.column_of(shape.Order, name).prefix)
                               for name in ("primary_sales_rep", "taken_by_sales_rep"))


def _rep(order: Order, rep_columns: dict[str, str]) -> dict[str, Any] | None:
    values = {name: getattr(order, column) for name, column in rep_columns.items()}
    if not values["rep_number"]:
        return None
    values["full_name"] = full_name(values["first_name"], values["last_name"])
    return shape.SalesRep.wire(values)


def order_to_dict(order: Order, org: Organization, invoice_numbers: Sequence[str] = ()) -> dict[str, Any]:
    """The order as ``app.shapes.orders.Order`` declares it: each field a client gives
    from the column it declares, amounts in the currency's minor units, times in UTC."""
    cur, loc = order.currency_code, org.locale

    def amount(value):
        return to_json_number(value, cur)

    def fmt(value):
        return format_money(value, cur, loc)

    items = [
        shape.LineItem.wire({
            "sku": line.sku, "product_name": line.product_name, "quantity": line.quantity,
            "price": to_json_number(line.price), "sub_total": amount(line.sub_total),
            "discount_amount": amount(line.discount_amount),
            "minimum_order_quantity": line.minimum_order_quantity,
            "quantity_increment": line.quantity_increment,
        }, fmt)
        for line in order.items
    ]
    customer = shape.Customer.wire({name: getattr(order, column) for name, column in _CUSTOMER.items()})
    shipping = {name: getattr(order, column) for name, column in _SHIPPING.items()}
    shipping["total"] = amount(shipping["total"])
    values = {name: getattr(order, column) for name, column in _ORDER.items()}
    values.update(
        id=order.id, organization_id=order.organization_id, order_number=order.order_number,
        order_date=format_datetime(order.order_date), customer=customer,
        primary_sales_rep=_rep(order, _PRIMARY_REP), taken_by_sales_rep=_rep(order, _TAKEN_BY_REP),
        items=items, shipping_details=shape.ShippingDetails.wire(shipping, fmt),
        tax=amount(order.tax), subtotal=amount(order.subtotal), order_total=amount(order.order_total),
        discount_amount=amount(order.discount_amount), active=order.active,
        created_at=format_datetime(order.created_at), updated_at=format_datetime(order.updated_at),
        invoice_numbers=list(invoice_numbers), approval=approval_to_dict(order),
    )
    return shape.Order.wire(values, fmt)
