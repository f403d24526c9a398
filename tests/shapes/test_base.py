"""The shared pieces of the wire shapes: error paths and messages, component schemas."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from app.domain.errors import FieldError
from app.shapes.base import InputModel, OutputModel, component_schemas, invalid, read


def _required(value: Any) -> Any:
    if value is None:
        raise invalid("is required")
    return value


class Part(InputModel):
    company_name: Annotated[Any, BeforeValidator(_required)]


class Whole(InputModel):
    customer: Part
    items: list[Part] = Field(min_length=1)


class Shown(OutputModel):
    po_number: str
    note: str | None = None


def test_errors_carry_the_wire_paths_after_the_prefix():
    _, errors = read(Whole, {"customer": {"companyName": None}, "items": [{}, 1]}, prefix="orders[3]")
    assert errors == [
        FieldError("orders[3].customer.companyName", "is required"),
        FieldError("orders[3].items[0].companyName", "is required"),
        FieldError("orders[3].items[1]", "must be an object"),
    ]
    assert read(Whole, {"customer": None, "items": []})[1] == [
        FieldError("customer", "is required"), FieldError("items", "must contain at least one item"),
    ]
    assert read(Whole, [1])[1] == [FieldError("body", "must be an object")]


def test_component_schemas_are_named_after_the_models_without_titles():
    schemas = component_schemas([Whole], [Shown])
    assert set(schemas) == {"Whole", "Part", "Shown"}
    assert schemas["Whole"]["properties"]["customer"] == {"$ref": "#/components/schemas/Part"}
    assert schemas["Whole"]["additionalProperties"] == {"$ref": "#/components/schemas/UnknownField"}
    assert schemas["Shown"]["required"] == ["poNumber", "note"]
    assert "title" not in schemas["Shown"]
