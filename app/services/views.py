"""Saved views of the orders list: a name for the list's state (search, filters, sort)
and its columns (which are shown, in which order), personal or shared with the
organization.

Who may do what, in one place: everyone sees their own views and the organization's
shared ones; the owner renames, updates and deletes a view; managers and admins also
manage shared views. A view stores only the list's state: opening it searches as the
person opening it, so a shared view shows a rep only the orders they may see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.db.models import SavedView, utcnow
from app.db.tx import run_in_transaction
from app.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.domain.orders import is_valid_text
from app.services.context import Actor

# The orders list's columns, in their default order.
COLUMNS: dict[str, str] = {
    "orderNumber": "Order #", "orderDate": "Date", "companyName": "Company", "customerNumber": "Customer #",
    "poNumber": "PO", "orderStatus": "Status", "orderTotal": "Total", "rep": "Rep",
    "invoices": "Invoices",
}
DEFAULT_COLUMNS: tuple[str, ...] = tuple(COLUMNS)
MAX_NAME = 80
MAX_STATE_KEYS = 20
MAX_VALUE = 300


@dataclass(frozen=True)
class ViewLists:
    mine: list[SavedView]
    shared: list[SavedView]


def parse_columns(raw: str | None) -> tuple[str, ...]:
    """``cols`` as in the URL (``orderNumber,companyName,…``): known keys, each once, at
    least one; anything else means the default columns."""
    if not raw:
        return DEFAULT_COLUMNS
    keys = tuple(dict.fromkeys(k for k in raw.split(",") if k in COLUMNS))
    return keys or DEFAULT_COLUMNS


def _check_state(state: Mapping[str, str]) -> dict[str, str]:
    if len(state) > MAX_STATE_KEYS or any(
        not isinstance(k, str) or not isinstance(v, str) or len(k) > 20 or len(v) > MAX_VALUE or not is_valid_text(v)
        or any(ord(ch) < 32 for ch in v) for k, v in state.items()
    ):
        raise ValidationFailed([FieldError("view", "the list's search and filters cannot be saved as they are")])
    return {k: v for k, v in state.items() if k not in ("page", "view", "cols")}


def _check_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or not is_valid_text(name) or any(ord(ch) < 32 for ch in name):
        raise ValidationFailed([FieldError("name", f"must be 1 to {MAX_NAME} characters on one line")])
    return name


def list_views(session: Session, actor: Actor) -> ViewLists:
    """The actor's own views and the organization's shared ones (others' first by name)."""
    rows = session.scalars(
        select(SavedView).where(SavedView.organization_id == actor.organization_id,
                                or_(SavedView.owner_user_id == (actor.user_id or ""), SavedView.shared.is_(True)))
        .order_by(SavedView.name, SavedView.id)
    ).all()
    return ViewLists([v for v in rows if v.owner_user_id == actor.user_id],
                     [v for v in rows if v.owner_user_id != actor.user_id])


def get_view(session: Session, actor: Actor, view_id: str) -> SavedView:
    """A view the actor may open (theirs or shared); anything else is NotFound."""
    view = None
    if isinstance(view_id, str) and len(view_id) <= 36:
        view = session.get(SavedView, (actor.organization_id, view_id))
    if view is None or not (view.shared or view.owner_user_id == actor.user_id):
        raise NotFound("No saved view with this id.")
    return view


def may_manage(actor: Actor, view: SavedView) -> bool:
    return view.owner_user_id == actor.user_id or (view.shared and actor.is_manager)


def _managed(session: Session, actor: Actor, view_id: str) -> SavedView:
    view = get_view(session, actor, view_id)
    if not may_manage(actor, view):
        raise PermissionDenied("Only its owner (or, for a shared view, a manager) may change this view.")
    return view


def _check_unique(session: Session, organization_id: str, owner_user_id: str, name: str,
                  view_id: str | None = None) -> None:
    clash = session.scalar(select(SavedView.id).where(
        SavedView.organization_id == organization_id, SavedView.owner_user_id == owner_user_id,
        SavedView.name == name))
    if clash is not None and clash != view_id:
        raise ValidationFailed([FieldError("name", f"a view named “{name}” already exists; choose another name")])


def create_view(session: Session, actor: Actor, name: str | None, state: Mapping[str, str],
                columns: tuple[str, ...], *, shared: bool) -> SavedView:
    """Save the list's state under a new name for the actor (and the organization when shared)."""
    if actor.user_id is None:
        raise PermissionDenied("Views belong to signed-in users.")
    name = _check_name(name)
    clean = _check_state(state)

    def work() -> SavedView:
        _check_unique(session, actor.organization_id, actor.user_id, name)
        now = utcnow()
        view = SavedView(organization_id=actor.organization_id, name=name, owner_user_id=actor.user_id,
                         owner_name=actor.name, shared=shared, state=clean, columns=list(columns),
                         created_at=now, updated_at=now)
        session.add(view)
        session.flush()
        return view

    return run_in_transaction(session, work)


def update_view(session: Session, actor: Actor, view_id: str, state: Mapping[str, str],
                columns: tuple[str, ...]) -> SavedView:
    """Replace the view's state and columns with the list's current ones."""
    clean = _check_state(state)

    def work() -> SavedView:
        view = _managed(session, actor, view_id)
        view.state, view.columns, view.updated_at = clean, list(columns), utcnow()
        session.flush()
        return view

    return run_in_transaction(session, work)


def rename_view(session: Session, actor: Actor, view_id: str, name: str | None) -> SavedView:
    name = _check_name(name)

    def work() -> SavedView:
        view = _managed(session, actor, view_id)
        _check_unique(session, view.organization_id, view.owner_user_id, name, view.id)
        view.name, view.updated_at = name, utcnow()
        session.flush()
        return view

    return run_in_transaction(session, work)


def delete_view(session: Session, actor: Actor, view_id: str) -> str:
    """Delete the view; returns its name."""

    def work() -> str:
        view = _managed(session, actor, view_id)
        name = view.name
        session.delete(view)
        session.flush()
        return name

    return run_in_transaction(session, work)


@dataclass(frozen=True)
class ColumnChoice:
    """One column in the column chooser, with the ``cols`` value of each move."""

    key: str
    label: str
    shown: bool
    toggle: str
    earlier: str | None
    later: str | None


def column_choices(columns: tuple[str, ...]) -> list[ColumnChoice]:
    """The shown columns in their order, then the hidden ones; hiding the last shown one is not offered."""
    def cols(keys) -> str:
        return ",".join(keys)

    choices = []
    for i, key in enumerate(columns):
        earlier = later = None
        if i > 0:
            earlier = cols((*columns[:i - 1], key, columns[i - 1], *columns[i + 1:]))
        if i < len(columns) - 1:
            later = cols((*columns[:i], columns[i + 1], key, *columns[i + 2:]))
        toggle = cols(k for k in columns if k != key) if len(columns) > 1 else ""
        choices.append(ColumnChoice(key, COLUMNS[key], True, toggle, earlier, later))
    for key in COLUMNS:
        if key not in columns:
            choices.append(ColumnChoice(key, COLUMNS[key], False, cols((*columns, key)), None, None))
    return choices
