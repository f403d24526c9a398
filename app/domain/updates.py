"""Partial updates of an existing order (shipping, customer): required fields must be
present; an omitted optional field keeps its value and an explicit null clears it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.domain import money
from app.domain.errors import FieldError, ValidationFailed
from app.domain.orders import _Reader

# wire name → order column
CUSTOMER_OPTIONAL = {
    "companyEmail": "company_email",
    "companyPhone": "company_phone",
    "companyFax": "company_fax",
    "billingAddress": "billing_address",
}


@dataclass
class ShippingUpdate:
    method: str
    total: Decimal
    address_given: bool
    address: dict[str, str] | None


@dataclass
class CustomerUpdate:
    customer_number: str
    company_name: str
    given: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


def _body(payload: Any, r: _Reader) -> Mapping[str, Any]:
    body = r.obj(payload, "body", required=True)
    if body is None:
        raise ValidationFailed(r.errors)
    return body


def parse_shipping_update(payload: Any, currency: str) -> ShippingUpdate:
    errors: list[FieldError] = []
    r = _Reader(errors)
    body = _body(payload, r)
    method = r.text(body, "method", "", required=True)
    total = r.number(body, "total", "", required=True)
    given = "shippingAddress" in body
    address = r.address(body, "shippingAddress", "") if body.get("shippingAddress") is not None else None
    if errors:
        raise ValidationFailed(errors)
    return ShippingUpdate(method, money.round_amount(total, currency), given, address)


def parse_customer_update(payload: Any) -> CustomerUpdate:
    errors: list[FieldError] = []
    r = _Reader(errors)
    body = _body(payload, r)
    number = r.identifier(body, "customerNumber", "", required=True)
    company = r.text(body, "companyName", "", required=True)
    update = CustomerUpdate(number or "", company or "")
    for wire, column in CUSTOMER_OPTIONAL.items():
        if wire not in body:
            continue
        update.given.append(column)
        if body[wire] is None:
            update.values[column] = None
        elif wire == "billingAddress":
            update.values[column] = r.address(body, wire, "")
        elif wire == "companyEmail":
            update.values[column] = r.email(body, wire, "")
        else:
            update.values[column] = r.text(body, wire, "")
    if errors:
        raise ValidationFailed(errors)
    return update
