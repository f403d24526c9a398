"""Which orders an actor sees, in one place: a signed-in rep sees the orders where they
are the primary or the taken-by rep; managers, admins and API tokens see every order of
their organization. As a Python check (one order) and as SQL conditions (searches)."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import Order
from app.services.context import Actor


def sees_own_orders_only(actor: Actor) -> bool:
    return not actor.sees_all_orders and actor.token_id is None


def is_visible(actor: Actor, primary_rep_number: str | None, taken_by_rep_number: str | None) -> bool:
    if not sees_own_orders_only(actor):
        return True
    return bool({primary_rep_number, taken_by_rep_number} & set(actor.rep_numbers))


def visible_orders(actor: Actor) -> list[ColumnElement[bool]]:
    """Conditions on ``Order`` (beyond its organization) that keep what the actor sees."""
    if not sees_own_orders_only(actor):
        return []
    reps = list(actor.rep_numbers) or ["\x00none"]
    return [or_(Order.primary_rep_number.in_(reps), Order.taken_by_rep_number.in_(reps))]
