"""The catalog endpoints for ERPs: products by SKU and customers by customer number,
listed with paging and search, read, put one at a time and upserted in bulk. The same
views serve both kinds (``CatalogKind`` holds what differs); each translates HTTP to one
catalog service call and back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from werkzeug.routing import PathConverter

from app.api import bp
from app.api.auth import current_actor
from app.api.payload import json_body, json_response
from app.domain.errors import FieldError, ValidationFailed
from app.domain.identifiers import normalize_identifier
from app.extensions import db
from app.services import catalog
from app.services.catalog import ERROR_POLICIES, FAILED, MAX_BULK, REJECT_ALL, ItemResult


class KeyConverter(PathConverter):
    """A SKU or customer number in a path: any characters, slashes included (a SKU may
    hold one), and a leading one too; ``bulk`` is the bulk operation's."""

    regex = "(?!bulk$)[^\\x00]+?"
    part_isolating = False


def _register_converter(state: Any) -> None:
    state.app.url_map.converters.setdefault("key", KeyConverter)


bp.record_once(_register_converter)

MAX_PAGE_NUMBER = 10_000_000


# --------------------------------------------------------------------------- helpers


def _list_params(sorts: Mapping[str, Any], default_sort: str) -> dict[str, Any]:
    """pageNumber, pageSize, q, sortOn and sortDirection; every problem at once."""
    errors: list[FieldError] = []
    args = request.args

    def number(name: str, default: int, top: int) -> int:
        raw = args.get(name)
        if raw in (None, ""):
            return default
        if not (raw.isascii() and raw.isdigit()):
            errors.append(FieldError(name, "must be a whole number"))
            return default
        value = int(raw)
        if not 1 <= value <= top:
            errors.append(FieldError(name, f"must be between 1 and {top}"))
            return default
        return value

    page = number("pageNumber", 1, MAX_PAGE_NUMBER)
    size = number("pageSize", 25, catalog.MAX_PAGE_SIZE)
    sort = args.get("sortOn") or default_sort
    if sort not in sorts:
        errors.append(FieldError("sortOn", f"unknown sort key {sort!r}; allowed: {', '.join(sorts)}"))
    direction = (args.get("sortDirection") or "asc").lower()
    if direction not in ("asc", "desc"):
        errors.append(FieldError("sortDirection", "must be asc or desc"))
    q = (args.get("q") or "").strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in q):
        errors.append(FieldError("q", "must not contain control characters"))
    if errors:
        raise ValidationFailed(errors)
    return {"q": q, "page": page, "size": size, "sort": sort, "descending": direction == "desc"}


