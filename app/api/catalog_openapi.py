"""The catalog's part of the OpenAPI document: the products and customers paths, and
their components generated from the shapes in ``app.shapes.catalog``."""

from __future__ import annotations

import copy
from typing import Any

from app.api import openapi as oa
from app.services.catalog import CUSTOMER_SORTS, ERROR_POLICIES, MAX_BULK, MAX_PAGE_SIZE, PRODUCT_SORTS, REJECT_ALL
from app.shapes.catalog import CatalogLists, components

PRODUCT_EXAMPLE = {
    "sku": "WID-BLU-S", "name": "Widget Blue Small", "minimumOrderQuantity": 6, "quantityIncrement": 6,
    "active": True,
    "prices": [{"priceTier": "Wholesale", "currencyCode": "USD", "price": 12.5},
               {"priceTier": "Retail", "currencyCode": "USD", "price": 16.9}],
}
CUSTOMER_EXAMPLE = {
    "customerNumber": "C-1001", "companyName": "Brightfield Supply Co.", "companyEmail": "buying@brightfield.example",
    "companyPhone": "+1 512 555 0100", "companyFax": None,
    "billingAddress": {"address1": "12 Mill Road", "city": "Austin", "stateProvince": "TX",
                       "zipPostalCode": "78701", "country": "US"},
    "shippingAddress": None, "defaultPriceTier": "Wholesale", "defaultTerms": "Net30", "defaultCurrency": "USD",
}
TAGS = [
    {"name": "Products", "description": "The catalog: products by SKU with their price lists."},
    {"name": "Customers", "description": "The customer directory, by customer number."},
]


def catalog_schemas(lists: CatalogLists | None) -> dict[str, Any]:
    """The components, for an organization's tiers, terms and currencies (None: any)."""
    schemas = components(lists)
    for name, key in (("ProductInput", "sku"), ("DirectoryCustomerInput", "customerNumber")):
        put = copy.deepcopy(schemas[name])
        put["required"] = [r for r in put["required"] if r != key]
        put["properties"][key] = {"oneOf": [{"$ref": put["properties"][key]["$ref"]}, {"type": "null"}],
                                  "description": "Optional: the path gives it."}
        put["description"] = (f"{put.get('description', '')} The {key} is the one in the path; when the body "
                              f"gives it too, it must be the same.").strip()
        schemas[name.replace("Input", "Put")] = put
    return schemas


def _key_parameter(name: str, limit: int, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "description": f"The {what} (URL-encoded; it may hold a slash). An unknown one is a 404 on GET. "
                           f"A {what} spelled `bulk` is read and written through the list and bulk operations.",
            "schema": {"type": "string", "pattern": "^(?!bulk$)" + oa.identifier_pattern(limit, required=True)[1:]}}


def _list_parameters(sorts: dict[str, Any], default: str, searched: str) -> list[dict[str, Any]]:
    def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "allowEmptyValue": True,
                "schema": schema, "description": description}

    edge = oa.char_class([*range(0x21), 0x7F, *(cp for cp in oa._space_codepoints() if cp > 0x20)], negate=True)
    w = oa.trimmed()
    return [
        query("pageNumber", {"type": "string", "pattern": oa._digits_pattern(10_000_000), "default": "1"},
              "Page to return, 1–10000000 in ASCII digits; a page past the end has no items."),
        query("pageSize", {"type": "string", "pattern": oa._digits_pattern(MAX_PAGE_SIZE), "default": "25"},
              f"Results per page, 1–{MAX_PAGE_SIZE} in ASCII digits."),
        query("sortOn", {"type": "string", "pattern": f"^(?:{'|'.join(sorts)})?$", "default": default},
              "Field to sort by (" + ", ".join(sorts) + ")."),
        query("sortDirection", {"type": "string", "pattern": "^(?:[aA][sS][cC]|[dD][eE][sS][cC])?$",
                                "default": "asc"}, "asc or desc, in any case."),
        query("q", {"type": "string", "pattern": f"^{w}*(?:{edge}(?:[^\\x00-\\x1f\\x7f]*{edge})?)?{w}*$"},
              f"Finds {searched} containing the text, in any case (the first 200 characters, trimmed; "
              "no control characters)."),
    ]


