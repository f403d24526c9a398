"""The kinds of value a wire field holds, each read once here: trimmed text of a limit
without control characters (blank or null counts as absent), identifiers in their one
normalized form, email addresses, amounts and whole numbers.

Each reader takes the value as it came and gives it back as stored, or raises
``invalid`` with a message a person can act on (the field's path is added by
``app.shapes.base``). ``Field`` makes one of them the validator of a model field."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from pydantic import TypeAdapter
from pydantic_core import core_schema

from app.domain import money
from app.domain.identifiers import normalize_identifier
from app.domain.orders import LIMITS, email_problem
from app.shapes.base import invalid, placeholders, ref

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What a text field may not hold: control characters (tab, newline and carriage return
# are fine) and lone surrogates (JSON allows them, UTF-8 cannot store them). One scan of
# a clean value; which of the two it is is worked out only for the error message.
_NOT_STORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
IS_REQUIRED = "is required"


def text(value: Any, limit: int, required: bool = False) -> str | None:
    """Trimmed text of at most ``limit`` characters; blank or null is absent (None)."""
    if (type(value) is str and 0 < len(value) <= limit and not value[0].isspace()
            and not value[-1].isspace() and not _NOT_STORABLE.search(value)):
        return value  # already trimmed, within its limit and storable: what the full reading returns
    if value is None:
        if required:
            raise invalid(IS_REQUIRED)
        return None
    if type(value) is not str and not isinstance(value, str):
        raise invalid("must be a string")
    value = value.strip()
    if not value:
        if required:
            raise invalid("must not be empty")
        return None
    if len(value) > limit:
        raise invalid(f"must be at most {limit} characters (got {len(value)})")
    if _NOT_STORABLE.search(value):
        if _CONTROL_CHARS.search(value):
            raise invalid("must not contain control characters")
        raise invalid("must be valid Unicode text (no lone surrogates)")
    return value


def identifier(value: Any, limit: int, required: bool = False) -> str | None:
    """An id (externalId, orderNumber, customerNumber, repNumber, sku) in its one
    normalized form (``domain.identifiers``), or refused with the reason."""
    value = text(value, limit, required)
    if value is None:
        return None
    value, problem = normalize_identifier(value)
    if problem:
        raise invalid(problem)
    if not value:
        raise invalid("must not be empty (it holds only invisible characters)")
    return value


def email(value: Any, limit: int = LIMITS["email"], required: bool = False) -> str | None:
    value = text(value, limit, required)
    if value is None:
        return None
    problem = email_problem(value)
    if problem:
        raise invalid(problem)
    return value


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return None


_NOT_FINITE = "must be a finite number (NaN and Infinity are not allowed)"


def amount(value: Any, required: bool = False, places: int | None = None) -> Decimal | None:
    """A number from 0 to the maximum amount, with at most ``places`` decimal places."""
    if value is None:
        if required:
            raise invalid(IS_REQUIRED)
        return None
    dec = _as_decimal(value)
    if dec is None:
        raise invalid("must be a number")
    if not dec.is_finite():
        raise invalid(_NOT_FINITE)
    if dec < 0:
        raise invalid("must not be negative")
    if dec > money.MAX_AMOUNT:
        raise invalid(f"must be at most {money.MAX_AMOUNT}")
    if places is not None and not money.has_at_most_places(dec, places):
        raise invalid(f"must have at most {places} decimal places")
    return dec


def whole(value: Any, minimum: int, maximum: int) -> int:
    """A whole number from ``minimum`` to ``maximum`` (2.0 is 2); always required."""
    if value is None:
        raise invalid(IS_REQUIRED)
    dec = _as_decimal(value)
    if dec is None:
        raise invalid("must be a whole number")
    if not dec.is_finite():
        raise invalid(_NOT_FINITE)
    if dec != dec.to_integral_value():
        raise invalid("must be a whole number")
    if dec < minimum:
        raise invalid(f"must be at least {minimum}")
    if dec > maximum:
        raise invalid(f"must be at most {maximum}")
    return int(dec)


class Field:
    """Annotation metadata making ``read`` (one value in, the stored value out) the
    validator of a model field (``info`` reads get the validation info as well) and
    ``schema()`` its JSON Schema in the API's document."""

    def __init__(self, read: Callable[..., Any], schema: Callable[[], dict[str, Any]], *, info: bool = False):
        self.read, self.schema, self.info = read, schema, info

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        if self.info:
            return core_schema.with_info_plain_validator_function(self.read)
        return core_schema.no_info_plain_validator_function(self.read)

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        return placeholders(self.schema())


