"""JSON in and out of the API: request bodies are read once, strictly (content type,
UTF-8, well-formed JSON, valid Unicode), and responses carry exact decimals."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from app import jsonutil
from app.domain.errors import FieldError, ValidationFailed

JSON_MIMETYPE = "application/json"
UTF8_NAMES = frozenset({"utf-8", "utf8"})


def is_json_mimetype(mimetype: str) -> bool:
    """application/json or any application/*+json type (RFC 6839)."""
    return mimetype == JSON_MIMETYPE or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def json_body() -> Any:
    """The request body as JSON (numbers with a fraction as Decimal).

    Wrong content type → 415; empty, non-UTF-8, malformed or not valid Unicode → 400;
    text with NUL characters → 422 naming each field.
    A body over MAX_CONTENT_LENGTH raises 413 while it is read."""
    if not is_json_mimetype(request.mimetype):
        shown = request.mimetype or "none"
        raise UnsupportedMediaType(
            f"Send the body as {JSON_MIMETYPE} (Content-Type was {shown})."
        )
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.lower() not in UTF8_NAMES:
        raise UnsupportedMediaType(f"JSON bodies must be UTF-8 (charset was {charset}).")
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise BadRequest("The request body is empty; send a JSON document.")
    try:
        data = jsonutil.loads(raw)
    except jsonutil.MalformedJSON as exc:
        raise BadRequest(str(exc)) from exc
    except ValueError as exc:  # e.g. an integer literal longer than Python accepts
        raise BadRequest(f"The body is not valid JSON: {exc}.") from exc
    if _has_lone_surrogate(data):
        raise BadRequest("The body contains an escaped lone surrogate (\\ud800–\\udfff), which is not text.")
    if nul_errors := _nul_characters(data):
        raise ValidationFailed(nul_errors)
    return data


def _bad_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _has_lone_surrogate(data: Any) -> bool:
    """Walks the document without recursion (bodies may be deeply nested)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _bad_text(value):
                return True
        elif isinstance(value, dict):
            for key, item in value.items():
                if _bad_text(key):
                    return True
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _nul_characters(data: Any, limit: int = 50) -> list[FieldError]:
    """Every string holding a NUL character, by path (``items[0].sku``): no field accepts
    one and the databases cannot store it."""
    errors: list[FieldError] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack and len(errors) < limit:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                errors.append(FieldError(path or "body", "must not contain NUL characters"))
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else key
                if "\x00" in key:
                    errors.append(FieldError(where.replace("\x00", "\\u0000"),
                                             "names a field with a NUL character"))
                    continue
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    errors.reverse()
    return errors


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response written with exact decimals (``432.00``, never ``432.0``)."""
    response = Response(jsonutil.dumps(body), status=status, mimetype=JSON_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