def _operations(kind: str, plural: str, key: str, param: str, limit: int, answer: str, example: dict[str, Any],
                sorts: dict[str, Any], default_sort: str, searched: str, who: str) -> dict[str, Any]:
    tag = plural.title()
    item_path = f"/api/{plural}/{{{param}}}"
    location = {"Location": {"required": True, "schema": {"type": "string"},
                             "description": f"/api/{plural}/{{{param}}}, URL-encoded."}}
    put_example = {k: v for k, v in example.items() if k != key}
    return {
        f"/api/{plural}": {
            "get": {
                "operationId": f"search{tag}",
                "summary": f"List and search {plural}",
                "tags": [tag],
                "description": f"A page of {plural}. Unknown sort keys are a 422 listing the allowed ones.",
                "parameters": _list_parameters(sorts, default_sort, searched),
                "responses": {"200": oa._json(f"{kind}Page", f"A page of {plural}."), **oa._errors(401, 422)},
            },
        },
        f"/api/{plural}/bulk": {
            "post": {
                "operationId": f"upsert{tag}",
                "summary": f"Create or update {plural} in bulk",
                "tags": [tag],
                "description": f"Creates or updates 1–{MAX_BULK} {plural}, matched by {key} (normalized). "
                               f"errorPolicy=rejectAll (default): any invalid {kind.lower()} rejects the request "
                               f"with 422 listing every error by index ({plural}[2].{'prices[0].price' if kind == 'Product' else 'defaultTerms'}) and nothing "
                               f"is written. errorPolicy=rejectFailed: the valid ones are written; failed ones come "
                               f"back with their errors. Always 200 with one result per submitted {kind.lower()}, in "
                               "order: created, updated (with each changed field, old and new), unchanged or "
                               f"failed. Sending the same body again gives all unchanged. The same {key} twice in "
                               f"one request fails both. {who}",
                "parameters": [{
                    "name": "errorPolicy", "in": "query", "required": False, "allowEmptyValue": True,
                    "schema": {"enum": list(ERROR_POLICIES), "default": REJECT_ALL},
                    "description": f"What to do when some {plural} are invalid.",
                }],
                "requestBody": oa._body(f"{kind}BulkRequest", {plural: [example]}),
                "responses": {
                    "200": oa._json({"type": "array", "items": oa.ref(f"{kind}Result")},
                                    f"One result per submitted {kind.lower()}, in order."),
                    **oa._errors(400, 401, 409, 413, 415, 422),
                },
            },
        },
        item_path: {
            "parameters": [_key_parameter(param, limit, key)],
            "get": {
                "operationId": f"get{kind}",
                "summary": f"Get a {kind.lower()}",
                "tags": [tag],
                "responses": {"200": oa._json(answer, f"The {kind.lower()}."), **oa._errors(401, 404)},
            },
            "put": {
                "operationId": f"put{kind}",
                "summary": f"Create or replace a {kind.lower()}",
                "tags": [tag],
                "description": f"The whole {kind.lower()}: optional fields left out are cleared"
                               + (" and prices replaces its price list" if kind == "Product" else "")
                               + f". 201 with Location when it was created, 200 otherwise. {who}",
                "requestBody": oa._body(f"{kind if kind == 'Product' else 'DirectoryCustomer'}Put", put_example),
                "responses": {
                    "201": oa._json(answer, "Created.", headers=location),
                    "200": oa._json(answer, "Updated, or unchanged."),
                    **oa._errors(400, 401, 409, 413, 415, 422),
                },
            },
        },
    }


def catalog_paths() -> dict[str, Any]:
    return {
        **_operations("Product", "products", "sku", "sku", 100, "Product", PRODUCT_EXAMPLE, PRODUCT_SORTS, "sku",
                      "SKUs and names", "A token with the write scope may change the catalog."),
        **_operations("Customer", "customers", "customerNumber", "customerNumber", 64, "DirectoryCustomer",
                      CUSTOMER_EXAMPLE, CUSTOMER_SORTS, "companyName",
                      "customer numbers, company names, emails and phone numbers",
                      "A token with the write scope may change the directory."),
    }
