"""POST /api/orders/{orderId}/email: send the order confirmation to 1–20 addresses."""

from __future__ import annotations

from uuid import UUID

from flask import Response

from app.api import bp
from app.api.auth import current_actor
from app.api.payload import json_body, json_response
from app.domain.errors import FieldError, ValidationFailed
from app.extensions import db
from app.mail.service import FIELD, send_confirmation
from app.shapes.responses import EmailResult


@bp.post("/orders/<uuid:order_id>/email")
def email_order(order_id: UUID) -> Response:
    """200 ``{data:{status:"sent"|"queued", recipients}}``; 422 names each bad address by index."""
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object with an emailAddresses array")])
    result = send_confirmation(db.session, current_actor(), str(order_id), body.get(FIELD))
    return json_response(EmailResult.of(result.status, result.recipients).body())
