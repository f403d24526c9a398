"""What every wire shape shares: the model configuration (camelCase names on the wire,
unknown fields ignored), the conversion of a pydantic ``ValidationError`` into the
project's ``FieldError`` list with its paths (``items[1].quantity``,
``orders[3].customer.companyName``) and messages a person can act on, and the OpenAPI
component schemas produced from the models.

A shape's own rules raise ``invalid(message)``; the message is given back as written.
pydantic's built-in error types are worded in the same style by ``MESSAGES``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, RootModel, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from pydantic_core import PydanticCustomError

from app.domain.errors import FieldError, ValidationFailed

COMPONENTS = "#/components/schemas/{model}"
# No key or string anywhere in a body may hold a NUL character (app.api.payload refuses them).
NO_NUL = {"pattern": "^[^\\x00]*$"}
UNKNOWN_FIELD = "UnknownField"
_REASON = "reason"

M = TypeVar("M", bound=BaseModel)


def ref(name: str) -> dict[str, str]:
    """A JSON Schema reference to the component ``name``."""
    return {"$ref": COMPONENTS.format(model=name)}


def _input_object(schema: dict[str, Any]) -> None:
    """Input objects ignore unknown fields, which may hold anything but a NUL character."""
    schema["propertyNames"] = NO_NUL
    schema["additionalProperties"] = ref(UNKNOWN_FIELD)


def _any_json_without_nul(schema: dict[str, Any]) -> None:
    schema.update({
        "type": ["null", "boolean", "number", "string", "array", "object"],
        **NO_NUL,
        "propertyNames": NO_NUL,
        "items": {"x-ref": UNKNOWN_FIELD},
        "additionalProperties": {"x-ref": UNKNOWN_FIELD},
    })


class UnknownField(RootModel[Any]):
    """Fields the API does not know are ignored; like every string and key of a body, theirs may not hold a NUL character."""

    model_config = ConfigDict(json_schema_extra=_any_json_without_nul)


class WireModel(BaseModel):
    """A JSON object of the API: Python names in snake_case, camelCase on the wire."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        # Every output field is always present, so the document lists them all as required.
        json_schema_serialization_defaults_required=True,
    )


class InputModel(WireModel):
    """A request body (or part of one): unknown fields are ignored."""

    model_config = ConfigDict(json_schema_extra=_input_object)


class OutputModel(WireModel):
    """A response body (or part of one)."""


def invalid(message: str) -> PydanticCustomError:
    """The error a shape's rule raises; ``message`` is what the client reads."""
    return PydanticCustomError("invalid", "{reason}", {_REASON: message})


# pydantic's own error types, in the project's words (the field's path comes first).
MESSAGES: dict[str, str | Callable[[dict[str, Any]], str]] = {
    "missing": "is required",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be an array",
    "string_type": "must be a string",
    "string_unicode": "must be valid Unicode text (no lone surrogates)",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "decimal_type": "must be a number",
    "float_type": "must be a number",
    "too_short": lambda e: ("must contain at least one item" if e.get("ctx", {}).get("min_length") == 1
                            else f"must contain at least {e['ctx']['min_length']} items"),
    "too_long": lambda e: f"must contain at most {e['ctx']['max_length']} items",
    "string_too_long": lambda e: f"must be at most {e['ctx']['max_length']} characters",
    "literal_error": lambda e: f"must be one of {e['ctx']['expected']}",
    "enum": lambda e: f"must be one of {e['ctx']['expected']}",
}


def path_of(loc: Sequence[str | int], prefix: str = "") -> str:
    """``('items', 1, 'quantity')`` → ``items[1].quantity`` (after ``prefix``); the body
    itself is ``body`` (or the prefix)."""
    path = prefix
    for step in loc:
        if isinstance(step, int):
            path = f"{path}[{step}]"
        else:
            path = f"{path}.{step}" if path else str(step)
    return path or "body"


def message_of(error: dict[str, Any]) -> str:
    ctx = error.get("ctx")
    if ctx and _REASON in ctx and error["type"] == "invalid":
        return str(ctx[_REASON])
    if error["type"] == "model_type" and error.get("input", ...) is None:
        return "is required"
    wording = MESSAGES.get(error["type"])
    if wording is None:
        return error["msg"]
    return wording(error) if callable(wording) else wording


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Every violation of ``exc`` as a FieldError, in the order pydantic found them."""
    return [FieldError(path_of(e["loc"], prefix), message_of(e))
            for e in exc.errors(include_url=False)]


def read(model: type[M], data: Any, *, prefix: str = "", context: Any = None) -> tuple[M | None, list[FieldError]]:
    """``data`` validated as ``model``: the model, or None with every violation by path."""
    try:
        return model.model_validate(data, context=context), []
    except ValidationError as exc:
        return None, field_errors(exc, prefix)


def read_or_fail(model: type[M], data: Any, *, prefix: str = "", context: Any = None) -> M:
    """Like ``read``, raising ValidationFailed (a 422) with every violation."""
    value, errors = read(model, data, prefix=prefix, context=context)
    if errors:
        raise ValidationFailed(errors)
    return value


class _ComponentSchemas(GenerateJsonSchema):
    """JSON Schema as the OpenAPI document writes it: no generated titles."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def _drop_titles(value: Any) -> None:
    """pydantic titles every model after its class; the components are named so already."""
    if isinstance(value, dict):
        if isinstance(value.get("title"), str):
            del value["title"]
        for key, item in value.items():
            if key != "properties":
                _drop_titles(item)
            else:
                for prop in item.values():
                    _drop_titles(prop)
    elif isinstance(value, list):
        for item in value:
            _drop_titles(item)


def component_schemas(inputs: Iterable[type[BaseModel]] = (),
                      outputs: Iterable[type[BaseModel]] = ()) -> dict[str, Any]:
    """The OpenAPI ``components.schemas`` entries of these models and of every model they
    use, each named after its class: request shapes as they are validated, response
    shapes as they are serialized."""
    pairs = [(m, "validation") for m in inputs] + [(m, "serialization") for m in outputs]
    if not pairs:
        return {}
    top, defs = models_json_schema(pairs, ref_template=COMPONENTS, schema_generator=_ComponentSchemas)
    schemas = dict(defs.get("$defs", {}))
    for (model, _mode), schema in top.items():
        if "$ref" not in schema:
            schemas[model.__name__] = schema
    _drop_titles(schemas)
    return schemas


def refine(value: Any) -> None:
    """Identifier placeholders become references to the shared identifier components,
    and pydantic's nullable unions read as the API's other nullable fields do."""
    if isinstance(value, dict):
        for key, item in list(value.items()):
            if isinstance(item, dict) and "x-ref" in item:
                value[key] = ref(item["x-ref"])
            elif isinstance(item, dict) and "x-identifier" in item:
                value[key] = {**ref(f"Identifier{item['x-identifier']}"), "description": item["description"]}
            else:
                refine(item)
        if "anyOf" in value and {"type": "null"} in value["anyOf"]:
            value["oneOf"] = value.pop("anyOf")
            value.pop("default", None)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict) and "x-ref" in item:
                value[index] = ref(item["x-ref"])
            else:
                refine(item)


def placeholders(schema: Any) -> Any:
    """``schema`` with its references written as ``x-ref`` placeholders (``refine`` turns
    them back), so that pydantic does not look for them among the models it generates."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if rest and name.startswith("Identifier"):
                return {"x-identifier": int(name.removeprefix("Identifier")), **rest}
            return {"x-ref": name, **rest}
        return {k: placeholders(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [placeholders(v) for v in schema]
    return schema
