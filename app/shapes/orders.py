"""The order's input shape, declared once: a create (``POST /api/orders``, the web
builder) and each order of a bulk import.

Fields are read in the order they are declared, and every violation is reported with
its path (``items[1].quantity``, ``orders[3].customer.companyName``). The
organization's rules come in the validation context (``{"rules": OrderRules}``): its
price tiers, and whether import-only fields (orderNumber) are read. Rules that are not
shape — catalog quantities, totals, minor units — are the domain's
(``app.domain.orders.parse_order``)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, WithJsonSchema, WrapValidator
from pydantic import Field as Constraint
from pydantic.json_schema import SkipJsonSchema

from app.domain import money
from app.domain.orders import (
    ADDRESS_FIELDS,
    FIRST_YEAR,
    LAST_YEAR,
    LIMITS,
    MAX_ITEMS,
    OrderRules,
    email_problem,
    parse_datetime,
)
from app.domain.workflow import STATUSES
from app.shapes import fields
from app.shapes.base import (
    InputModel,
    OutputModel,
    UnknownField,
    _input_object,
    component_schemas,
    invalid,
    ref,
    refine,
)
from app.shapes.fields import Amount, Email, Field, Identifier, Text, Whole


def _described(description: str) -> Any:
    """An input object's schema with this description (a docstring stays for the reader)."""

    def extra(schema: dict[str, Any]) -> None:
        _input_object(schema)
        schema["description"] = description

    return extra


class _Input(InputModel):
    # Only the wire (camelCase) names are read.
    model_config = ConfigDict(populate_by_name=False)


# The price tiers the document is generated for (None: any organization's).
_SCHEMA_TIERS: ContextVar[tuple[str, ...] | None] = ContextVar("order_schema_tiers", default=None)


def _rules(info: ValidationInfo) -> OrderRules:
    return info.context["rules"]


def _price_tier(value: Any, info: ValidationInfo) -> str:
    tier = fields.text(value, LIMITS["priceTier"], True)
    tiers = _rules(info).tiers
    if tier not in tiers:
        raise invalid(f"must be one of the organization's price tiers: {', '.join(tiers)}")
    return tier


def _price_tier_schema() -> dict[str, Any]:
    from app.api import openapi

    tiers = _SCHEMA_TIERS.get()
    if tiers is None:
        return fields.text_schema("priceTier", "One of your organization's price tiers (e.g. Wholesale, "
                                         "Retail); this document lists them when it is requested "
                                         "with your API token.", required=True)
    return {"type": "string", "pattern": openapi.choice_pattern(tiers, required=True),
            "description": "One of your organization's price tiers: " + ", ".join(tiers)
                           + " (the list is your organization's)."}


def _currency(value: Any) -> str:
    code = fields.text(value, 200, True)
    if not money.is_currency(code):
        raise invalid("must be an ISO 4217 currency code such as USD")
    return code


def _currency_schema() -> dict[str, Any]:
    from app.api import openapi

    return {"type": "string", "pattern": openapi.choice_pattern(openapi.currencies(), required=True),
            "description": "An ISO 4217 currency code (e.g. USD), upper case."}


def _status(value: Any) -> str | None:
    status = fields.text(value, 200)
    if status is not None and status not in STATUSES:
        raise invalid(f"must be one of {', '.join(STATUSES)}")
    return status


def _status_schema() -> dict[str, Any]:
    from app.api import openapi

    return fields.nullable({"type": "string", "pattern": openapi.choice_pattern(STATUSES, required=False),
                             "description": "Initial status, one of " + ", ".join(STATUSES)
                                            + "; defaults to Pending."})


def _order_number(value: Any, info: ValidationInfo) -> str | None:
    """Read on import only; a create's orderNumber is ignored (the app numbers it)."""
    if not _rules(info).allow_import_fields:
        return None
    return fields.identifier(value, LIMITS["orderNumber"])


