"""JSON in and out with exact decimals: numbers parse to Decimal and Decimals are
written as JSON numbers with their digits (``12.50``), never via binary floats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import simplejson
from flask.json.provider import JSONProvider


class MalformedJSON(ValueError):
    """The body is not a JSON document."""


class DuplicateKey(MalformedJSON):
    """An object names the same key twice (JSON parsers disagree on which one wins)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(f"The body names the key {dumps(key)} twice in one object; "
                                   "each key may appear once.")
            seen.add(key)
    return obj


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any, **kwargs: Any) -> str:
    kwargs.setdefault("use_decimal", True)
    kwargs.setdefault("default", _default)
    kwargs.setdefault("ensure_ascii", False)
    return simplejson.dumps(value, **kwargs)


def loads(text: str | bytes) -> Any:
    """Parse with every number that has a fraction or exponent as Decimal; NaN and
    Infinity become Decimal('NaN') / Decimal('Infinity') so validation can name the field."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJSON("The body is not valid UTF-8.") from exc
    try:
        return simplejson.loads(text, parse_float=Decimal, parse_constant=Decimal, object_pairs_hook=_unique_keys)
    except DuplicateKey:
        raise
    except simplejson.JSONDecodeError as exc:
        raise MalformedJSON(f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from exc
    except RecursionError as exc:
        raise MalformedJSON("The body is nested too deeply.") from exc
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise MalformedJSON(f"The body is not valid JSON: {exc}.") from exc


class DecimalJSONProvider(JSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)
