"""The Orders endpoints: each view translates HTTP to one service call and back.

Order ids in paths must be GUIDs (any case); anything else is a 404 from routing."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import Response, g, request

from app.api import bp
from app.api.auth import current_actor
from app.api.openapi import IF_MATCH_PATTERN
from app.api.payload import json_body, json_response
from app.db.models import Order, Organization
from app.domain.errors import FieldError, ValidationFailed
from app.extensions import db
from app.services import orders as order_service
from app.services import search as search_service
from app.services.orders import REJECT_ALL, ImportSlot, WriteResult
from app.services.present import order_to_dict
from app.shapes.responses import FailedImport, OrderReference, SearchPage


def order_href(order_id: str) -> str:
    return f"{bp.url_prefix}/orders/{order_id}"


def reference(result: WriteResult) -> OrderReference:
    """The seed's ``{data:{id,orderNumber}, links:[{rel:"self", href}]}`` envelope."""
    return OrderReference.of(result.id, result.order_number, order_href(result.id))


def slot_answer(slot: ImportSlot) -> OrderReference | FailedImport:
    """A written order's envelope, or ``{errors:[…]}`` for one that failed."""
    if slot.result is not None:
        return reference(slot.result)
    return FailedImport.of(slot.errors)


def organization() -> Organization:
    """The actor's organization, loaded once per request."""
    if "organization" not in g:
        g.organization = order_service.load_org(db.session, current_actor().organization_id)
    return g.organization


def full_order(order: Order) -> dict[str, Any]:
    numbers = search_service.invoice_numbers_for(db.session, [order.id])
    return order_to_dict(order, organization(), numbers.get(order.id, ()))


@bp.post("/orders")
def create_order() -> Response:
    """201 with Location when created; 200 when its externalId updated an existing order."""
    result = order_service.create_order(db.session, current_actor(), json_body())
    return json_response(
        reference(result).body(), 201 if result.created else 200, {"Location": order_href(result.id)}
    )


@bp.post("/orders/bulk")
def import_orders() -> Response:
    """201 with one result per submitted order, in order (as the seed documents), whether
    each was created, updated, left unchanged or (with rejectFailed) failed."""
    policy = request.args.get("errorPolicy") or REJECT_ALL
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object with an orders array")])
    slots = order_service.import_orders(db.session, current_actor(), body.get("orders"), policy)
    return json_response([slot_answer(slot).body() for slot in slots], 201)


def with_etag(response: Response, order: Order) -> Response:
    """The order's version as a strong ETag (If-Match on the PUTs takes it back)."""
    response.set_etag(str(order.version))
    return response


def expected_versions() -> frozenset[int] | None:
    """The versions If-Match names: None without the header (or with ``*``), else the
    versions of its strong tags (empty when none is one of ours: nothing can match)."""
    if "If-Match" not in request.headers:
        return None
    if not re.fullmatch(IF_MATCH_PATTERN, request.headers["If-Match"].strip()):
        return frozenset()  # not one of our ETags (nor *): it cannot match
    tags = request.if_match
    if tags.star_tag:
        return None
    return frozenset(int(tag) for tag in tags.as_set() if tag and tag.isdigit() and len(tag) < 10)


@bp.get("/orders/<uuid:order_id>")
def get_order(order_id: UUID) -> Response:
    order = order_service.get_order(db.session, current_actor(), str(order_id))
    return with_etag(json_response(full_order(order)), order)


@bp.get("/orders")
def search_orders() -> Response:
    """A page of full order objects, each with its invoice numbers."""
    params = search_service.parse_search_params(request.args)
    page = search_service.search_orders(db.session, current_actor(), params)
    org = organization()
    return json_response(SearchPage.of(
        [order_to_dict(o, org, page.invoice_numbers.get(o.id, ())) for o in page.items],
        total_count=page.total_count, page_number=page.page_number, page_size=page.page_size,
        total_pages=page.total_pages,
    ).body())


@bp.put("/orders/<uuid:order_id>/shipping")
def update_shipping(order_id: UUID) -> Response:
    order = order_service.update_shipping(db.session, current_actor(), str(order_id), json_body(),
                                          expected_versions())
    return with_etag(json_response(full_order(order)), order)


@bp.put("/orders/<uuid:order_id>/customer")
def update_customer(order_id: UUID) -> Response:
    order = order_service.update_customer(db.session, current_actor(), str(order_id), json_body(),
                                          expected_versions())
    return with_etag(json_response(full_order(order)), order)