def _document() -> Any:
    from app.api import openapi

    return openapi


# --------------------------------------------------------------------------- JSON Schemas
#
# Each kind of value as the API's document describes it; the patterns are the document's
# (``app.api.openapi``), which say in a regular expression what the readers above accept.


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema or JSON null (an explicit null means "absent" or "clear")."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out


def text_schema(limit_key: str, description: str, *, required: bool = False) -> dict[str, Any]:
    limit = LIMITS.get(limit_key, 200)
    schema: dict[str, Any] = {
        "type": "string", "pattern": _document().text_pattern(limit, required=required),
        "description": f"{description} At most {limit} characters once trimmed, without control "
                       "characters (tab and line breaks are fine)"
                       + ("." if required else "; empty or only spaces counts as absent."),
    }
    return schema if required else nullable(schema)


# The lengths of the identifiers, each one component (``Identifier<limit>``).
IDENTIFIER_LIMITS = tuple(sorted({LIMITS[k] for k in ("externalId", "orderNumber", "customerNumber",
                                                      "repNumber", "sku")}))


def identifier_schema(limit_key: str, description: str, *, required: bool = False) -> dict[str, Any]:
    """A reference to the identifier component of the field's length; optional ones may
    also be blank (absent) or null."""
    target = ref(f"Identifier{LIMITS[limit_key]}")
    if required:
        return {**target, "description": description}
    blank = {"type": "string", "pattern": f"^{_document().trimmed()}*$", "description": "Blank: absent."}
    return {"oneOf": [target, blank, {"type": "null"}], "description": description}


def email_schema(limit_key: str, description: str) -> dict[str, Any]:
    return nullable({
        "type": "string", "pattern": _document().email_pattern(required=False), "maxLength": LIMITS[limit_key],
        "description": f"{description} An address such as name@example.com (at most 64 characters "
                       "before the @; special-use domains such as .test or .local are refused); empty "
                       "counts as absent. The pattern describes ASCII addresses; internationalized "
                       "ones (IDNA domains, UTF-8 local parts) are accepted as well.",
    })


def amount_schema(description: str, *, required: bool = False, places: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "number", "minimum": 0, "maximum": int(money.MAX_AMOUNT),
        "description": description,
    }
    if places is not None:
        schema["multipleOf"] = float(Decimal(1).scaleb(-places))
    return schema if required else nullable(schema)


# --------------------------------------------------------------------------- field types


def Text(limit_key: str, description: str, *, required: bool = False) -> Field:  # noqa: N802
    limit = LIMITS.get(limit_key, 200)
    return Field(partial(text, limit=limit, required=required),
                 lambda: text_schema(limit_key, description, required=required))


def Identifier(limit_key: str, description: str, *, required: bool = False) -> Field:  # noqa: N802
    limit = LIMITS.get(limit_key, 200)
    return Field(partial(identifier, limit=limit, required=required),
                 lambda: identifier_schema(limit_key, description, required=required))


def Email(limit_key: str, description: str) -> Field:  # noqa: N802
    limit = LIMITS[limit_key]
    return Field(partial(email, limit=limit), lambda: email_schema(limit_key, description))


def Amount(description: str, *, required: bool = False, places: int | None = None) -> Field:  # noqa: N802
    return Field(partial(amount, required=required, places=places),
                 lambda: amount_schema(description, required=required, places=places))


def Whole(minimum: int, maximum: int, description: str) -> Field:  # noqa: N802
    return Field(partial(whole, minimum=minimum, maximum=maximum),
                 lambda: {"type": "integer", "minimum": minimum, "maximum": maximum, "description": description})


def _identifier_component(limit: int) -> dict[str, Any]:
    return {
        "type": "string", "pattern": _document().identifier_pattern(limit, required=True),
        "description": f"An identifier of at most {limit} characters once trimmed. It is "
                       "stored in its NFKC form without zero-width characters, so look-alike "
                       "spellings are one identifier; it may not hold control or other "
                       "invisible characters, characters beyond U+FFFF (emoji), nor mix "
                       "Latin, Cyrillic and Greek letters.",
    }


def identifier_type(limit: int) -> Any:
    """A required identifier of at most ``limit`` characters, as a type: what each
    ``Identifier<limit>`` component describes."""
    return Annotated[str, Field(partial(identifier, limit=limit, required=True),
                                partial(_identifier_component, limit))]


def identifier_components() -> dict[str, Any]:
    """The ``Identifier<limit>`` components the identifier fields refer to."""
    return {f"Identifier{limit}": TypeAdapter(identifier_type(limit)).json_schema() for limit in IDENTIFIER_LIMITS}
