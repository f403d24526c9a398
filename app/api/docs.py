"""The human-readable API reference at /api/docs, rendered on the server from the
OpenAPI document (no scripts, no external assets)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app, request
from markupsafe import Markup, escape

from app import jsonutil
from app.api import bp
from app.api.openapi import openapi_document

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
MAX_SHOWN_PATTERN = 120


@dataclass
class SchemaRef:
    """A type label, with the component schema it links to (if any)."""

    label: str
    target: str | None = None


@dataclass
class Row:
    name: str
    types: list[SchemaRef]
    required: bool
    constraints: str
    description: str


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    public: bool
    parameters: list[Row]
    body: list[SchemaRef]
    body_example: str | None
    responses: list[tuple[str, str, list[SchemaRef], str, list[str]]]


@dataclass
class SchemaDoc:
    name: str
    description: str
    kind: list[SchemaRef]
    rows: list[Row] = field(default_factory=list)


def inline_code(text: str) -> Markup:
    """Escaped text with `backticked` spans as <code>."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def _resolve_response(doc: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:
        return doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


def type_refs(schema: dict[str, Any] | None) -> list[SchemaRef]:
    """What a schema accepts, as short labels; references link to their section."""
    if not schema:
        return [SchemaRef("any")]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [SchemaRef(name, name)]
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return [ref for option in schema[combinator] for ref in type_refs(option)]
    if "const" in schema:
        return [SchemaRef(jsonutil.dumps(schema["const"]))]
    if "enum" in schema:
        return [SchemaRef(jsonutil.dumps(value)) for value in schema["enum"]]
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    refs: list[SchemaRef] = []
    for kind in kinds:
        if kind == "array":
            inner = type_refs(schema.get("items"))
            refs.extend(SchemaRef(f"array of {r.label}", r.target) for r in inner)
        elif kind == "string" and schema.get("format"):
            refs.append(SchemaRef(f"string ({schema['format']})"))
        else:
            refs.append(SchemaRef(kind))
    return refs


def constraints(schema: dict[str, Any]) -> str:
    parts = []
    for key, label in (("minimum", "≥ {}"), ("maximum", "≤ {}"), ("minLength", "at least {} chars"),
                       ("maxLength", "at most {} chars"), ("minItems", "at least {} items"),
                       ("maxItems", "at most {} items"), ("pattern", "matches {}"),
                       ("default", "default {}")):
        if key in schema:
            value = schema[key]
            if key == "pattern" and len(value) > MAX_SHOWN_PATTERN:
                continue  # a generated character class; the description says it in words
            parts.append(label.format(value))
    return "; ".join(parts)


def _rows(schema: dict[str, Any]) -> list[Row]:
    required = set(schema.get("required", ()))
    return [
        Row(name, type_refs(prop), name in required, constraints(prop), prop.get("description", ""))
        for name, prop in schema.get("properties", {}).items()
    ]


def _operations(doc: dict[str, Any]) -> list[Operation]:
    out = []
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                Row(f"{p['name']} ({p['in']})",
                    type_refs(p.get("schema") or next(iter(p["content"].values()))["schema"]),
                    p.get("required", False),
                    constraints(p.get("schema", {})), p.get("description", ""))
                for p in [*shared, *op.get("parameters", [])]
            ]
            body, example = [], None
            if "requestBody" in op:
                media = next(iter(op["requestBody"]["content"].values()))
                body = type_refs(media["schema"])
                if "example" in media:
                    example = jsonutil.dumps(media["example"], indent=2)
            responses = []
            for status, raw in op["responses"].items():
                response = _resolve_response(doc, raw)
                content = response.get("content", {})
                media_type = next(iter(content), "")
                schema_refs = type_refs(content[media_type]["schema"]) if media_type else []
                headers = list(response.get("headers", {}))
                responses.append((status, response["description"], schema_refs, media_type, headers))
            out.append(Operation(
                method=method.upper(), path=path, anchor=op["operationId"],
                summary=op.get("summary", ""), description=op.get("description", ""),
                public=op.get("security") == [], parameters=params, body=body,
                body_example=example, responses=responses,
            ))
    return out


def _schemas(doc: dict[str, Any]) -> list[SchemaDoc]:
    out = []
    for name, schema in doc["components"]["schemas"].items():
        kind = type_refs(schema) if "properties" not in schema else [SchemaRef("object")]
        out.append(SchemaDoc(name, schema.get("description", ""), kind, _rows(schema)))
    return out


@bp.get("/docs", endpoint="reference")
def reference() -> Response:
    doc = openapi_document()
    # Rendered without the app's context processors: the page needs no session or user.
    html = current_app.jinja_env.get_template("api/docs.html").render(
        doc=doc, operations=_operations(doc), schemas=_schemas(doc), host_url=request.host_url,
        code=inline_code,
    )
    return Response(html, mimetype="text/html")
