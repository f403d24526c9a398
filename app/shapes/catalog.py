"""The catalog's wire shapes, declared once: a product with its price list and a
customer of the directory, as the API takes and gives them and as file imports hand
them over to the catalog service.

Fields read like the orders' (``app.shapes.fields``, the same code): text is
trimmed and at most its limit, without control characters; blank or null counts as
absent; identifiers (sku, customerNumber) are stored in their one normalized form;
unknown fields are ignored. A PUT or bulk item is the whole object: an optional field
left out is cleared, and ``prices`` replaces the product's price list.

The organization's lists (price tiers, payment terms, currencies) come in the
validation context (``context={"lists": CatalogLists(...)}``), so an unknown tier is
a field error with its path like any other. Built on ``app.shapes.base``: its model
configuration, its conversion of errors to FieldErrors and its component schemas, here
generated for an organization's lists when they are known (``components``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema
from pydantic_core import core_schema

from app.domain import money
from app.domain.errors import FieldError
from app.domain.orders import ADDRESS_FIELDS, LIMITS
from app.shapes import fields
from app.shapes.base import InputModel, OutputModel, component_schemas, invalid, read, refine
from app.shapes.fields import Amount, Email, Identifier, Text

MAX_BULK = 1000


@dataclass(frozen=True)
class CatalogLists:
    """What a catalog item is checked against: the organization's price tiers, payment
    terms and currencies (its default currency first)."""

    tiers: tuple[str, ...]
    terms: tuple[str, ...]
    currencies: tuple[str, ...]

    @classmethod
    def of(cls, org: Any) -> CatalogLists:
        lists = org.settings_lists
        currencies = [org.default_currency, *(c for c in (org.currencies or []) if c != org.default_currency)]
        return cls(tuple(lists.names("priceTier", include_retired=True)),
                   tuple(lists.names("terms", include_retired=True)), tuple(currencies))


# The lists the JSON schemas are generated for (None: any organization's).
_SCHEMA_LISTS: ContextVar[CatalogLists | None] = ContextVar("catalog_schema_lists", default=None)


class _Field(ABC):
    """Annotation metadata: a wire field read by ``read`` against the organization's
    lists and described by ``schema`` (the kinds of value an order's fields hold as
    well are ``app.shapes.fields``')."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(self._validate)

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        return self.schema(_SCHEMA_LISTS.get())

    def _validate(self, value: Any, info: Any) -> Any:
        lists = (info.context or {}).get("lists") if info.context else None
        return self.read(value, lists)

    @abstractmethod
    def read(self, value: Any, lists: CatalogLists | None) -> Any:
        """The value as stored, or raise ``invalid`` with a message a person can act on."""

    @abstractmethod
    def schema(self, lists: CatalogLists | None) -> dict[str, Any]:
        """The JSON Schema of the field for these lists (None: anyone's document)."""


class Count(_Field):
    """A whole number of units, 1 at least; absent or null is 1."""

    def __init__(self, description: str):
        self.description = description

    def read(self, value: Any, lists: CatalogLists | None) -> int:
        if value is None:
            return 1
        return fields.whole(value, 1, money.MAX_QUANTITY)

    def schema(self, lists: CatalogLists | None) -> dict[str, Any]:
        return fields.nullable({"type": "integer", "minimum": 1, "maximum": money.MAX_QUANTITY,
                                "description": self.description + " Defaults to 1."})


class Flag(_Field):
    def __init__(self, description: str, default: bool):
        self.description, self.default = description, default

    def read(self, value: Any, lists: CatalogLists | None) -> bool:
        if value is None:
            return self.default
        if not isinstance(value, bool):
            raise invalid("must be true or false")
        return value

    def schema(self, lists: CatalogLists | None) -> dict[str, Any]:
        return fields.nullable({"type": "boolean",
                                "description": f"{self.description} Defaults to {str(self.default).lower()}."})


class Choice(_Field):
    """One of the organization's list (tiers, terms, currencies), exactly, once trimmed."""

    def __init__(self, kind: str, description: str, *, required: bool = False):
        self.kind, self.description, self.required = kind, description, required

    def values(self, lists: CatalogLists | None) -> tuple[str, ...] | None:
        return None if lists is None else getattr(lists, self.kind)

    def read(self, value: Any, lists: CatalogLists | None) -> str | None:
        allowed = self.values(lists)
        if allowed is not None and type(value) is str and value in allowed and (
                self.kind != "currencies" or money.is_currency(value)):
            return value  # exactly one of the list's own (trimmed, valid) entries: the usual case, read at once
        limit_key = {"tiers": "priceTier", "terms": "terms", "currencies": "priceTier"}[self.kind]
        text = fields.text(value, LIMITS[limit_key], self.required)
        if text is None:
            return None
        if self.kind == "currencies" and not money.is_currency(text):
            raise invalid("must be an ISO 4217 currency code such as USD")
        if allowed is not None and text not in allowed:
            raise invalid(f"must be one of the organization's {_LIST_NAMES[self.kind]}: {', '.join(allowed)}")
        return text

    def schema(self, lists: CatalogLists | None) -> dict[str, Any]:
        from app.api import openapi

        allowed = self.values(lists)
        if allowed is None:
            if self.kind == "currencies":
                allowed = tuple(openapi.currencies())
                described = "An ISO 4217 currency code (e.g. USD), upper case, one of your organization's currencies"
            else:
                return fields.text_schema("priceTier" if self.kind == "tiers" else "terms",
                                          f"{self.description} One of your organization's {_LIST_NAMES[self.kind]}; "
                                          "this document lists them when it is requested with your API token.",
                                          required=self.required)
        else:
            described = f"One of your organization's {_LIST_NAMES[self.kind]}: {', '.join(allowed)}"
        pattern = openapi.choice_pattern(allowed, required=self.required) if allowed else "^(?!)$"
        schema = {"type": "string", "pattern": pattern,
                  "description": f"{self.description} {described}."
                                 + ("" if self.required else " Empty counts as absent.")}
        return schema if self.required else fields.nullable(schema)


_LIST_NAMES = {"tiers": "price tiers", "terms": "payment terms", "currencies": "currencies"}


# A unit price, as an order line's: a number from 0 to the maximum amount with at most
# four decimal places (``app.domain.money``: unit prices keep up to four).
_PRICE = Amount(f"The unit price, at most {money.PRICE_PLACES} decimal places (as an order line's price); "
                "amounts computed from it are rounded to the currency's minor units.",
                required=True, places=money.PRICE_PLACES)


class _Shape(InputModel):
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)


