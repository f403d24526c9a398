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

from pydantic import ConfigDict, ValidationInfo, WithJsonSchema, WrapValidator
from pydantic import Field as Constraint

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
from app.shapes.base import InputModel, OutputModel, invalid, ref
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


# --------------------------------------------------------------------------- the order as given back

_OPTIONAL = {"type": ["string", "null"]}
_MONEY = {"type": "number", "description": "Exact decimal, rounded to the currency's minor units."}
_FORMATTED = {"type": "string", "description": "Formatted in the organization's locale, e.g. $12.50."}
_STAMP = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601 with Z."}


def _schema(schema: dict[str, Any], **extra: Any) -> WithJsonSchema:
    return WithJsonSchema({**schema, **extra})


def _nullable_ref(name: str, **extra: Any) -> WithJsonSchema:
    return WithJsonSchema({"oneOf": [ref(name), {"type": "null"}], **extra})


Optional = Annotated[str | None, _schema(_OPTIONAL)]
Money = Annotated[Decimal, _schema(_MONEY)]
Formatted = Annotated[str, _schema(_FORMATTED)]
Stamp = Annotated[str, _schema(_STAMP)]
StoredAddress = Annotated[dict[str, str] | None, _nullable_ref("Address")]

APPROVAL_SCHEMA = {
    "type": ["object", "null"],
    "description": "A manager's approval, when the organization's rules ask for one (null otherwise). "
                   "A change to the lines, prices, discount or total after a decision asks again.",
    "required": ["state", "reasons", "decidedBy", "decidedAt", "reason"],
    "properties": {
        "state": {"type": "string", "enum": ["pending", "approved", "rejected"]},
        "reasons": {"type": "array", "items": {"type": "string"}, "description": "The rules the order meets, in words."},
        "decidedBy": {"type": ["string", "null"]},
        "decidedAt": {"type": ["string", "null"], "format": "date-time"},
        "reason": {"type": ["string", "null"], "description": "Why the manager approved or rejected it."},
    },
    "additionalProperties": False,
}


class _Output(OutputModel):
    """Built from stored values (``model_construct``), never validated; each
    ``…_formatted`` field is its amount in the organization's locale (``with_formatted``)."""

    def dump(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)

    @classmethod
    def formatted_fields(cls) -> tuple[tuple[str, str], ...]:
        """(amount field, its formatted field) for each ``…_formatted`` field declared."""
        return tuple((name.removesuffix("_formatted"), name) for name in cls.model_fields
                     if name.endswith("_formatted"))


def with_formatted(model: type[_Output], values: dict[str, Any], fmt: Any) -> _Output:
    """``model`` of ``values`` plus the formatted string of each of its amounts."""
    for amount_field, formatted_field in model.formatted_fields():
        values[formatted_field] = fmt(values[amount_field])
    return model.model_construct(**values)


def _without_defaults(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Address(_Output):
    """The fields of the address that are set."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False,
                              json_schema_extra=_without_defaults)

    address1: str = ""
    address2: str = ""
    city: str = ""
    state_province: str = ""
    zip_postal_code: str = ""
    country: str = ""


class SalesRep(_Output):
    rep_number: str
    first_name: Optional
    last_name: Optional
    full_name: Optional
    email: Optional


class Customer(_Output):
    customer_number: str
    company_name: str
    company_email: Optional
    company_phone: Optional
    company_fax: Optional
    billing_address: StoredAddress
    shipping_address: Annotated[dict[str, str] | None, _nullable_ref(
        "Address", description="Read-only mirror of shippingDetails.shippingAddress.")]


class LineItem(_Output):
    sku: str
    product_name: str
    quantity: Annotated[int, Constraint(ge=1)]
    price: Annotated[Decimal, _schema({"type": "number", "description": "Unit price as entered (up to 4 places)."})]
    price_formatted: Formatted
    sub_total: Annotated[Decimal, _schema(_MONEY, description="quantity × price − discountAmount.")]
    sub_total_formatted: Formatted
    discount_amount: Money
    minimum_order_quantity: int
    quantity_increment: int


class ShippingDetails(_Output):
    method: Optional
    total: Money
    total_formatted: Formatted
    shipping_address: StoredAddress


class Order(_Output):
    """The order as the seed's "Get an order" example shows it, plus its invoice numbers
    and its approval."""

    id: Annotated[str, _schema({"type": "string", "format": "uuid"})]
    organization_id: str
    order_number: Annotated[str, _schema({"type": "string", "description": "e.g. ORD-00412"})]
    order_date: Stamp
    order_status: Annotated[str, _schema({"enum": list(STATUSES)})]
    order_type: str
    po_number: str
    price_tier: str
    currency_code: str
    terms: Optional
    channel: Optional
    external_id: Optional
    notes: Optional
    origination_cart_id: Optional
    customer: Customer
    primary_sales_rep: Annotated[SalesRep | None, _nullable_ref("SalesRep")]
    taken_by_sales_rep: Annotated[SalesRep | None, _nullable_ref("SalesRep")]
    items: list[LineItem]
    shipping_details: ShippingDetails
    tax: Money
    tax_formatted: Formatted
    subtotal: Annotated[Decimal, _schema(_MONEY, description="Σ items[].subTotal.")]
    subtotal_formatted: Formatted
    order_total: Annotated[Decimal, _schema(_MONEY, description="subtotal + shipping + tax − discountAmount.")]
    order_total_formatted: Formatted
    discount_amount: Money
    discount_amount_formatted: Formatted
    active: bool
    created_at: Stamp
    updated_at: Stamp
    invoice_numbers: Annotated[list[str], _schema({"type": "array", "items": {"type": "string"},
                                                   "description": "Invoices issued against this order."})]
    approval: Annotated[dict[str, Any] | None, WithJsonSchema(APPROVAL_SCHEMA)]


ORDER_OUTPUTS = (Order, Address)
