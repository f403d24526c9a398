"""The order's input shape, declared once: a create (``POST /api/orders``, the web
builder) and each order of a bulk import.

Fields are read in the order they are declared, and every violation is reported with
its path (``items[1].quantity``, ``orders[3].customer.companyName``). The
organization's rules come in the validation context (``{"rules": OrderRules}``): its
price tiers, and whether import-only fields (orderNumber) are read. Rules that are not
shape — catalog quantities, totals, minor units — are the domain's
(``app.domain.orders.parse_order``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, ValidationInfo, WrapValidator

from app.domain import money
from app.domain.orders import (
    ADDRESS_FIELDS,
    FIRST_YEAR,
    LAST_YEAR,
    LIMITS,
    MAX_ITEMS,
    OrderRules,
    parse_datetime,
)
from app.domain.workflow import STATUSES
from app.shapes import fields
from app.shapes.base import InputModel, invalid
from app.shapes.fields import Amount, Email, Field, Identifier, Text, Whole


class _Input(InputModel):
    # Only the wire (camelCase) names are read.
    model_config = ConfigDict(populate_by_name=False)


def _rules(info: ValidationInfo) -> OrderRules:
    return info.context["rules"]


def _price_tier(value: Any, info: ValidationInfo) -> str:
    tier = fields.text(value, LIMITS["priceTier"], True)
    tiers = _rules(info).tiers
    if tier not in tiers:
        raise invalid(f"must be one of the organization's price tiers: {', '.join(tiers)}")
    return tier


def _currency(value: Any) -> str:
    code = fields.text(value, 200, True)
    if not money.is_currency(code):
        raise invalid("must be an ISO 4217 currency code such as USD")
    return code


def _status(value: Any) -> str | None:
    status = fields.text(value, 200)
    if status is not None and status not in STATUSES:
        raise invalid(f"must be one of {', '.join(STATUSES)}")
    return status


def _order_number(value: Any, info: ValidationInfo) -> str | None:
    """Read on import only; a create's orderNumber is ignored (the app numbers it)."""
    if not _rules(info).allow_import_fields:
        return None
    return fields.identifier(value, LIMITS["orderNumber"])


DATE_MESSAGE = (f"must be an ISO 8601 date-time such as 2024-03-15T10:22:00Z, "
                f"in the years {FIRST_YEAR}–{LAST_YEAR}")