class DirectoryAddressInput(_Shape):
    """A postal address; every field is optional text of at most 200 characters."""

    address1: Annotated[str | None, Text("address", "Optional.")] = None
    address2: Annotated[str | None, Text("address", "Optional.")] = None
    city: Annotated[str | None, Text("address", "Optional.")] = None
    stateProvince: Annotated[str | None, Text("address", "Optional.")] = None  # noqa: N815
    zipPostalCode: Annotated[str | None, Text("address", "Optional.")] = None  # noqa: N815
    country: Annotated[str | None, Text("address", "Optional.")] = None

    def as_value(self) -> dict[str, str] | None:
        """As stored: the fields given, or None when none is."""
        out = {name: getattr(self, name) for name in ADDRESS_FIELDS if getattr(self, name) is not None}
        return out or None


class PriceInput(_Shape):
    """One price of the product's list: a price tier in a currency."""

    priceTier: Annotated[str, Choice("tiers", "The price tier.", required=True)]  # noqa: N815
    currencyCode: Annotated[str, Choice("currencies", "The currency.", required=True)]  # noqa: N815
    price: Annotated[Decimal, _PRICE]



class ProductInput(_Shape):
    """A product of the catalog, matched by sku. A PUT or bulk item is the whole product:
    ``prices`` replaces its price list (left out: no prices)."""

    sku: Annotated[str, Identifier("sku", "Stock keeping unit; the product's key.", required=True)]
    name: Annotated[str, Text("productName", "The product's name.", required=True)]
    minimumOrderQuantity: Annotated[int, Count("The least quantity an order line may have.")] = 1  # noqa: N815
    quantityIncrement: Annotated[int, Count("Quantities above the minimum go up in steps of this.")] = 1  # noqa: N815
    active: Annotated[bool, Flag("Inactive products stay on past orders but are not offered.", True)] = True
    prices: list[PriceInput] | None = None

    def price_map(self) -> dict[tuple[str, str], Decimal]:
        return {(p.priceTier, p.currencyCode): p.price for p in self.prices or ()}