def _order_number_schema() -> dict[str, Any]:
    return fields.identifier_schema("orderNumber", "Keep your existing order number; re-importing it updates that order.")


DATE_MESSAGE = (f"must be an ISO 8601 date-time such as 2024-03-15T10:22:00Z, "
                f"in the years {FIRST_YEAR}–{LAST_YEAR}")


def _order_date(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or (parsed := parse_datetime(value)) is None:
        raise invalid(DATE_MESSAGE)
    return parsed


def _order_date_schema() -> dict[str, Any]:
    from app.api import openapi

    return fields.nullable({
        "type": "string", "pattern": openapi.datetime_pattern(),
        "description": "ISO 8601: a date (2024-03-15), optionally with a time (10:22, "
                       "10:22:00 or 10:22:00.123456) and an offset (Z or ±hh:mm); without an "
                       f"offset it is UTC. The instant must fall in the years {FIRST_YEAR}–"
                       f"{LAST_YEAR} (UTC). Defaults to now.",
    })


def _items(value: Any) -> Any:
    """The list itself is checked before its lines: an oversized one is refused whole."""
    if value is None:
        raise invalid(fields.IS_REQUIRED)
    if not isinstance(value, list):
        raise invalid("must be an array")
    if not value:
        raise invalid("must contain at least one item")
    if len(value) > MAX_ITEMS:
        raise invalid(f"must contain at most {MAX_ITEMS} items")
    return value


class AddressInput(_Input):
    model_config = ConfigDict(json_schema_extra=_described(
        f"A postal address; every field is optional text of at most {LIMITS['address']} characters."))

    address1: Annotated[str | None, Text("address", "Optional.")] = None
    address2: Annotated[str | None, Text("address", "Optional.")] = None
    city: Annotated[str | None, Text("address", "Optional.")] = None
    state_province: Annotated[str | None, Text("address", "Optional.")] = None
    zip_postal_code: Annotated[str | None, Text("address", "Optional.")] = None
    country: Annotated[str | None, Text("address", "Optional.")] = None

    def as_value(self) -> dict[str, str] | None:
        """As stored: the wire names of the fields given, or None when none is."""
        values = (self.address1, self.address2, self.city, self.state_province, self.zip_postal_code,
                  self.country)
        out = {name: value for name, value in zip(ADDRESS_FIELDS, values, strict=True) if value is not None}
        return out or None


def address_value(address: AddressInput | None) -> dict[str, str] | None:
    return None if address is None else address.as_value()


class _CustomerFields(_Input):
    """What an order says of its customer, as a create and a customer update give it."""

    customer_number: Annotated[str, Identifier("customerNumber", "The customer's account number.", required=True)]
    company_name: Annotated[str, Text("companyName", "Customer's company name.", required=True)]
    company_email: Annotated[str | None, Email("companyEmail", "Primary company email address.")] = None
    company_phone: Annotated[str | None, Text("companyPhone", "Primary company phone number.")] = None
    company_fax: Annotated[str | None, Text("companyFax", "Company fax number.")] = None
    billing_address: AddressInput | None = None


class CustomerInput(_CustomerFields):
    model_config = ConfigDict(json_schema_extra=_described(
        "The customer placing the order. An unknown customerNumber joins the "
        "customer directory; a known one fills fields the request leaves out."))

    shipping_address: AddressInput | None = None


class SalesRepInput(_Input):
    model_config = ConfigDict(json_schema_extra=_described(
        "A sales rep, identified by repNumber; unknown reps join the directory."))

    rep_number: Annotated[str, Identifier("repNumber", "The rep's number, unique in the organization.",
                                          required=True)]
    first_name: Annotated[str | None, Text("firstName", "First name.")] = None
    last_name: Annotated[str | None, Text("lastName", "Last name.")] = None
    email: Annotated[str | None, Email("email", "The rep's email address.")] = None


class UserInput(_Input):
    model_config = ConfigDict(json_schema_extra=_described("The user creating the order."))

    user_type: Annotated[str, Text("userType", "e.g. SalesRep, Admin.", required=True)]
    user_id: Annotated[str | None, Text("userId", "Your system's id for the user.")] = None


class ShippingDetailsInput(_Input):
    model_config = ConfigDict(json_schema_extra=_described("Shipping method and cost for the order."))

    method: Annotated[str | None, Text("method", "Shipping method name, e.g. FedEx Ground.")] = None
    total: Annotated[Decimal | None, Amount("Shipping cost.")] = None
    shipping_address: AddressInput | None = None


_SKU = Identifier("sku", "Stock keeping unit.", required=True)
_QUANTITY = Whole(1, money.MAX_QUANTITY, "On single create, a catalog SKU's quantity must be its "
                                         "minimumOrderQuantity plus a multiple of its quantityIncrement.")
_PRICE = Amount(f"Unit price, at most {money.PRICE_PLACES} decimal places.", required=True,
                places=money.PRICE_PLACES)


class LineItemInput(_Input):
    sku: Annotated[str, _SKU]
    product_name: Annotated[str | None, Text("productName", "Defaults to the catalog name, else the sku.")] = None
    quantity: Annotated[int, _QUANTITY]
    price: Annotated[Decimal, _PRICE]
    discount_amount: Annotated[Decimal | None, Amount(
        f"Discount on this line; at most quantity × price, and quantity × price at most {money.MAX_AMOUNT}.")] = None


class OrderInput(_Input):
    """One order as a create gives it (``BulkOrderInput``: as an import does)."""

    model_config = ConfigDict(json_schema_extra=_described(
        "A new order. Every violation is reported at once with its path."))

    customer: CustomerInput
    order_type: Annotated[str, Text("orderType", "How the order was placed (e.g. Direct, Web, EDI).", required=True)]
    po_number: Annotated[str, Text("poNumber", "Customer's purchase order number.", required=True)]
    price_tier: Annotated[str, Field(_price_tier, _price_tier_schema, info=True)]
    currency_code: Annotated[str, Field(_currency, _currency_schema)]
    primary_sales_rep: SalesRepInput
    taken_by_sales_rep: SalesRepInput | None = None
    user: UserInput
    terms: Annotated[str | None, Text("terms", "Payment terms (e.g. Net30, Net60, COD).")] = None
    notes: Annotated[str | None, Text("notes", "Free-text notes.")] = None
    channel: Annotated[str | None, Text("channel", "Sales channel (e.g. Web, Phone, EDI).")] = None
    external_id: Annotated[str | None, Identifier(
        "externalId", "Your system's identifier. Submitting the same externalId again updates that "
                      "order instead of creating one.")] = None
    origination_cart_id: Annotated[str | None, Text("originationCartId", "The cart this order came from, if any.")] = None
    order_status: Annotated[str | None, Field(_status, _status_schema)] = None
    tax: Annotated[Decimal | None, Amount("Tax amount to apply to the order.")] = None
    discount_amount: Annotated[Decimal | None, Amount(
        f"Order-level discount; at most subtotal + shipping + tax, which is at most {money.MAX_AMOUNT}.")] = None
    shipping_details: ShippingDetailsInput | None = None
    # Ignored on create: not in its document.
    order_number: SkipJsonSchema[Annotated[str | None, Field(_order_number, _order_number_schema, info=True)]] = None
    order_date: Annotated[datetime | None, Field(_order_date, _order_date_schema)] = None
    items: Annotated[list[LineItemInput], BeforeValidator(_items), Constraint(min_length=1, max_length=MAX_ITEMS)]


class BulkOrderInput(OrderInput):
    """An order of an import: the create's fields, and orderNumber (in its place among them)."""

    model_config = ConfigDict(json_schema_extra=_described(
        "An order to import. Matched to an existing order by externalId, then by orderNumber; "
        "catalog quantity rules are recorded but not enforced."))

    order_number: Annotated[str | None, Field(_order_number, _order_number_schema, info=True)] = None


class LineKey(_Input):
    """What a catalog rule is checked on: a line's sku, quantity and price, when valid."""

    sku: Annotated[str, _SKU]
    quantity: Annotated[int, _QUANTITY]
    price: Annotated[Decimal, _PRICE]


class ShippingUpdate(_Input):
    """``PUT /orders/{id}/shipping``."""

    model_config = ConfigDict(json_schema_extra=_described(
        "Omitted shippingAddress keeps the current one; null clears it."))

    method: Annotated[str, Text("method", "Shipping method name.", required=True)]
    total: Annotated[Decimal, Amount("Shipping cost.", required=True)]
    shipping_address: AddressInput | None = None


class CustomerUpdate(_CustomerFields):
    """``PUT /orders/{id}/customer``."""

    model_config = ConfigDict(json_schema_extra=_described(
        "Omitted optional fields keep their value; an explicit null clears it."))

    def given(self) -> dict[str, Any]:
        """The fields the body holds, by their order columns (the model's field names), as
        stored: the required ones, and each optional one given (null: cleared). A nested
        shape (an address) is stored as its ``as_value()``."""
        given = {name: getattr(self, name) for name in type(self).model_fields if name in self.model_fields_set}
        return {name: value.as_value() if isinstance(value, BaseModel) else value for name, value in given.items()}


MAX_RECIPIENTS = 20


def _recipient(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid("must be an email address (a non-empty string)")
    address = value.strip()
    problem = (email_problem(address) if len(address) <= LIMITS["email"]
               else f"is longer than {LIMITS['email']} characters")
    if problem:
        raise invalid(problem)
    return address


def _recipient_schema() -> dict[str, Any]:
    from app.api import openapi

    return {"type": "string", "pattern": openapi.email_pattern(required=True), "maxLength": LIMITS["email"],
            "description": "An address such as name@example.com."}


def _recipients(value: Any, handler: Any) -> list[str]:
    """The list is checked before its addresses; the same address twice (in any case) is kept once."""
    if not isinstance(value, list):
        raise invalid(f"is required: an array of 1 to {MAX_RECIPIENTS} email addresses")
    if not value:
        raise invalid("must contain at least one email address")
    if len(value) > MAX_RECIPIENTS:
        raise invalid(f"must contain at most {MAX_RECIPIENTS} email addresses")
    seen: set[str] = set()
    out = []
    for address in handler(value):
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


def _email_request(schema: dict[str, Any]) -> None:
    _input_object(schema)
    schema["required"] = ["emailAddresses"]


class EmailRequest(_Input):
    """The addresses an order confirmation (or an invoice) is sent to."""

    model_config = ConfigDict(json_schema_extra=_email_request)

    email_addresses: Annotated[
        list[Annotated[str, Field(_recipient, _recipient_schema)]], WrapValidator(_recipients),
        Constraint(min_length=1, max_length=MAX_RECIPIENTS, validate_default=True,
                   description=f"1 to {MAX_RECIPIENTS} valid email addresses (the same address twice, "
                               "in any case, is sent once)."),
    ] = None


MAX_BULK = 1000


# ``POST /api/orders/bulk``. The import reads the list itself (``services.orders.import_orders``),
# each order by this module's BulkOrderInput with its index in the path.
class BulkRequest(_Input):
    orders: Annotated[list[BulkOrderInput], Constraint(min_length=1, max_length=MAX_BULK)]


ORDER_INPUTS = (OrderInput, BulkOrderInput, ShippingUpdate, CustomerUpdate, EmailRequest, BulkRequest, UnknownField)


def input_components(tiers: tuple[str, ...] | None) -> dict[str, Any]:
    """The JSON schemas of the order's input shapes for an organization with these price
    tiers (None: any organization's), keyed by component name, with the identifier
    components their fields refer to."""
    token = _SCHEMA_TIERS.set(tiers)
    try:
        schemas = component_schemas(inputs=ORDER_INPUTS)
    finally:
        _SCHEMA_TIERS.reset(token)
    refine(schemas)
    for schema in schemas.values():
        _without_defaults(schema)  # an optional field left out is absent, not a value
    return {**schemas, **fields.identifier_components()}


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


@dataclass(frozen=True)
class Label:
    """What the web pages call a field: ``text`` where it stands alone (an error summary),
    ``short`` in a table of changes (default: ``text``); ``at`` names the sub-field the
    label belongs to (a rep is named by its number)."""

    text: str
    short: str | None = None
    at: str | None = None


def labels(*, short: bool = False) -> dict[str, str]:
    """Each labelled field of the order, by its wire path (``customer.companyName``)."""
    out: dict[str, str] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = prefix + (info.alias or name)
            for meta in info.metadata:
                if isinstance(meta, Label):
                    out[f"{path}.{meta.at}" if meta.at else path] = (meta.short or meta.text) if short else meta.text
            if isinstance(info.annotation, type) and issubclass(info.annotation, _Output):
                walk(info.annotation, path + ".")

    walk(Order, "")
    return out


@dataclass(frozen=True)
class Column:
    """Where a field of the order as the client gives it is stored: the ``orders``
    column ``name`` (on an object field: the ``prefix`` of its fields' columns, as a
    rep's). ``mirror`` names the field a read-only copy shows; the column is listed
    under that field's path, in the copy's place."""

    name: str = ""
    prefix: str = ""
    mirror: str | None = None


@cache
def stored_paths() -> dict[str, str]:
    """The wire path of each order column a client gives, by column, in the order the
    order object shows them: what a change to the order lists (lines apart)."""
    out: dict[str, str] = {}

    def walk(model: type[BaseModel], path: str, prefix: str) -> None:
        for name, info in model.model_fields.items():
            column = column_of(model, name)
            if column is None:
                continue
            field_path = path + (info.alias or name)
            nested = _model_in(info.annotation)
            if nested is not None:
                walk(nested, field_path + ".", prefix + column.prefix)
            else:
                out.setdefault(prefix + (column.name or name), column.mirror or field_path)

    walk(Order, "", "")
    return out


def column_of(model: type[BaseModel], name: str) -> Column | None:
    """The ``Column`` declared on the field ``name`` of ``model``, if any."""
    return next((m for m in model.model_fields[name].metadata if isinstance(m, Column)), None)


def columns(model: type[BaseModel], prefix: str = "") -> dict[str, str]:
    """The column each value field of ``model`` is stored in (after ``prefix``), by field
    name: what the order's stored row gives the object (a mirror its column's value)."""
    out = {}
    for name, info in model.model_fields.items():
        column = column_of(model, name)
        if column is not None and _model_in(info.annotation) is None:
            out[name] = prefix + (column.name or name)
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an object field holds (``SalesRep | None``: SalesRep), if any."""
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


class _Output(OutputModel):
    """A response object. Its JSON is written from stored values by ``wire`` in the order
    the fields are declared, by their wire names; each ``…_formatted`` field is the amount
    field it is named after, in the organization's locale."""

    @classmethod
    def wire(cls, values: dict[str, Any], fmt: Callable[[Any], str] | None = None) -> dict[str, Any]:
        """``values`` (by field name; nested objects already as ``wire`` gives them) as
        the JSON object; ``fmt`` formats the amounts."""
        return _writer(cls)(values, fmt)


@cache
def _writer(model: type[_Output]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A function writing ``model``'s JSON object from its values: one dict display of the
    declared fields (compiled once; the serializer of a search page's hundred orders)."""
    entries = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue  # stored with the order, not shown
        alias = info.alias or name
        if name.endswith("_formatted"):
            entries.append(f"{alias!r}: fmt(v[{name.removesuffix('_formatted')!r}])")
        else:
            entries.append(f"{alias!r}: v[{name!r}]")
    return eval("lambda v, fmt: {" + ", ".join(entries) + "}")  # noqa: S307 - field names of our own models


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
    rep_number: Annotated[str, Column("number")]
    first_name: Annotated[Optional, Column()]
    last_name: Annotated[Optional, Column()]
    full_name: Optional
    email: Annotated[Optional, Column()]


class User(_Output):
    """Who placed the order: stored with it, not shown in it."""

    user_id: Annotated[str | None, Column()]
    user_type: Annotated[str, Column()]


class Customer(_Output):
    customer_number: Annotated[str, Label("Customer number", "Customer #"), Column()]
    company_name: Annotated[str, Label("Company"), Column()]
    company_email: Annotated[Optional, Label("Email"), Column()]
    company_phone: Annotated[Optional, Label("Phone"), Column()]
    company_fax: Annotated[Optional, Label("Fax"), Column()]
    billing_address: Annotated[StoredAddress, Label("Billing address"), Column()]
    shipping_address: Annotated[dict[str, str] | None, _nullable_ref(
        "Address", description="Read-only mirror of shippingDetails.shippingAddress."),
        Column(mirror="shippingDetails.shippingAddress")]


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
    method: Annotated[Optional, Label("Shipping method"), Column("shipping_method")]
    total: Annotated[Money, Label("Shipping cost"), Column("shipping_total")]
    total_formatted: Formatted
    shipping_address: Annotated[StoredAddress, Label("Ship-to address"), Column()]


class Order(_Output):
    """The order as the seed's "Get an order" example shows it, plus its invoices and approval."""

    # ``Column`` marks the fields a client gives, by the column each is stored in.

    id: Annotated[str, _schema({"type": "string", "format": "uuid"})]
    organization_id: str
    order_number: Annotated[str, _schema({"type": "string", "description": "e.g. ORD-00412"})]
    order_date: Annotated[Stamp, Column()]
    order_status: Annotated[str, _schema({"enum": list(STATUSES)}), Label("Status"), Column()]
    order_type: Annotated[str, Label("Order type"), Column()]
    po_number: Annotated[str, Label("PO number", "PO"), Column()]
    price_tier: Annotated[str, Label("Price tier"), Column()]
    currency_code: Annotated[str, Label("Currency"), Column()]
    terms: Annotated[Optional, Label("Terms"), Column()]
    channel: Annotated[Optional, Label("Channel"), Column()]
    external_id: Annotated[Optional, Column()]
    notes: Annotated[Optional, Label("Notes"), Column()]
    origination_cart_id: Annotated[Optional, Column()]
    customer: Annotated[Customer, Column()]
    primary_sales_rep: Annotated[SalesRep | None, _nullable_ref("SalesRep"), Label("Primary rep", at="repNumber"),
                                 Column(prefix="primary_rep_")]
    taken_by_sales_rep: Annotated[SalesRep | None, _nullable_ref("SalesRep"), Label("Taken by", at="repNumber"),
                                  Column(prefix="taken_by_rep_")]
    user: Annotated[User | None, Constraint(exclude=True), Column()] = None
    items: Annotated[list[LineItem], Label("Lines")]
    shipping_details: Annotated[ShippingDetails, Column()]
    tax: Annotated[Money, Label("Tax"), Column()]
    tax_formatted: Formatted
    subtotal: Annotated[Decimal, _schema(_MONEY, description="Σ items[].subTotal.")]
    subtotal_formatted: Formatted
    order_total: Annotated[Decimal, _schema(_MONEY, description="subtotal + shipping + tax − discountAmount.")]
    order_total_formatted: Formatted
    discount_amount: Annotated[Money, Label("Discount"), Column()]
    discount_amount_formatted: Formatted
    active: bool
    created_at: Stamp
    updated_at: Stamp
    invoice_numbers: Annotated[list[str], _schema({"type": "array", "items": {"type": "string"},
                                                   "description": "Invoices issued against this order."})]
    approval: Annotated[dict[str, Any] | None, WithJsonSchema(APPROVAL_SCHEMA)]


ORDER_OUTPUTS = (Order, Address)
