"""The API's OpenAPI 3.1 description, built from the same constants the services
enforce (limits, statuses, sort keys, filter fields), served at /api/openapi.json."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

from babel.numbers import list_currencies
from flask import Response, request

from app.api import bp
from app.api.auth import bearer_secret
from app.api.examples import (
    BULK_EXAMPLE,
    CREATE_EXAMPLE,
    CUSTOMER_EXAMPLE,
    EMAIL_EXAMPLE,
    ORDER_EXAMPLE,
    SHIPPING_EXAMPLE,
)
from app.api.payload import json_response
from app.db.models import Organization
from app.domain import money
from app.domain.identifiers import LOOK_ALIKE_SCRIPTS, look_alike_script, normalize_identifier
from app.domain.orders import DATETIME_GRAMMAR
from app.extensions import db
from app.services import accounts
from app.services.orders import ERROR_POLICIES, REJECT_ALL
from app.shapes.base import component_schemas, ref
from app.shapes.orders import MAX_BULK, ORDER_OUTPUTS, input_components
from app.shapes.problems import components as problem_components
from app.shapes.responses import components as response_components
from app.shapes.search import filter_component
from app.shapes.search import parameters as search_parameters

PROBLEM = "application/problem+json"
JSON = "application/json"
# What the route's <uuid:…> converter matches: a GUID in any case.
UUID_PATTERN = "^[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$"


# --------------------------------------------------------------------------- string patterns
#
# What the app accepts in a string, as ECMA-262 / Python regular expressions. Text is
# trimmed (Python's str.strip) before it is checked, so every pattern allows the
# whitespace the app trims around the value; "" or only whitespace means absent, so a
# required value has a non-space character. Character classes are written with \xHH and
# \uHHHH escapes (astral characters as themselves), which both dialects read alike.

_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f"


def _escape(cp: int) -> str:
    ch = chr(cp)
    if cp < 0x80:
        return ch if ch.isalnum() else f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return ch


def char_class(codepoints: Iterable[int], *, negate: bool = False) -> str:
    """A regex character class of the code points (sorted), as ranges."""
    parts: list[str] = []
    start = prev = None
    for cp in sorted(codepoints):
        if prev is not None and cp == prev + 1:
            prev = cp
            continue
        if start is not None:
            parts.append(_escape(start) if start == prev else f"{_escape(start)}-{_escape(prev)}")
        start = prev = cp
    if start is not None:
        parts.append(_escape(start) if start == prev else f"{_escape(start)}-{_escape(prev)}")
    return f"[{'^' if negate else ''}{''.join(parts)}]"


_ALL = range(0x110000)
_SURROGATES = range(0xD800, 0xE000)


@cache
def _space_codepoints() -> tuple[int, ...]:
    return tuple(cp for cp in _ALL if chr(cp).isspace())


@cache
def trimmed() -> str:
    """One character that str.strip() removes."""
    return char_class(_space_codepoints())


def _text_core(limit: int, edge: str, inside: str) -> str:
    """``limit`` characters at most, starting and ending with ``edge``."""
    return f"{edge}(?:{inside}{{0,{limit - 2}}}{edge})?"


def text_pattern(limit: int, *, required: bool) -> str:
    """fields.text: trimmed, then at most ``limit`` characters without control characters
    (tab, newline and carriage return are fine)."""
    inside = f"[^{_CONTROL}]"
    edge = char_class([*range(0x21), *(cp for cp in _space_codepoints() if cp > 0x20)], negate=True)
    core = _text_core(limit, edge, inside)
    return f"^{trimmed()}*{core if required else f'(?:{core})?'}{trimmed()}*$"


def choice_pattern(values: Iterable[str], *, required: bool) -> str:
    """One of ``values`` exactly, once trimmed."""
    alternatives = "|".join(re.escape(v).replace("\\ ", " ") for v in values)
    return f"^{trimmed()}*(?:{alternatives}){'' if required else '?'}{trimmed()}*$"


@cache
def _identifier_classes() -> tuple[str, str, dict[str, str]]:
    """As normalize_identifier judges each character (NFKC first, zero-width ones removed):
    the visible characters an identifier may hold, the invisible ones it may hold between
    them (spaces, zero-width characters), and for each look-alike script the characters
    that bring a letter of it."""
    visible: list[int] = []
    between: list[int] = []
    scripts: dict[str, list[int]] = {s: [] for s in LOOK_ALIKE_SCRIPTS}
    for cp in range(0x10000):
        ch = chr(cp)
        if cp in _SURROGATES or unicodedata.category(ch) == "Cn":
            continue
        if normalize_identifier(f"0{ch}0")[1] is not None:
            continue
        normalized = normalize_identifier(ch)[0]
        found = {s for c in normalized if c.isalpha() and (s := look_alike_script(c))}
        if len(found) > 1:
            continue
        for script in found:
            scripts[script].append(cp)
        (visible if normalized and not ch.isspace() else between).append(cp)
    return char_class(visible), char_class(between), {s: char_class(c) for s, c in scripts.items()}


def identifier_pattern(limit: int, *, required: bool) -> str:
    """fields.identifier: trimmed text of at most ``limit`` characters that normalizes
    (NFKC) to visible characters without control or invisible ones, and letters of at
    most one of Latin, Cyrillic and Greek."""
    visible, between, scripts = _identifier_classes()
    mixes = "|".join(
        f"{scripts[a]}[\\s\\S]*(?:{'|'.join(scripts[b] for b in LOOK_ALIKE_SCRIPTS if b != a)})"
        for a in LOOK_ALIKE_SCRIPTS
    )
    core = _text_core(limit, visible, f"(?:{visible}|{between})")
    return f"^(?![\\s\\S]*(?:{mixes})){trimmed()}*{core if required else f'(?:{core})?'}{trimmed()}*$"


_ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
# At most 64 characters before the @: one word of up to 64, or up to four of up to 15.
_LOCAL = f"(?:{_ATEXT}{{1,64}}|{_ATEXT}{{1,15}}(?:\\.{_ATEXT}{{1,15}}){{1,3}})"
_AN, _ANH = "[A-Za-z0-9]", "[A-Za-z0-9-]"


def _label(last: str) -> str:
    """A DNS label of 1–63 letters, digits and hyphens, starting with a letter or digit,
    ending with ``last``, without hyphens in both its 3rd and 4th places (IDNA)."""
    return (f"(?:{last}|{_AN}{last}|{_AN}{_ANH}{last}|{_AN}{_ANH}{_ANH}{last}"
            f"|{_AN}{_ANH}(?:{_AN}{_ANH}|-{_AN}){_ANH}{{0,58}}{last})")


# The last label ends with a letter (a top-level domain is never all digits).
EMAIL_GRAMMAR = f"{_LOCAL}@(?:{_label(_AN)}\\.)+{_label('[A-Za-z]')}"


def email_pattern(*, required: bool) -> str:
    """An address as email_problem accepts it (ASCII form), trimmed."""
    return f"^{trimmed()}*{EMAIL_GRAMMAR if required else f'(?:{EMAIL_GRAMMAR})?'}{trimmed()}*$"


def datetime_pattern() -> str:
    return f"^{trimmed()}*{DATETIME_GRAMMAR}{trimmed()}*$"


def currencies() -> list[str]:
    return sorted(code for code in list_currencies() if money.is_currency(code))


def _output_schemas() -> dict[str, Any]:
    return {
        **component_schemas(outputs=ORDER_OUTPUTS),
        **response_components(),
        "Filter": filter_component(),
        **problem_components(),
    }


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}


def _responses() -> dict[str, Any]:
    return {
        "BadRequest": _problem_response("Malformed JSON, an empty body or text that is not valid UTF-8."),
        "Unauthorized": {
            "description": "Missing, unknown or revoked bearer token.",
            "headers": {"WWW-Authenticate": {
                "required": True, "schema": {"type": "string"},
                "description": 'Bearer realm="orderdesk"; with error="invalid_token" for an '
                               'unknown or revoked token, error="invalid_request" for a '
                               "malformed header.",
            }},
            "content": {PROBLEM: {"schema": ref("Problem")}},
        },
        "NotFound": _problem_response(
            "No such order in your organization (another organization's order looks the same)."
        ),
        "Conflict": _problem_response("The order's status does not allow this change, the "
                                      "request clashes with existing orders, or a shipping total "
                                      "would take the order's total past the maximum."),
        "PayloadTooLarge": _problem_response("The body is larger than the server accepts."),
        "UnsupportedMediaType": _problem_response("The body is not sent as application/json (UTF-8)."),
        "ValidationFailed": {
            "description": "Every invalid field, each with its path.",
            "content": {PROBLEM: {"schema": ref("ValidationProblem")}},
        },
        "RequestLineTooLong": {
            "description": "The request line (method, path and query string) is longer than the "
                           "HTTP server reads; it answers before the API sees the request, with a "
                           "body of its own.",
            "content": {PROBLEM: {"schema": ref("Problem")},
                        "text/html": {"schema": {"type": "string"}},
                        "text/plain": {"schema": {"type": "string"}}},
        },
        "ServiceUnavailable": {
            "description": "The database is not reachable right now; try again after Retry-After "
                           "seconds.",
            "headers": {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"},
                                        "description": "Seconds to wait before trying again."}},
            "content": {PROBLEM: {"schema": ref("Problem")}},
        },
    }


def _errors(*codes: int) -> dict[str, Any]:
    """The error responses ``codes``, plus those any request can get: 414 from the HTTP
    server and 503 while the database is unreachable."""
    names = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 409: "Conflict",
             413: "PayloadTooLarge", 414: "RequestLineTooLong", 415: "UnsupportedMediaType",
             422: "ValidationFailed", 503: "ServiceUnavailable"}
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"}
            for code in sorted({*codes, 414, 503})}


def _body(schema: str, example: Any) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": ref(schema), "example": example}}}


def _json(schema: str | dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    body = ref(schema) if isinstance(schema, str) else schema
    return {"description": description, "content": {JSON: {"schema": body}}, **extra}


def _number_pattern() -> str:
    """search._convert for orderTotal: a plain decimal of at most 15 digits, with at most
    PRICE_PLACES significant decimals (trailing zeros up to 20), at most MAX_AMOUNT either
    way from zero."""
    top = str(int(money.MAX_AMOUNT))
    below = [f"{top[:i]}[0-{int(top[i]) - 1}][0-9]{{{len(top) - i - 1}}}"
             for i in range(len(top)) if top[i] != "0"]
    fraction = f"(?:\\.[0-9]{{1,{money.PRICE_PLACES}}}0{{0,{20 - money.PRICE_PLACES}}})?"
    lead = f"0{{0,{15 - len(top)}}}"
    return (f"^{trimmed()}*-?{lead}(?:{top}(?:\\.0{{1,20}})?|(?:[0-9]{{1,{len(top) - 1}}}|"
            f"{'|'.join(below)}){fraction}){trimmed()}*$")


FILTER_TEXT = "^[^\\x00-\\x1f\\x7f]{0,300}$"


def _digits_pattern(top: int) -> str:
    """search._int_param: ASCII digits for 1..top (leading zeros allowed), or empty."""
    digits = str(top)
    below = [f"{digits[:i]}[0-{int(digits[i]) - 1}][0-9]{{{len(digits) - i - 1}}}"
             for i in range(1, len(digits)) if digits[i] != "0"]
    shorter = f"[1-9][0-9]{{0,{len(digits) - 2}}}" if len(digits) > 1 else ""
    alternatives = [a for a in (shorter, *below, digits) if a]
    return f"^(?:0*(?:{'|'.join(alternatives)}))?$"


def _list_pattern(part: str) -> str:
    """Comma-separated values, each trimmed; empty ones are skipped, one at least."""
    w = trimmed()
    return f"^[{w[1:-1]},]*(?:{part})(?:{w}*,[{w[1:-1]},]*(?:{part}))*[{w[1:-1]},]*$"


def _paths() -> dict[str, Any]:
    order_id = {"name": "orderId", "in": "path", "required": True,
                "description": "The order's id (GUID); anything else is a 404.",
                "schema": {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}, "example": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}
    location = {"Location": {"required": True, "schema": {"type": "string"},
                             "description": "/api/orders/{orderId}"}}
    links = {
        name: {"operationId": operation, "parameters": {"orderId": "$response.body#/data/id"},
               "description": description}
        for name, operation, description in (
            ("GetOrder", "getOrder", "Read the order."),
            ("UpdateShipping", "updateShipping", "Change its shipping details."),
            ("UpdateCustomer", "updateCustomer", "Change its customer details."),
            ("EmailOrder", "emailOrder", "Email its confirmation."),
        )
    }
    updated = _json("Order", "The updated order.")
    return _with_versions({
        "/api/orders": {
            "post": {
                "operationId": "createOrder",
                "summary": "Create an order",
                "tags": ["Orders"],
                "description": "Creates one order (assisted ordering, integrations). With an "
                               "externalId that already exists, that order is updated in place "
                               "(same id and orderNumber) and the answer is 200 instead of 201.",
                "requestBody": _body("OrderInput", CREATE_EXAMPLE),
                "responses": {
                    "201": _json("OrderReference", "Created.", headers=location, links=links),
                    "200": _json("OrderReference", "An order with this externalId was updated.",
                                 headers=location, links=links),
                    **_errors(400, 401, 409, 413, 415, 422),
                },
            },
            "get": {
                "operationId": "searchOrders",
                "summary": "Search orders",
                "tags": ["Orders"],
                "description": "A page of orders, each with its invoice numbers. Unknown fields, "
                               "operators or sort keys are a 422 listing the allowed ones.",
                "parameters": search_parameters(),
                "responses": {"200": _json("SearchPage", "A page of orders."), **_errors(401, 422)},
            },
        },
        "/api/orders/bulk": {
            "post": {
                "operationId": "importOrders",
                "summary": "Create orders in bulk",
                "tags": ["Orders"],
                "description": f"Imports 1–{MAX_BULK} orders, idempotent by externalId (then "
                               "orderNumber). errorPolicy=rejectAll (default): any invalid order "
                               "rejects the request with 422 listing every error by index "
                               "(orders[2].items[0].price) and nothing is written. "
                               "errorPolicy=rejectFailed: valid orders are written; failed ones "
                               "come back in their slot as {errors}. Always 201 with one result "
                               "per submitted order, in order.",
                "parameters": [{
                    "name": "errorPolicy", "in": "query", "required": False, "allowEmptyValue": True,
                    "schema": {"enum": list(ERROR_POLICIES), "default": REJECT_ALL},
                    "description": "What to do when some orders are invalid.",
                }],
                "requestBody": _body("BulkRequest", BULK_EXAMPLE),
                "responses": {
                    "201": _json("BulkResults", "One result per submitted order, in order."),
                    **_errors(400, 401, 409, 413, 415, 422),
                },
            },
        },
        "/api/orders/{orderId}": {
            "parameters": [order_id],
            "get": {
                "operationId": "getOrder",
                "summary": "Get an order",
                "tags": ["Orders"],
                "responses": {
                    "200": {**_json("Order", "The full order object."),
                            "content": {JSON: {"schema": ref("Order"), "example": ORDER_EXAMPLE}}},
                    **_errors(401, 404),
                },
            },
        },
        "/api/orders/{orderId}/shipping": {
            "parameters": [order_id],
            "put": {
                "operationId": "updateShipping",
                "summary": "Update shipping details",
                "tags": ["Orders"],
                "description": "Allowed while the order is Pending or Processing (otherwise 409).",
                "requestBody": _body("ShippingUpdate", SHIPPING_EXAMPLE),
                "responses": {"200": updated, **_errors(400, 401, 404, 409, 413, 415, 422)},
            },
        },
        "/api/orders/{orderId}/customer": {
            "parameters": [order_id],
            "put": {
                "operationId": "updateCustomer",
                "summary": "Update customer details",
                "tags": ["Orders"],
                "description": "Allowed unless the order is Cancelled (otherwise 409).",
                "requestBody": _body("CustomerUpdate", CUSTOMER_EXAMPLE),
                "responses": {"200": updated, **_errors(400, 401, 404, 409, 413, 415, 422)},
            },
        },
        "/api/orders/{orderId}/email": {
            "parameters": [order_id],
            "post": {
                "operationId": "emailOrder",
                "summary": "Send order confirmation email",
                "tags": ["Orders"],
                "description": "Emails the confirmation (organization template and branding, PDF "
                               "attached). If delivery fails the email stays queued for retry.",
                "requestBody": _body("EmailRequest", EMAIL_EXAMPLE),
                "responses": {
                    "200": _json("EmailResult", "Sent, or queued for delivery."),
                    **_errors(400, 401, 404, 409, 413, 415, 422),
                },
            },
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This OpenAPI document",
                "tags": ["Reference"],
                "security": [],
                "description": "Public. Requested with an API token (Authorization: Bearer), it "
                               "describes the values that depend on the token's organization, such "
                               "as its price tiers; an unknown token is ignored.",
                "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document."),
                              **_errors()},
            },
        },
        "/api/docs": {
            "get": {
                "operationId": "getReference",
                "summary": "The API reference page",
                "tags": ["Reference"],
                "security": [],
                "responses": {"200": {"description": "HTML.",
                                      "content": {"text/html": {"schema": {"type": "string"}}}},
                              "414": {"$ref": "#/components/responses/RequestLineTooLong"}},
            },
        },
    })


IF_MATCH_PATTERN = r'^(\*|"[0-9]{1,9}"(, ?"[0-9]{1,9}")*)$'


def _with_versions(paths: dict[str, Any]) -> dict[str, Any]:
    """Optimistic concurrency: reading an order answers its version as the ``ETag``;
    the PUTs take it back in ``If-Match`` and answer 412 when the order has changed
    since (without If-Match a PUT applies as always)."""
    etag = {"ETag": {"required": True, "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
                     "description": "The order's version, raised by every change to it (edits, status "
                                    "changes, re-imports, invoices). Send it back in If-Match."}}
    if_match = {"name": "If-Match", "in": "header", "required": False,
                "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
                "description": 'The ETag the change was made on (e.g. "4"), or *. When the order is at '
                               "another version nothing is changed and the answer is 412."}
    precondition = _problem_response("If-Match did not match the order's current ETag: it changed since "
                                     "it was read; nothing was changed. Read it again and reapply.")
    paths["/api/orders/{orderId}"]["get"]["responses"]["200"]["headers"] = etag
    for path in ("/api/orders/{orderId}/shipping", "/api/orders/{orderId}/customer"):
        put = paths[path]["put"]
        put["parameters"] = [if_match]
        put["responses"] = {**put["responses"], "200": {**put["responses"]["200"], "headers": etag},
                            "412": precondition}
        put["description"] += " Send If-Match with the order's ETag to refuse (412) a change made on an older version."
    return paths


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document as anyone may read it (built once; treat it as
    read-only)."""
    return document_for(None)


