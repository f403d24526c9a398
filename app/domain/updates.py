"""Partial updates of an existing order (shipping, customer): required fields must be
present; an omitted optional field keeps its value and an explicit null clears it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.domain import money


@dataclass
class ShippingUpdate:
    method: str
    total: Decimal
    address_given: bool
    address: dict[str, str] | None


def parse_shipping_update(payload: Any, currency: str) -> ShippingUpdate:
    from app.shapes import orders as shape
    from app.shapes.base import read_or_fail

    body = read_or_fail(shape.ShippingUpdate, payload)
    return ShippingUpdate(body.method, money.round_amount(body.total, currency),
                          "shipping_address" in body.model_fields_set, shape.address_value(body.shipping_address))


def parse_customer_update(payload: Any) -> dict[str, Any]:
    """The customer fields the body gives, by the order column each is stored in, as
    stored (null: cleared); an optional field left out keeps its value."""
    from app.shapes import orders as shape
    from app.shapes.base import read_or_fail

    return read_or_fail(shape.CustomerUpdate, payload).given()
