"""The API's answers other than the order itself and its problems, declared once: a
written order's reference, a bulk import's results, a search page and an email's
outcome. The views build their bodies from these models, which generate the
OpenAPI components ``OrderReference``, ``Link``, ``FailedImport``, ``BulkResults``,
``SearchPage`` and ``EmailResult``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PlainSerializer, RootModel, WithJsonSchema

from app.domain.errors import FieldError as DomainFieldError
from app.services.search import MAX_PAGE_SIZE
from app.shapes.base import OutputModel, component_schemas, placeholders, ref, refine
from app.shapes.problems import FieldError


class _Answer(OutputModel):
    def body(self) -> Any:
        """The JSON value of this answer."""
        return self.model_dump(by_alias=True)


class Link(OutputModel):
    rel: str
    href: str


class _ReferenceData(OutputModel):
    id: Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]
    order_number: str


# The seed's {data:{id,orderNumber}, links:[{rel:"self", href}]} envelope.
class OrderReference(_Answer):
    data: _ReferenceData
    links: list[Link]

    @classmethod
    def of(cls, order_id: str, order_number: str, href: str) -> Any:
        return cls.model_construct(
            data=_ReferenceData.model_construct(id=order_id, order_number=order_number),
            links=[Link.model_construct(rel="self", href=href)],
        )


class FailedImport(_Answer):
    """An order rejected under errorPolicy=rejectFailed, in its slot."""

    errors: list[FieldError]

    @classmethod
    def of(cls, errors: list[DomainFieldError]) -> Any:
        return cls.model_construct(
            errors=[FieldError.model_construct(field=e.field, message=e.message) for e in errors],
        )


def _one_of(schema: dict[str, Any]) -> None:
    """A result is exactly one of a reference and a failure."""
    schema["items"] = {"oneOf": schema["items"].pop("anyOf")}


class BulkResults(RootModel[list[OrderReference | FailedImport]]):
    """One entry per submitted order, in the order submitted."""

    model_config = ConfigDict(json_schema_extra=_one_of)

    def body(self) -> list[dict[str, Any]]:
        return self.model_dump(by_alias=True)


# The orders of a page are written by the order's compiled writer (app.shapes.orders);
# the page passes them through as they are.
_Orders = Annotated[
    list[dict[str, Any]],
    WithJsonSchema(placeholders({"type": "array", "items": ref("Order")})),
    PlainSerializer(lambda items: items),
]


class SearchPage(_Answer):
    items: _Orders
    total_count: Annotated[int, Field(ge=0)]
    page_number: Annotated[int, Field(ge=1)]
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
    total_pages: Annotated[int, Field(ge=0)]

    @classmethod
    def of(cls, items: list[dict[str, Any]], *, total_count: int, page_number: int, page_size: int,
           total_pages: int) -> Any:
        return cls.model_construct(items=items, total_count=total_count, page_number=page_number,
                                   page_size=page_size, total_pages=total_pages)


class _EmailOutcome(OutputModel):
    status: Annotated[Literal["sent", "queued"], Field(description="queued: delivery will be retried.")]
    recipients: list[str]


class EmailResult(_Answer):
    data: _EmailOutcome

    @classmethod
    def of(cls, status: str, recipients: list[str]) -> Any:
        return cls.model_construct(
            data=_EmailOutcome.model_construct(status=status, recipients=recipients),
        )


_INLINE = ("_ReferenceData", "_EmailOutcome")


def _inlined(schemas: dict[str, Any], value: Any) -> Any:
    """``value`` with the references to the inline objects replaced by their schemas."""
    if isinstance(value, dict):
        target = value.get("$ref", "").rsplit("/", 1)[-1]
        if target in _INLINE:
            return _inlined(schemas, schemas[target])
        return {k: _inlined(schemas, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inlined(schemas, v) for v in value]
    return value


def components() -> dict[str, Any]:
    schemas = component_schemas(outputs=(OrderReference, BulkResults, SearchPage, EmailResult))
    refine(schemas)
    return {name: _inlined(schemas, schema) for name, schema in schemas.items() if name not in _INLINE}