@lru_cache(maxsize=64)
def document_for(tiers: tuple[str, ...] | None, catalog_lists: Any = None) -> dict[str, Any]:
    """The document for an organization with these price tiers (None: for anyone), and
    the lists the catalog's shapes are checked against (``CatalogLists``; None: any)."""
    from app.api.catalog_openapi import TAGS, catalog_paths, catalog_schemas

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Orderdesk Orders API",
            "version": "1.0.0",
            "description": (
                "Create, import, search and update B2B orders. Every request carries "
                "`Authorization: Bearer <token>`; the token decides the organization, and "
                "another organization's orders answer 404 exactly like ids that do not exist. "
                "Money is exact: amounts are JSON numbers with the currency's minor units "
                "(432.00), and `…Formatted` strings use the organization's locale. Errors are "
                "application/problem+json (RFC 9457); validation errors list every field with "
                "its path."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": "Orders", "description": "Orders from creation through fulfillment."},
            *TAGS,
            {"name": "Reference", "description": "This description, as JSON and as a page."},
        ],
        "paths": {**_paths(), **catalog_paths()},
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http", "scheme": "bearer",
                    "description": "An API token: `flask --app app tokens create --org SLUG --name NAME`.",
                },
            },
            "schemas": {**input_components(tiers), **_output_schemas(), **catalog_schemas(catalog_lists)},
            "responses": _responses(),
        },
    }


def _callers_tiers() -> tuple[str, ...] | None:
    """The price tiers of the organization whose API token came with the request, if any."""
    secret = bearer_secret(request.headers.get("Authorization"))
    if secret is None:
        return None
    token = accounts.authenticate_token(db.session, secret)
    if token is None:
        return None
    org = db.session.get(Organization, accounts.actor_for_token(token).organization_id)
    return tuple(org.price_tiers) if org is not None and org.price_tiers else None


def _callers_catalog_lists() -> Any:
    """The tiers, terms and currencies of the organization whose API token came with the request."""
    from app.shapes.catalog import CatalogLists

    token = accounts.authenticate_token(db.session, bearer_secret(request.headers.get("Authorization")) or "")
    org = db.session.get(Organization, accounts.actor_for_token(token).organization_id) if token else None
    return CatalogLists.of(org) if org is not None else None


@bp.get("/openapi.json", endpoint="openapi_document")
def openapi_document_view() -> Response:
    tiers = _callers_tiers()
    response = json_response(document_for(tiers, _callers_catalog_lists() if tiers is not None else None))
    response.headers["Vary"] = "Authorization"
    if tiers is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response