def _page_body(page: catalog.Page, to_wire: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return {"items": [to_wire(item) for item in page.items], "pageNumber": page.page_number,
            "pageSize": page.page_size, "totalCount": page.total_count, "totalPages": page.total_pages}


def _prefixed(prefix: str, errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(f"{prefix}.{e.field}" if e.field else prefix, e.message) for e in errors]


def _result_body(result: ItemResult, key_name: str, prefix: str) -> dict[str, Any]:
    return {
        "index": result.index, key_name: result.key, "status": result.status,
        "changes": [{"field": name, "old": old, "new": new} for name, (old, new) in result.changes.items()],
        "errors": [e.as_dict() for e in _prefixed(f"{prefix}[{result.index}]", result.errors)],
    }


def _put(path_key: str, key_name: str, upsert: Callable[..., list[ItemResult]]) -> ItemResult:
    """One item put at its key: the body's own key, when given, must be the path's."""
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    key, problem = normalize_identifier(path_key)
    given = body.get(key_name)
    if given is not None and not (isinstance(given, str) and normalize_identifier(given)[0] == key):
        raise ValidationFailed([FieldError(key_name, f"must match the {key_name} in the path ({key!r})")])
    if problem:
        raise ValidationFailed([FieldError(key_name, problem)])
    result = upsert(db.session, current_actor(), [{**body, key_name: path_key}], error_policy=REJECT_ALL)[0]
    if result.status == FAILED:
        raise ValidationFailed(result.errors)
    return result


def _bulk(name: str, key_name: str, upsert: Callable[..., list[ItemResult]]) -> Response:
    policy = request.args.get("errorPolicy") or REJECT_ALL
    if policy not in ERROR_POLICIES:
        raise ValidationFailed([FieldError("errorPolicy", f"must be one of {', '.join(ERROR_POLICIES)}")])
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", f"must be a JSON object with a {name} array")])
    items = body.get(name)
    if not isinstance(items, list):
        raise ValidationFailed([FieldError(name, f"must be an array of {name}")])
    if not 1 <= len(items) <= MAX_BULK:
        raise ValidationFailed([FieldError(name, f"must contain between 1 and {MAX_BULK} {name} (got {len(items)})")])
    results = upsert(db.session, current_actor(), items, error_policy=policy)
    failed = [r for r in results if r.status == FAILED]
    if failed and policy == REJECT_ALL:
        raise ValidationFailed(
            [e for r in failed for e in _prefixed(f"{name}[{r.index}]", r.errors)],
            detail=f"{len(failed)} of {len(results)} {name} are invalid; nothing was written.",
        )
    return json_response([_result_body(r, key_name, name) for r in results])


# --------------------------------------------------------------------------- the two kinds


@dataclass(frozen=True)
class CatalogKind:
    """What differs between products and customers: the collection's name, its key, and
    the catalog service's calls; the endpoints are the same for both."""

    name: str  # "products": the path and the bulk body's array
    one: str  # "product": the endpoints' names (api.get_product)
    key_name: str  # the key's wire name
    path_param: str  # the key's name in the path rules (<key:sku>)
    search: Callable[..., catalog.Page]
    sorts: Mapping[str, Any]
    default_sort: str
    get: Callable[..., Any]
    wire: Callable[[Any], dict[str, Any]]
    upsert: Callable[..., list[ItemResult]]

    def href(self, key: str) -> str:
        from urllib.parse import quote

        return f"{bp.url_prefix}/{self.name}/{quote(key, safe='')}"


PRODUCTS = CatalogKind("products", "product", "sku", "sku", catalog.search_products, catalog.PRODUCT_SORTS, "sku",
                       catalog.get_product, catalog.product_wire, catalog.upsert_products)
CUSTOMERS = CatalogKind("customers", "customer", "customerNumber", "customer_number", catalog.search_customers, catalog.CUSTOMER_SORTS,
                        "companyName", catalog.get_customer, catalog.customer_wire, catalog.upsert_customers)


def _register(kind: CatalogKind) -> None:
    """``GET /<name>`` (a page, ``q`` search), ``GET`` and ``PUT /<name>/<key>`` (201 with
    Location when the PUT created the item, 200 otherwise) and ``POST /<name>/bulk``."""

    def search() -> Response:
        page = kind.search(db.session, current_actor(), **_list_params(kind.sorts, kind.default_sort))
        return json_response(_page_body(page, kind.wire))

    def get(**path: str) -> Response:
        return json_response(kind.wire(kind.get(db.session, current_actor(), path[kind.path_param])))

    def put(**path: str) -> Response:
        result = _put(path[kind.path_param], kind.key_name, kind.upsert)
        item = kind.get(db.session, current_actor(), result.key)
        created = result.status == catalog.CREATED
        headers = {"Location": kind.href(result.key)} if created else {}
        return json_response(kind.wire(item), 201 if created else 200, headers)

    def bulk() -> Response:
        return _bulk(kind.name, kind.key_name, kind.upsert)

    bp.add_url_rule(f"/{kind.name}", f"search_{kind.name}", search, methods=["GET"])
    one = f"/{kind.name}/<key:{kind.path_param}>"
    bp.add_url_rule(one, f"get_{kind.one}", get, methods=["GET"], merge_slashes=False)
    bp.add_url_rule(one, f"put_{kind.one}", put, methods=["PUT"], merge_slashes=False)
    bp.add_url_rule(f"/{kind.name}/bulk", f"bulk_{kind.name}", bulk, methods=["POST"])


for _kind in (PRODUCTS, CUSTOMERS):
    _register(_kind)