def _order_date(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or (parsed := parse_datetime(value)) is None:
        raise invalid(DATE_MESSAGE)
    return parsed


def _items(value: Any, handler: Any) -> Any:
    """The list itself is checked before its lines: an oversized one is refused whole."""
    if value is None:
        raise invalid(fields.IS_REQUIRED)
    if not isinstance(value, list):
        raise invalid("must be an array")
    if not value:
        raise invalid("must contain at least one item")
    if len(value) > MAX_ITEMS:
        raise invalid(f"must contain at most {MAX_ITEMS} items")
    return handler(value)


class AddressInput(_Input):
    """A postal address; every field is optional text of at most 200 characters."""

    address1: Annotated[str | None, Text("address")] = None
    address2: Annotated[str | None, Text("address")] = None
    city: Annotated[str | None, Text("address")] = None
    state_province: Annotated[str | None, Text("address")] = None
    zip_postal_code: Annotated[str | None, Text("address")] = None
    country: Annotated[str | None, Text("address")] = None

    def as_value(self) -> dict[str, str] | None:
        """As stored: the wire names of the fields given, or None when none is."""
        values = (self.address1, self.address2, self.city, self.state_province, self.zip_postal_code,
                  self.country)
        out = {name: value for name, value in zip(ADDRESS_FIELDS, values, strict=True) if value is not None}
        return out or None


def address_value(address: AddressInput | None) -> dict[str, str] | None:
    return None if address is None else address.as_value()


class CustomerInput(_Input):
    customer_number: Annotated[str, Identifier("customerNumber", required=True)]
    company_name: Annotated[str, Text("companyName", required=True)]
    company_email: Annotated[str | None, Email()] = None
    company_phone: Annotated[str | None, Text("companyPhone")] = None
    company_fax: Annotated[str | None, Text("companyFax")] = None
    billing_address: AddressInput | None = None
    shipping_address: AddressInput | None = None


class SalesRepInput(_Input):
    rep_number: Annotated[str, Identifier("repNumber", required=True)]
    first_name: Annotated[str | None, Text("firstName")] = None
    last_name: Annotated[str | None, Text("lastName")] = None
    email: Annotated[str | None, Email()] = None


class UserInput(_Input):
    user_type: Annotated[str, Text("userType", required=True)]
    user_id: Annotated[str | None, Text("userId")] = None


class ShippingDetailsInput(_Input):
    method: Annotated[str | None, Text("method")] = None
    total: Annotated[Decimal | None, Amount()] = None
    shipping_address: AddressInput | None = None


class LineItemInput(_Input):
    sku: Annotated[str, Identifier("sku", required=True)]
    product_name: Annotated[str | None, Text("productName")] = None
    quantity: Annotated[int, Whole(1, money.MAX_QUANTITY)]
    price: Annotated[Decimal, Amount(required=True, places=money.PRICE_PLACES)]
    discount_amount: Annotated[Decimal | None, Amount()] = None


class OrderInput(_Input):
    """One order as a create or an import gives it."""

    customer: CustomerInput
    order_type: Annotated[str, Text("orderType", required=True)]
    po_number: Annotated[str, Text("poNumber", required=True)]
    price_tier: Annotated[str, Field(_price_tier, info=True)]
    currency_code: Annotated[str, Field(_currency)]
    primary_sales_rep: SalesRepInput
    taken_by_sales_rep: SalesRepInput | None = None
    user: UserInput
    terms: Annotated[str | None, Text("terms")] = None
    notes: Annotated[str | None, Text("notes")] = None
    channel: Annotated[str | None, Text("channel")] = None
    external_id: Annotated[str | None, Identifier("externalId")] = None
    origination_cart_id: Annotated[str | None, Text("originationCartId")] = None
    order_status: Annotated[str | None, Field(_status)] = None
    tax: Annotated[Decimal | None, Amount()] = None
    discount_amount: Annotated[Decimal | None, Amount()] = None
    shipping_details: ShippingDetailsInput | None = None
    order_number: Annotated[str | None, Field(_order_number, info=True)] = None
    order_date: Annotated[datetime | None, Field(_order_date)] = None
    items: Annotated[list[LineItemInput], WrapValidator(_items)]


class LineKey(_Input):
    """What a catalog rule is checked on: a line's sku, quantity and price, when valid."""

    sku: Annotated[str, Identifier("sku", required=True)]
    quantity: Annotated[int, Whole(1, money.MAX_QUANTITY)]
    price: Annotated[Decimal, Amount(required=True, places=money.PRICE_PLACES)]


class ShippingUpdate(_Input):
    """``PUT /orders/{id}/shipping``: an omitted shippingAddress keeps the current one;
    null clears it."""

    method: Annotated[str, Text("method", required=True)]
    total: Annotated[Decimal, Amount(required=True)]
    shipping_address: AddressInput | None = None


class CustomerUpdate(_Input):
    """``PUT /orders/{id}/customer``: omitted optional fields keep their value; an
    explicit null clears it."""

    customer_number: Annotated[str, Identifier("customerNumber", required=True)]
    company_name: Annotated[str, Text("companyName", required=True)]
    company_email: Annotated[str | None, Email()] = None
    company_phone: Annotated[str | None, Text("companyPhone")] = None
    company_fax: Annotated[str | None, Text("companyFax")] = None
    billing_address: AddressInput | None = None

    # The optional fields, by their order columns (the model's field names).
    OPTIONAL: ClassVar[tuple[str, ...]] = ("company_email", "company_phone", "company_fax", "billing_address")

    def given(self) -> dict[str, Any]:
        """The optional fields the body holds, by column, as stored (null: cleared)."""
        return {name: (address_value(self.billing_address) if name == "billing_address" else getattr(self, name))
                for name in self.OPTIONAL if name in self.model_fields_set}
