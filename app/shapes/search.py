"""The query of an order search (``GET /api/orders``, the web orders list and a bulk
action's search), declared once: paging, sorting, ``q``, the JSON filter list and the
``field=value`` shorthand of every filterable field. It reads the query string with
every problem reported at once, naming the allowed values, and generates the
operation's parameters and the ``Filter`` component of the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)
from pydantic_core import core_schema

from app import jsonutil
from app.domain import money
from app.domain.errors import FieldError, ValidationFailed
from app.domain.orders import DATETIME_GRAMMAR, FIRST_YEAR, LAST_YEAR
from app.services import search as s
from app.shapes.base import invalid, message_of, path_of, refine
from app.shapes.fields import Field, _document

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
JSON = "application/json"


class Param(Field):
    """A query parameter: ``read`` reads its value (``None`` when absent; without one the
    field's type reads it), ``schema()`` its schema; ``description``, ``empty``
    (allowEmptyValue) and ``content`` (a JSON value) go on the parameter."""

    def __init__(self, read: Callable[..., Any] | None, schema: Callable[[], dict[str, Any]],
                 description: str | Callable[[], str], *, empty: bool = True, content: bool = False):
        super().__init__(read, schema)  # type: ignore[arg-type]
        self.description, self.empty, self.content = description, empty, content

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return handler(source) if self.read is None else super().__get_pydantic_core_schema__(source, handler)

    def parameter(self, name: str) -> dict[str, Any]:
        description = self.description() if callable(self.description) else self.description
        out: dict[str, Any] = {"name": name, "in": "query", "required": False}
        if self.content:
            out["description"] = description
            out["content"] = {JSON: {"schema": self.schema()}}
            return out
        if self.empty:
            out["allowEmptyValue"] = True
        out["schema"] = self.schema()
        out["description"] = description
        return out


def _whole(raw: Any, *, default: int, lo: int, hi: int) -> int:
    if raw in (None, ""):
        return default
    # ASCII digits only: int() would also read " 2", "+2", "1_000" and "٢".
    if not _DIGITS.fullmatch(str(raw)):
        raise invalid("must be a whole number")
    value = int(str(raw))
    if not lo <= value <= hi:
        raise invalid(f"must be between {lo} and {hi}")
    return value


def Page(default: int, hi: int, description: str) -> Param:  # noqa: N802
    return Param(partial(_whole, default=default, lo=1, hi=hi),
                 lambda: {"type": "string", "pattern": _document()._digits_pattern(hi), "default": str(default)},
                 description)


def _sort_on(raw: Any) -> str:
    sort_on = raw or "createdAt"
    if sort_on not in s.SORT_KEYS:
        raise invalid(f"unknown sort key {sort_on!r}; allowed: {', '.join(s.SORT_KEYS)}")
    return sort_on


def _sort_direction(raw: Any) -> str:
    direction = (raw or "asc").lower()
    if direction not in ("asc", "desc"):
        raise invalid("must be asc or desc")
    return direction


def _q(raw: Any) -> str | None:
    q = raw.strip() if isinstance(raw, str) else None
    # The whole value is checked, not only the 200 characters searched for.
    if q and s._has_control_characters(q):
        raise invalid("must not contain control characters")
    return q[:200] if q else None


def _q_schema() -> dict[str, Any]:
    oa = _document()
    edge = oa.char_class([*range(0x21), 0x7F, *(cp for cp in oa._space_codepoints() if cp > 0x20)], negate=True)
    return {"type": "string", "pattern": f"^{oa.trimmed()}*(?:{edge}(?:[^\\x00-\\x1f\\x7f]*{edge})?)?{oa.trimmed()}*$"}


# --------------------------------------------------------------------------- one filter

def _kind(name: str) -> str:
    if name in s.DATE_FIELDS:
        return f"an ISO 8601 date-time in the years {FIRST_YEAR}–{LAST_YEAR}"
    if name in s.NUMBER_FIELDS:
        return f"a number of at most {money.MAX_AMOUNT} with at most {money.PRICE_PLACES} decimal places"
    return "a string of at most 300 characters without control characters"


def _filter_field(raw: Any) -> str:
    if raw not in s.FILTER_FIELDS:
        raise invalid(f"unknown filter field {raw!r}; allowed: {', '.join(s.FILTER_FIELDS)}")
    return raw


def _operator(raw: Any, info: ValidationInfo) -> str:
    if raw not in s.OPERATORS:
        raise invalid(f"unknown operator {raw!r}; allowed: {', '.join(s.OPERATORS)}")
    name = info.data.get("field")
    if raw in s.TEXT_ONLY_OPERATORS and (name in s.DATE_FIELDS or name in s.NUMBER_FIELDS):
        raise invalid(f"{raw} applies to text fields only")
    return raw


def _value(raw: Any, info: ValidationInfo) -> Any:
    """Checked only when the field and operator are known and go together."""
    name, op = info.data.get("field"), info.data.get("operator")
    if name is None or op is None:
        return raw
    return _converted(raw, name, op)


def _converted(raw: Any, name: str, op: str) -> Any:
    """The value in the column's type (a list of them for ``in``)."""
    values = raw if op == "in" else [raw]
    if op == "in" and isinstance(raw, str):
        values = [v.strip() for v in raw.split(",") if v.strip()]
    if not isinstance(values, list) or not values or len(values) > 500:
        raise invalid("in takes a non-empty array of at most 500 values")
    converted = [s._convert(name, v) for v in values]
    if any(c is None for c in converted):
        raise invalid(f"must be {_kind(name)}")
    return converted if op == "in" else converted[0]


def _filter_schema() -> dict[str, Any]:
    """One filter: for each kind of field (text, date, number), its comparisons with one
    value, and ``in`` with a list of them."""
    oa = _document()
    text_fields = [f for f in s.FILTER_FIELDS if f not in s.DATE_FIELDS and f not in s.NUMBER_FIELDS]
    text_value = {"oneOf": [{"type": "string", "pattern": oa.FILTER_TEXT}, {"type": "number"}],
                  "description": "Text of at most 300 characters without control characters "
                                 "(a number is read as its text)."}
    date_value = {"type": "string", "pattern": oa.datetime_pattern()}
    number_value = {"oneOf": [
        {"type": "number", "minimum": -int(money.MAX_AMOUNT), "maximum": int(money.MAX_AMOUNT),
         "multipleOf": float(Decimal(1).scaleb(-money.PRICE_PLACES))},
        {"type": "string", "pattern": oa._number_pattern()},
    ]}
    w = oa.trimmed()[1:-1]
    text_part = (f"[^,{w}\\x00-\\x1f\\x7f](?:[^,\\x00-\\x1f\\x7f]{{0,298}}"
                 f"[^,{w}\\x00-\\x1f\\x7f])?")
    number_part = oa._number_pattern()[len(oa.trimmed()) + 2:-len(oa.trimmed()) - 2]

    def variants(fields: list[str], operators: list[str], value: dict[str, Any], part: str) -> list[dict[str, Any]]:
        def one(ops: list[str], val: dict[str, Any]) -> dict[str, Any]:
            operator: dict[str, Any] = {"enum": ops}
            if "eq" in ops:
                operator["default"] = "eq"
            return {"type": "object", "required": ["field", "value"] + ([] if "eq" in ops else ["operator"]),
                    "properties": {"field": {"enum": fields}, "operator": operator, "value": val}}
        listed = {"oneOf": [
            {"type": "array", "minItems": 1, "maxItems": 500, "items": value},
            {"type": "string", "pattern": oa._list_pattern(part), "description": "Comma-separated values."},
        ]}
        return [one(operators, value), one(["in"], listed)]

    comparisons = ["eq", "ne", "gt", "gte", "lt", "lte"]
    return {"anyOf": [
        *variants(text_fields, [*comparisons, "contains", "startsWith"], text_value, text_part),
        # A comma splits the list, so a listed date's fraction of a second takes a point.
        *variants(list(s.DATE_FIELDS), comparisons, date_value, DATETIME_GRAMMAR.replace("[.,]", "\\.")),
        *variants(list(s.NUMBER_FIELDS), comparisons, number_value, number_part),
    ], "description": "One filter. Operators: " + ", ".join(s.OPERATORS) + " (contains and startsWith "
                      "are case-insensitive and apply to text fields). `in` takes an array of 1 to "
                      "500 values or a comma-separated string."}


def _no_schema() -> dict[str, Any]:
    return {}


class FilterInput(BaseModel):
    """One filter: ``{field, operator, value}``."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    field: Annotated[str, Field(_filter_field, _no_schema)] = None  # type: ignore[assignment]
    operator: Annotated[str, Field(_operator, _no_schema, info=True)] = "eq"
    value: Annotated[Any, Field(_value, _no_schema, info=True)] = None

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise invalid("must be an object with field, operator and value")
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return _filter_schema()

    def as_filter(self) -> s.Filter:
        return s.Filter(self.field, self.operator, self.value)


def _filter_list(raw: Any) -> list[Any]:
    if not raw:
        return []
    try:
        data = jsonutil.loads(raw)
    except jsonutil.MalformedJSON as exc:
        raise invalid(f"must be a JSON array of {{field, operator, value}}: {exc}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise invalid("must be a JSON array of {field, operator, value} objects")
    if len(data) > s.MAX_FILTERS:
        raise invalid(f"at most {s.MAX_FILTERS} filters")
    return data


def _filters_schema() -> dict[str, Any]:
    from app.shapes.base import ref

    return {"anyOf": [{"type": "array", "maxItems": s.MAX_FILTERS, "items": ref("Filter")}, ref("Filter")]}


# --------------------------------------------------------------------------- shorthand

def _shorthand_schema(name: str) -> dict[str, Any]:
    oa = _document()
    if name in s.DATE_FIELDS:
        return {"type": "string", "pattern": oa.datetime_pattern()}
    if name in s.NUMBER_FIELDS:
        return {"type": "string", "pattern": oa._number_pattern()}
    return {"type": "string", "pattern": oa.FILTER_TEXT}


def _shorthand_description(name: str) -> str:
    kind = ("an ISO 8601 date-time" if name in s.DATE_FIELDS
            else "a number" if name in s.NUMBER_FIELDS else "text of at most 300 characters")
    return (f"Shorthand for the filter {{field: {name}, operator: eq}}; value is {kind}."
            + (" Matches the primary or taken-by rep." if name == "repNumber" else ""))


def Shorthand(name: str) -> Param:  # noqa: N802
    """``name=value``, repeatable: the filter ``{field: name, operator: eq, value}`` each."""
    return Param(None, partial(_shorthand_schema, name), partial(_shorthand_description, name), empty=False)


def _unknown(raw: Any) -> Any:
    raise invalid(f"unknown query parameter; filterable fields: {', '.join(s.FILTER_FIELDS)}")


Unknown = Annotated[Any, Field(_unknown, _no_schema)]


class _Query(BaseModel):
    model_config = ConfigDict(extra="allow")

    __pydantic_extra__: dict[str, Unknown]  # type: ignore[assignment]

    # Problems are reported in this order, then the shorthand and unknown keys in the
    # order they were given.
    RANK: ClassVar[tuple[str, ...]] = ("pageNumber", "pageSize", "sortOn", "sortDirection", "q", "filters")


def _declare() -> type[_Query]:
    """The query's model: its fixed parameters, then one per filterable field."""
    oa_sort = ", ".join(s.SORT_KEYS)
    fields: dict[str, Any] = {
        "pageNumber": (Annotated[int, Page(1, 10_000_000, "Page to return, 1–10000000 in ASCII digits; a page "
                                                          "past the end has no items.")], 1),
        "pageSize": (Annotated[int, Page(25, s.MAX_PAGE_SIZE,
                                         f"Results per page, 1–{s.MAX_PAGE_SIZE} in ASCII digits.")], 25),
        "sortOn": (Annotated[str, Param(
            _sort_on, lambda: {"type": "string", "pattern": f"^(?:{'|'.join(s.SORT_KEYS)})?$", "default": "createdAt"},
            f"Field to sort by ({oa_sort}); ties are broken by id so paging is stable.")], "createdAt"),
        "sortDirection": (Annotated[str, Param(
            _sort_direction, lambda: {"type": "string", "pattern": "^(?:[aA][sS][cC]|[dD][eE][sS][cC])?$",
                                      "default": "asc"},
            "asc or desc, in any case.")], "asc"),
        "filters": (Annotated[list[FilterInput], BeforeValidator(_filter_list), Param(
            None, _filters_schema,
            "A JSON array of {field, operator, value} (or one such object). Operators: "
            + ", ".join(s.OPERATORS) + " (contains and startsWith are case-insensitive and apply to "
            "text fields).", content=True)], []),
        "q": (Annotated[str | None, Param(
            _q, _q_schema, "Searches order number, PO number, company name, customer number and externalId "
                           "at once (the first 200 characters, trimmed; no control characters).")], None),
    }
    for name in s.FILTER_FIELDS:
        value = Annotated[Any, Field(partial(_converted, name=name, op="eq"), _no_schema)]
        fields[name] = (Annotated[list[value], Shorthand(name)], [])  # type: ignore[valid-type]
    model = create_model("SearchQuery", __base__=_Query, **fields)
    model.__doc__ = "The query string of an order search."
    return model


SearchQuery = _declare()


def parameters() -> list[dict[str, Any]]:
    """The search operation's query parameters, in the order they are declared."""
    return [next(m for m in info.metadata if isinstance(m, Param)).parameter(name)
            for name, info in SearchQuery.model_fields.items()]


def filter_component() -> dict[str, Any]:
    schema = FilterInput.model_json_schema()
    refine(schema)
    return schema


def _given(args: Mapping[str, Any], ignored: frozenset[str] | set[str]) -> dict[str, Any]:
    """The query string as the model reads it: the fixed parameters' first values, each
    filterable field's every value, and the other keys (all unknown)."""
    out: dict[str, Any] = {}
    for key in args:
        if key in ignored:
            continue
        if key in s.FILTER_FIELDS:
            out[key] = args.getlist(key) if hasattr(args, "getlist") else [args[key]]
        else:
            out[key] = args.get(key)
    return out


def read_query(args: Mapping[str, Any], *, ignored: frozenset[str] | set[str] = frozenset()) -> s.SearchParams:
    """The search of a query string (a dict or MultiDict of strings), or ValidationFailed
    listing every problem with the parameter it is in."""
    given = _given(args, ignored)
    try:
        query = SearchQuery.model_validate(given)
    except ValidationError as exc:
        order = list(given)
        rank = {name: i for i, name in enumerate(_Query.RANK)}

        def place(error: dict[str, Any]) -> int:
            first = error["loc"][0]
            return rank[first] if first in rank else len(rank) + order.index(first)

        errors = sorted(exc.errors(include_url=False), key=place)
        raise ValidationFailed([FieldError(_path(e["loc"]), message_of(e)) for e in errors]) from None
    filters = [f.as_filter() for f in query.filters]
    for key in given:
        if key in s.FILTER_FIELDS:
            filters.extend(s.Filter(key, "eq", v) for v in getattr(query, key))
    return s.SearchParams(page_number=query.pageNumber, page_size=query.pageSize, sort_on=query.sortOn,
                          sort_direction=query.sortDirection, filters=filters, q=query.q)


def _path(loc: tuple[Any, ...]) -> str:
    """A shorthand value's problem is the filter's value (``orderTotal.value``)."""
    if loc and loc[0] in s.FILTER_FIELDS and len(loc) == 2:
        return f"{loc[0]}.value"
    return path_of(loc)