class DirectoryCustomerInput(_Shape):
    """A customer of the directory, matched by customerNumber: the seed's customer
    object plus the defaults a new order for them starts with."""

    customerNumber: Annotated[str, Identifier("customerNumber", "The customer's account number; the key.", required=True)]  # noqa: N815
    companyName: Annotated[str, Text("companyName", "Customer's company name.", required=True)]  # noqa: N815
    companyEmail: Annotated[str | None, Email("companyEmail", "Primary company email address.")] = None  # noqa: N815
    companyPhone: Annotated[str | None, Text("companyPhone", "Primary company phone number.")] = None  # noqa: N815
    companyFax: Annotated[str | None, Text("companyFax", "Company fax number.")] = None  # noqa: N815
    billingAddress: DirectoryAddressInput | None = None  # noqa: N815
    shippingAddress: DirectoryAddressInput | None = None  # noqa: N815
    defaultPriceTier: Annotated[str | None, Choice("tiers", "The price tier new orders start with.")] = None  # noqa: N815
    defaultTerms: Annotated[str | None, Choice("terms", "The payment terms new orders start with.")] = None  # noqa: N815
    defaultCurrency: Annotated[str | None, Choice("currencies", "The currency new orders start with.")] = None  # noqa: N815


SHAPES = {"products": ProductInput, "customers": DirectoryCustomerInput}


# --------------------------------------------------------------------------- reading


def read_item(model: type[_Shape], data: Any, lists: CatalogLists) -> tuple[Any, list[FieldError]]:
    """The item as a model, or None with every violation (paths relative to the item;
    an item that is not an object is refused at the empty path)."""
    if type(data) is not dict:
        return None, [FieldError("", "must be an object")]
    return read(model, data, context={"lists": lists})


# --------------------------------------------------------------------------- writing


def product_to_wire(sku: str, name: str, moq: int, increment: int, active: bool,
                    prices: Iterable[tuple[str, str, Decimal]]) -> dict[str, Any]:
    """A product as the API gives it back (and as ``ProductInput`` reads it)."""
    return {
        "sku": sku, "name": name, "minimumOrderQuantity": moq, "quantityIncrement": increment,
        "active": active,
        "prices": [{"priceTier": t, "currencyCode": c, "price": money.to_json_number(p)}
                   for t, c, p in prices],
    }


CUSTOMER_COLUMNS = {
    # wire name: column
    "customerNumber": "customer_number", "companyName": "company_name", "companyEmail": "company_email",
    "companyPhone": "company_phone", "companyFax": "company_fax", "billingAddress": "billing_address",
    "shippingAddress": "shipping_address", "defaultPriceTier": "default_price_tier",
    "defaultTerms": "default_terms", "defaultCurrency": "default_currency",
}
PRODUCT_COLUMNS = {
    "sku": "sku", "name": "name", "minimumOrderQuantity": "minimum_order_quantity",
    "quantityIncrement": "quantity_increment", "active": "active",
}


