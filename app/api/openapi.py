"""The API's OpenAPI 3.1 description, built from the same constants the services
enforce (limits, statuses, sort keys, filter fields), served at /api/openapi.json."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from flask import Response

from app.api import bp
from app.api.examples import (
    BULK_EXAMPLE,
    CREATE_EXAMPLE,
    CUSTOMER_EXAMPLE,
    EMAIL_EXAMPLE,
    ORDER_EXAMPLE,
    SHIPPING_EXAMPLE,
)
from app.api.payload import json_response
from app.domain import money
from app.domain.orders import ADDRESS_FIELDS, LIMITS, MAX_ITEMS
from app.domain.workflow import STATUSES
from app.services.orders import ERROR_POLICIES, MAX_BULK, REJECT_ALL
from app.services.search import (
    DATE_FIELDS,
    FILTER_FIELDS,
    MAX_PAGE_SIZE,
    NUMBER_FIELDS,
    OPERATORS,
    SORT_KEYS,
)

MAX_EMAIL_RECIPIENTS = 20
PROBLEM = "application/problem+json"
JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema or JSON null (an explicit null means "absent" or "clear")."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out


def text(limit_key: str, description: str, *, required: bool = False) -> dict[str, Any]:
    limit = LIMITS.get(limit_key, 200)
    schema: dict[str, Any] = {"type": "string", "maxLength": limit, "description": description}
    if required:
        schema["minLength"] = 1
        return schema
    return nullable(schema)


def amount(description: str, *, required: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "number", "minimum": 0, "maximum": int(money.MAX_AMOUNT),
        "description": description,
    }
    return schema if required else nullable(schema)


def _input_schemas() -> dict[str, Any]:
    address = {
        "type": "object",
        "description": "A postal address; every field is optional text of at most "
                       f"{LIMITS['address']} characters.",
        "properties": {
            name: nullable({"type": "string", "maxLength": LIMITS["address"]})
            for name in ADDRESS_FIELDS
        },
    }
    customer = {
        "type": "object",
        "description": "The customer placing the order. An unknown customerNumber joins the "
                       "customer directory; a known one fills fields the request leaves out.",
        "required": ["customerNumber", "companyName"],
        "properties": {
            "customerNumber": text("customerNumber", "The customer's account number.", required=True),
            "companyName": text("companyName", "Customer's company name.", required=True),
            "companyEmail": text("companyEmail", "Primary company email address (validated; empty counts as absent)."),
            "companyPhone": text("companyPhone", "Primary company phone number."),
            "companyFax": text("companyFax", "Company fax number."),
            "billingAddress": nullable(ref("AddressInput")),
            "shippingAddress": nullable(ref("AddressInput")),
        },
    }
    rep = {
        "type": "object",
        "description": "A sales rep, identified by repNumber; unknown reps join the directory.",
        "required": ["repNumber"],
        "properties": {
            "repNumber": text("repNumber", "The rep's number, unique in the organization.", required=True),
            "firstName": text("firstName", "First name."),
            "lastName": text("lastName", "Last name."),
            "email": text("email", "The rep's email address (validated)."),
        },
    }
    user = {
        "type": "object",
        "description": "The user creating the order.",
        "required": ["userType"],
        "properties": {
            "userId": text("userId", "Your system's id for the user."),
            "userType": text("userType", "e.g. SalesRep, Admin.", required=True),
        },
    }
    item = {
        "type": "object",
        "required": ["sku", "quantity", "price"],
        "properties": {
            "sku": text("sku", "Stock keeping unit.", required=True),
            "productName": text("productName", "Defaults to the catalog name, else the sku."),
            "quantity": {
                "type": "integer", "minimum": 1, "maximum": money.MAX_QUANTITY,
                "description": "On single create, a catalog SKU's quantity must be its "
                               "minimumOrderQuantity plus a multiple of its quantityIncrement.",
            },
            "price": amount(f"Unit price, at most {money.PRICE_PLACES} decimal places.", required=True),
            "discountAmount": amount("Discount on this line; at most quantity × price."),
        },
    }
    shipping = {
        "type": "object",
        "description": "Shipping method and cost for the order.",
        "properties": {
            "method": text("method", "Shipping method name, e.g. FedEx Ground."),
            "total": amount("Shipping cost."),
            "shippingAddress": nullable(ref("AddressInput")),
        },
    }
    order_props: dict[str, Any] = {
        "customer": ref("CustomerInput"),
        "orderType": text("orderType", "How the order was placed (e.g. Direct, Web, EDI).", required=True),
        "poNumber": text("poNumber", "Customer's purchase order number.", required=True),
        "priceTier": {"type": "string", "minLength": 1,
                      "description": "One of your organization's price tiers (e.g. Wholesale, Retail)."},
        "currencyCode": {"type": "string", "minLength": 1,
                         "description": "An ISO 4217 currency code (e.g. USD)."},
        "primarySalesRep": ref("SalesRepInput"),
        "items": {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": ref("LineItemInput")},
        "user": ref("UserInput"),
        "shippingDetails": nullable(ref("ShippingDetailsInput")),
        "takenBySalesRep": nullable(ref("SalesRepInput")),
        "terms": text("terms", "Payment terms (e.g. Net30, Net60, COD)."),
        "notes": text("notes", "Free-text notes."),
        "orderStatus": {"enum": [*STATUSES, None],
                        "description": "Initial status; defaults to Pending."},
        "channel": text("channel", "Sales channel (e.g. Web, Phone, EDI)."),
        "externalId": text("externalId", "Your system's identifier. Submitting the same externalId "
                                         "again updates that order instead of creating one."),
        "tax": amount("Tax amount to apply to the order."),
        "discountAmount": amount("Order-level discount; at most subtotal + shipping + tax."),
        "originationCartId": text("originationCartId", "The cart this order came from, if any."),
        "orderDate": nullable({"type": "string", "description":
                               "ISO 8601 date-time; without an offset it is UTC. Defaults to now."}),
    }
    required = ["customer", "orderType", "poNumber", "priceTier", "currencyCode",
                "primarySalesRep", "items", "user"]
    order_input = {
        "type": "object",
        "description": "A new order. Every violation is reported at once with its path.",
        "required": required,
        "properties": order_props,
    }
    bulk_order = copy.deepcopy(order_input)
    bulk_order["description"] = (
        "An order to import. Matched to an existing order by externalId, then by orderNumber; "
        "catalog quantity rules are recorded but not enforced."
    )
    bulk_order["properties"]["orderNumber"] = text(
        "orderNumber", "Keep your existing order number; re-importing it updates that order."
    )
    return {
        "AddressInput": address,
        "CustomerInput": customer,
        "SalesRepInput": rep,
        "UserInput": user,
        "LineItemInput": item,
        "ShippingDetailsInput": shipping,
        "OrderInput": order_input,
        "BulkOrderInput": bulk_order,
        "BulkRequest": {
            "type": "object",
            "required": ["orders"],
            "properties": {
                "orders": {"type": "array", "minItems": 1, "maxItems": MAX_BULK,
                           "items": ref("BulkOrderInput")},
            },
        },
        "ShippingUpdate": {
            "type": "object",
            "description": "Omitted shippingAddress keeps the current one; null clears it.",
            "required": ["method", "total"],
            "properties": {
                "method": text("method", "Shipping method name.", required=True),
                "total": amount("Shipping cost.", required=True),
                "shippingAddress": nullable(ref("AddressInput")),
            },
        },
        "CustomerUpdate": {
            "type": "object",
            "description": "Omitted optional fields keep their value; an explicit null clears it.",
            "required": ["customerNumber", "companyName"],
            "properties": {
                "customerNumber": text("customerNumber", "The customer's account number.", required=True),
                "companyName": text("companyName", "Customer's company name.", required=True),
                "companyEmail": text("companyEmail", "Primary company email address (validated; empty counts as absent)."),
                "companyPhone": text("companyPhone", "Primary company phone number."),
                "companyFax": text("companyFax", "Company fax number."),
                "billingAddress": nullable(ref("AddressInput")),
            },
        },
        "EmailRequest": {
            "type": "object",
            "required": ["emailAddresses"],
            "properties": {
                "emailAddresses": {
                    "type": "array", "minItems": 1, "maxItems": MAX_EMAIL_RECIPIENTS,
                    "description": f"1 to {MAX_EMAIL_RECIPIENTS} valid email addresses.",
                    "items": {"type": "string"},
                },
            },
        },
    }


def _output_schemas() -> dict[str, Any]:
    optional = {"type": ["string", "null"]}
    money_out = {"type": "number", "description": "Exact decimal, rounded to the currency's minor units."}
    formatted = {"type": "string", "description": "Formatted in the organization's locale, e.g. $12.50."}
    stamp = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601 with Z."}
    address = {
        "type": "object",
        "properties": {name: {"type": "string"} for name in ADDRESS_FIELDS},
    }
    rep = {
        "type": "object",
        "required": ["repNumber", "firstName", "lastName", "fullName", "email"],
        "properties": {
            "repNumber": {"type": "string"}, "firstName": optional, "lastName": optional,
            "fullName": optional, "email": optional,
        },
    }
    customer = {
        "type": "object",
        "required": ["customerNumber", "companyName", "companyEmail", "companyPhone", "companyFax",
                     "billingAddress", "shippingAddress"],
        "properties": {
            "customerNumber": {"type": "string"}, "companyName": {"type": "string"},
            "companyEmail": optional, "companyPhone": optional, "companyFax": optional,
            "billingAddress": nullable(ref("Address")),
            "shippingAddress": {**nullable(ref("Address")),
                                "description": "Read-only mirror of shippingDetails.shippingAddress."},
        },
    }
    item = {
        "type": "object",
        "required": ["sku", "productName", "quantity", "price", "priceFormatted", "subTotal",
                     "subTotalFormatted", "discountAmount", "minimumOrderQuantity",
                     "quantityIncrement"],
        "properties": {
            "sku": {"type": "string"}, "productName": {"type": "string"},
            "quantity": {"type": "integer", "minimum": 1},
            "price": {"type": "number", "description": "Unit price as entered (up to 4 places)."},
            "priceFormatted": formatted,
            "subTotal": {**money_out, "description": "quantity × price − discountAmount."},
            "subTotalFormatted": formatted, "discountAmount": money_out,
            "minimumOrderQuantity": {"type": "integer"}, "quantityIncrement": {"type": "integer"},
        },
    }
    shipping = {
        "type": "object",
        "required": ["method", "total", "totalFormatted", "shippingAddress"],
        "properties": {
            "method": optional, "total": money_out, "totalFormatted": formatted,
            "shippingAddress": nullable(ref("Address")),
        },
    }
    order_props = {
        "id": {"type": "string", "format": "uuid"},
        "organizationId": {"type": "string"},
        "orderNumber": {"type": "string", "description": "e.g. ORD-00412"},
        "orderDate": stamp,
        "orderStatus": {"enum": list(STATUSES)},
        "orderType": {"type": "string"}, "poNumber": {"type": "string"},
        "priceTier": {"type": "string"}, "currencyCode": {"type": "string"},
        "terms": optional, "channel": optional, "externalId": optional, "notes": optional,
        "originationCartId": optional,
        "customer": ref("Customer"),
        "primarySalesRep": nullable(ref("SalesRep")),
        "takenBySalesRep": nullable(ref("SalesRep")),
        "items": {"type": "array", "items": ref("LineItem")},
        "shippingDetails": ref("ShippingDetails"),
        "tax": money_out, "taxFormatted": formatted,
        "subtotal": {**money_out, "description": "Σ items[].subTotal."}, "subtotalFormatted": formatted,
        "orderTotal": {**money_out, "description": "subtotal + shipping + tax − discountAmount."},
        "orderTotalFormatted": formatted,
        "discountAmount": money_out, "discountAmountFormatted": formatted,
        "active": {"type": "boolean"},
        "createdAt": stamp, "updatedAt": stamp,
        "invoiceNumbers": {"type": "array", "items": {"type": "string"},
                           "description": "Invoices issued against this order."},
    }
    reference = {
        "type": "object",
        "required": ["data", "links"],
        "properties": {
            "data": {
                "type": "object", "required": ["id", "orderNumber"],
                "properties": {"id": {"type": "string", "format": "uuid"},
                               "orderNumber": {"type": "string"}},
            },
            "links": {"type": "array", "items": ref("Link")},
        },
    }
    return {
        "Address": address,
        "SalesRep": rep,
        "Customer": customer,
        "LineItem": item,
        "ShippingDetails": shipping,
        "Order": {"type": "object", "required": list(order_props), "properties": order_props},
        "Link": {
            "type": "object", "required": ["rel", "href"],
            "properties": {"rel": {"type": "string"}, "href": {"type": "string"}},
        },
        "OrderReference": reference,
        "FailedImport": {
            "type": "object", "required": ["errors"],
            "description": "An order rejected under errorPolicy=rejectFailed, in its slot.",
            "properties": {"errors": {"type": "array", "items": ref("FieldError")}},
        },
        "BulkResults": {
            "type": "array",
            "description": "One entry per submitted order, in the order submitted.",
            "items": {"oneOf": [ref("OrderReference"), ref("FailedImport")]},
        },
        "SearchPage": {
            "type": "object",
            "required": ["items", "totalCount", "pageNumber", "pageSize", "totalPages"],
            "properties": {
                "items": {"type": "array", "items": ref("Order")},
                "totalCount": {"type": "integer", "minimum": 0},
                "pageNumber": {"type": "integer", "minimum": 1},
                "pageSize": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "totalPages": {"type": "integer", "minimum": 0},
            },
        },
        "Filter": {
            "type": "object",
            "required": ["field"],
            "properties": {
                "field": {"enum": list(FILTER_FIELDS)},
                "operator": {"enum": list(OPERATORS), "default": "eq"},
                "value": {"description": "A string (dates: ISO 8601; orderTotal: a number); "
                                         "for `in`, an array or a comma-separated string."},
            },
        },
        "EmailResult": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {
                    "type": "object", "required": ["status", "recipients"],
                    "properties": {
                        "status": {"enum": ["sent", "queued"],
                                   "description": "queued: delivery will be retried."},
                        "recipients": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
        "FieldError": {
            "type": "object", "required": ["field", "message"],
            "properties": {
                "field": {"type": "string", "description": "Path of the field, e.g. orders[2].items[0].price"},
                "message": {"type": "string"},
            },
        },
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
            },
        },
        "ValidationProblem": {
            "type": "object",
            "required": ["type", "title", "status", "detail", "errors"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"const": 422}, "detail": {"type": "string"},
                "errors": {"type": "array", "minItems": 1, "items": ref("FieldError")},
            },
        },
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
        "Conflict": _problem_response("The order's status does not allow this change, or the "
                                      "request clashes with existing orders."),
        "PayloadTooLarge": _problem_response("The body is larger than the server accepts."),
        "UnsupportedMediaType": _problem_response("The body is not sent as application/json (UTF-8)."),
        "ValidationFailed": {
            "description": "Every invalid field, each with its path.",
            "content": {PROBLEM: {"schema": ref("ValidationProblem")}},
        },
    }


def _errors(*codes: int) -> dict[str, Any]:
    names = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 409: "Conflict",
             413: "PayloadTooLarge", 415: "UnsupportedMediaType", 422: "ValidationFailed"}
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in codes}


def _body(schema: str, example: Any) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": ref(schema), "example": example}}}


def _json(schema: str | dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    body = ref(schema) if isinstance(schema, str) else schema
    return {"description": description, "content": {JSON: {"schema": body}}, **extra}


def _search_parameters() -> list[dict[str, Any]]:
    def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "allowEmptyValue": True,
                "schema": schema, "description": description}

    params = [
        query("pageNumber", {"type": "integer", "minimum": 1, "maximum": 10_000_000, "default": 1},
              "Page to return; a page past the end has no items."),
        query("pageSize", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 25},
              f"Results per page, 1–{MAX_PAGE_SIZE}."),
        query("sortOn", {"enum": list(SORT_KEYS), "default": "createdAt"},
              "Field to sort by; ties are broken by id so paging is stable."),
        query("sortDirection", {"type": "string", "pattern": "^([aA][sS][cC]|[dD][eE][sS][cC])$",
                                "default": "asc"},
              "asc or desc, in any case."),
        {
            "name": "filters", "in": "query", "required": False, "allowEmptyValue": True,
            "description": "A JSON array of {field, operator, value}. Operators: "
                           + ", ".join(OPERATORS) + " (contains and startsWith are "
                           "case-insensitive and apply to text fields).",
            "content": {JSON: {"schema": {"anyOf": [
                {"type": "array", "maxItems": 50, "items": ref("Filter")}, ref("Filter"),
            ]}}},
        },
        query("q", {"type": "string"},
              "Searches order number, PO number, company name, customer number and externalId at once."),
    ]
    for name in FILTER_FIELDS:
        if name in DATE_FIELDS:
            schema, kind = {"type": "string"}, "an ISO 8601 date-time"
        elif name in NUMBER_FIELDS:
            schema, kind = {"type": "string"}, "a number"
        else:
            schema, kind = {"type": "string"}, "text"
        params.append({
            "name": name, "in": "query", "required": False, "schema": schema,
            "description": f"Shorthand for the filter {{field: {name}, operator: eq}}; value is {kind}."
                           + (" Matches the primary or taken-by rep." if name == "repNumber" else ""),
        })
    return params


def _paths() -> dict[str, Any]:
    order_id = {"name": "orderId", "in": "path", "required": True,
                "description": "The order's id (GUID); anything else is a 404.",
                "schema": {"type": "string", "format": "uuid"}, "example": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}
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
    return {
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
                "parameters": _search_parameters(),
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
                "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
            },
        },
        "/api/docs": {
            "get": {
                "operationId": "getReference",
                "summary": "The API reference page",
                "tags": ["Reference"],
                "security": [],
                "responses": {"200": {"description": "HTML.",
                                      "content": {"text/html": {"schema": {"type": "string"}}}}},
            },
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (built once; treat it as read-only)."""
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
            {"name": "Reference", "description": "This description, as JSON and as a page."},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http", "scheme": "bearer",
                    "description": "An API token: `flask --app app tokens create --org SLUG --name NAME`.",
                },
            },
            "schemas": {**_input_schemas(), **_output_schemas()},
            "responses": _responses(),
        },
    }


@bp.get("/openapi.json", endpoint="openapi_document")
def openapi_document_view() -> Response:
    return json_response(openapi_document())
