"""Problem details (RFC 9457) as the API answers them: a problem, and a validation
problem listing every field error with its path."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from app.shapes.base import OutputModel, component_schemas


class FieldError(OutputModel):
    field: Annotated[str, Field(description="Path of the field, e.g. orders[2].items[0].price")]
    message: str


class Problem(OutputModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str


class ValidationProblem(OutputModel):
    type: str
    title: str
    status: Annotated[int, WithJsonSchema({"const": 422})]
    detail: str
    errors: Annotated[list[FieldError], Field(min_length=1)]


def problem_body(status: int, title: str, detail: str, errors: list[Any] | None = None) -> dict[str, Any]:
    """The body of a problem (with its field errors: a validation problem)."""
    if errors is None:
        return Problem.model_construct(type="about:blank", title=title, status=status, detail=detail).model_dump()
    return ValidationProblem.model_construct(
        type="about:blank", title=title, status=status, detail=detail,
        errors=[FieldError.model_construct(field=e.field, message=e.message) for e in errors],
    ).model_dump()


def components() -> dict[str, Any]:
    return component_schemas(outputs=(Problem, ValidationProblem))