def customer_to_wire(row: Any) -> dict[str, Any]:
    """A customer (row or object with the columns) as the API gives it back."""
    get = row.get if isinstance(row, dict) else (lambda c: getattr(row, c))
    return {wire: get(col) for wire, col in CUSTOMER_COLUMNS.items()}


# --------------------------------------------------------------------------- OpenAPI


def components(lists: CatalogLists | None) -> dict[str, Any]:
    """The JSON schemas of the catalog's input shapes, for an organization's lists (None:
    any organization's), keyed by component name, referencing each other as
    ``#/components/schemas/<name>``."""
    token = _SCHEMA_LISTS.set(lists)
    try:
        schemas = component_schemas(inputs=(ProductBulkRequest, CustomerBulkRequest), outputs=ANSWERS)
    finally:
        _SCHEMA_LISTS.reset(token)
    refine(schemas)
    return schemas


# --------------------------------------------------------------------------- answers

Number = Annotated[Decimal, WithJsonSchema({"type": "number", "description": "Exact decimal, as entered (at least two decimal places)."})]
Errors = Annotated[list[Any], WithJsonSchema({"type": "array", "items": {"x-ref": "FieldError"}})]


class _Answer(OutputModel):
    pass


class ProductPrice(_Answer):
    priceTier: str  # noqa: N815
    currencyCode: str  # noqa: N815
    price: Number


class Product(_Answer):
    """A product with its price list."""

    sku: str
    name: str
    minimumOrderQuantity: int  # noqa: N815
    quantityIncrement: int  # noqa: N815
    active: bool
    prices: list[ProductPrice]


class DirectoryAddress(_Answer):
    """The fields of the address that are set."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    address1: str = ""
    address2: str = ""
    city: str = ""
    stateProvince: str = ""  # noqa: N815
    zipPostalCode: str = ""  # noqa: N815
    country: str = ""


class DirectoryCustomer(_Answer):
    """A customer of the directory with the defaults its new orders start with."""

    customerNumber: str  # noqa: N815
    companyName: str  # noqa: N815
    companyEmail: str | None  # noqa: N815
    companyPhone: str | None  # noqa: N815
    companyFax: str | None  # noqa: N815
    billingAddress: DirectoryAddress | None  # noqa: N815
    shippingAddress: DirectoryAddress | None  # noqa: N815
    defaultPriceTier: str | None  # noqa: N815
    defaultTerms: str | None  # noqa: N815
    defaultCurrency: str | None  # noqa: N815


class CatalogChange(_Answer):
    """One changed field: its wire name (``prices.<tier>.<currency>`` for a price), the
    value before and after (null: absent)."""

    field: str
    old: Any
    new: Any


class ProductResult(_Answer):
    """What happened to one submitted product."""

    index: int
    sku: str | None
    status: Literal["created", "updated", "unchanged", "failed"]
    changes: list[CatalogChange]
    errors: Errors


class CustomerResult(_Answer):
    """What happened to one submitted customer."""

    index: int
    customerNumber: str | None  # noqa: N815
    status: Literal["created", "updated", "unchanged", "failed"]
    changes: list[CatalogChange]
    errors: Errors


class ProductPage(_Answer):
    items: list[Product]
    pageNumber: int  # noqa: N815
    pageSize: int  # noqa: N815
    totalCount: int  # noqa: N815
    totalPages: int  # noqa: N815


class CustomerPage(_Answer):
    items: list[DirectoryCustomer]
    pageNumber: int  # noqa: N815
    pageSize: int  # noqa: N815
    totalCount: int  # noqa: N815
    totalPages: int  # noqa: N815


class ProductBulkRequest(_Shape):
    products: Annotated[list[ProductInput], Field(min_length=1, max_length=MAX_BULK)]


class CustomerBulkRequest(_Shape):
    customers: Annotated[list[DirectoryCustomerInput], Field(min_length=1, max_length=MAX_BULK)]


ANSWERS = (Product, DirectoryCustomer, ProductResult, CustomerResult, ProductPage, CustomerPage)
