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


def _rep(number: str | None, first: str | None, last: str | None, email: str | None) -> dict[str, Any] | None:
    if not number:
        return None
    return shape.SalesRep.wire({"rep_number": number, "first_name": first, "last_name": last,
                                "full_name": full_name(first, last), "email": email})


def order_to_dict(order: Order, org: Organization, invoice_numbers: Sequence[str] = ()) -> dict[str, Any]:
    """The order as ``app.shapes.orders.Order`` declares it."""
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
    customer = shape.Customer.wire({
        "customer_number": order.customer_number, "company_name": order.company_name,
        "company_email": order.company_email, "company_phone": order.company_phone,
        "company_fax": order.company_fax, "billing_address": order.billing_address,
        "shipping_address": order.shipping_address,
    })
    shipping = shape.ShippingDetails.wire({
        "method": order.shipping_method, "total": amount(order.shipping_total),
        "shipping_address": order.shipping_address,
    }, fmt)
    return shape.Order.wire({
        "id": order.id, "organization_id": order.organization_id, "order_number": order.order_number,
        "order_date": format_datetime(order.order_date), "order_status": order.order_status,
        "order_type": order.order_type, "po_number": order.po_number, "price_tier": order.price_tier,
        "currency_code": cur, "terms": order.terms, "channel": order.channel,
        "external_id": order.external_id, "notes": order.notes,
        "origination_cart_id": order.origination_cart_id, "customer": customer,
        "primary_sales_rep": _rep(order.primary_rep_number, order.primary_rep_first_name,
                                  order.primary_rep_last_name, order.primary_rep_email),
        "taken_by_sales_rep": _rep(order.taken_by_rep_number, order.taken_by_rep_first_name,
                                   order.taken_by_rep_last_name, order.taken_by_rep_email),
        "items": items, "shipping_details": shipping,
        "tax": amount(order.tax), "subtotal": amount(order.subtotal), "order_total": amount(order.order_total),
        "discount_amount": amount(order.discount_amount), "active": order.active,
        "created_at": format_datetime(order.created_at), "updated_at": format_datetime(order.updated_at),
        "invoice_numbers": list(invoice_numbers), "approval": approval_to_dict(order),
    }, fmt)
