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


def _rep(number: str | None, first: str | None, last: str | None, email: str | None) -> dict | None:
    if not number:
        return None
    return {
        "repNumber": number, "firstName": first, "lastName": last,
        "fullName": full_name(first, last), "email": email,
    }


def order_to_dict(order: Order, org: Organization, invoice_numbers: Sequence[str] = ()) -> dict[str, Any]:
    cur, loc = order.currency_code, org.locale

    def amount(value):
        return to_json_number(value, cur)

    def fmt(value):
        return format_money(value, cur, loc)

    items = [
        {
            "sku": line.sku,
            "productName": line.product_name,
            "quantity": line.quantity,
            "price": to_json_number(line.price),
            "priceFormatted": fmt(line.price),
            "subTotal": amount(line.sub_total),
            "subTotalFormatted": fmt(line.sub_total),
            "discountAmount": amount(line.discount_amount),
            "minimumOrderQuantity": line.minimum_order_quantity,
            "quantityIncrement": line.quantity_increment,
        }
        for line in order.items
    ]
    return {
        "id": order.id,
        "organizationId": order.organization_id,
        "orderNumber": order.order_number,
        "orderDate": format_datetime(order.order_date),
        "orderStatus": order.order_status,
        "orderType": order.order_type,
        "poNumber": order.po_number,
        "priceTier": order.price_tier,
        "currencyCode": cur,
        "terms": order.terms,
        "channel": order.channel,
        "externalId": order.external_id,
        "notes": order.notes,
        "originationCartId": order.origination_cart_id,
        "customer": {
            "customerNumber": order.customer_number,
            "companyName": order.company_name,
            "companyEmail": order.company_email,
            "companyPhone": order.company_phone,
            "companyFax": order.company_fax,
            "billingAddress": order.billing_address,
            "shippingAddress": order.shipping_address,
        },
        "primarySalesRep": _rep(order.primary_rep_number, order.primary_rep_first_name,
                                order.primary_rep_last_name, order.primary_rep_email),
        "takenBySalesRep": _rep(order.taken_by_rep_number, order.taken_by_rep_first_name,
                                order.taken_by_rep_last_name, order.taken_by_rep_email),
        "items": items,
        "shippingDetails": {
            "method": order.shipping_method,
            "total": amount(order.shipping_total),
            "totalFormatted": fmt(order.shipping_total),
            "shippingAddress": order.shipping_address,
        },
        "tax": amount(order.tax),
        "taxFormatted": fmt(order.tax),
        "subtotal": amount(order.subtotal),
        "subtotalFormatted": fmt(order.subtotal),
        "orderTotal": amount(order.order_total),
        "orderTotalFormatted": fmt(order.order_total),
        "discountAmount": amount(order.discount_amount),
        "discountAmountFormatted": fmt(order.discount_amount),
        "active": order.active,
        "createdAt": format_datetime(order.created_at),
        "updatedAt": format_datetime(order.updated_at),
        "invoiceNumbers": list(invoice_numbers),
        "approval": approval_to_dict(order),
    }
