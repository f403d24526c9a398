"""An admin manages the organization's people: users with their roles and rep numbers,
and the sales reps that exist only on imported orders. The last active admin can be
neither demoted nor deactivated, so an organization never locks itself out. Every
change is written to the audit log (passwords never)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import SalesRep, User
from app.domain.errors import FieldError, NotFound, ValidationFailed
from app.domain.identifiers import normalize_identifier
from app.services import accounts, audit
from app.services.context import ADMIN, REP, ROLES, Actor
from app.services.org_settings import require_admin


@dataclass(frozen=True)
class RepRow:
    rep: SalesRep
    orders: int


def organization_users(session: Session, org_id: str) -> list[User]:
    return list(session.scalars(select(User).where(User.organization_id == org_id)
                                .order_by(User.active.desc(), func.lower(User.display_name))))


def reps_without_users(session: Session, org_id: str) -> list[SalesRep]:
    """Sales reps that no user is linked to (they came with imported orders)."""
    linked = select(User.sales_rep_id).where(User.organization_id == org_id, User.sales_rep_id.is_not(None))
    return list(session.scalars(select(SalesRep).where(SalesRep.organization_id == org_id,
                                                       SalesRep.id.not_in(linked)).order_by(SalesRep.rep_number)))


def _user(session: Session, actor: Actor, user_id: str) -> User:
    user = session.scalar(select(User).where(User.id == user_id, User.organization_id == actor.organization_id))
    if user is None:
        raise NotFound("No such user.")
    return user


def _state(user: User) -> dict:
    return {"role": user.role, "active": user.active, "rep": user.sales_rep.rep_number if user.sales_rep else None,
            "name": user.display_name, "must_change_password": user.must_change_password}


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.organization_id == user.organization_id, User.role == ADMIN, User.active.is_(True),
        User.id != user.id)) or 0


def _guard_last_admin(session: Session, user: User, what: str) -> None:
    if user.role == ADMIN and user.active and _other_active_admins(session, user) == 0:
        raise ValidationFailed([FieldError("role", f"{user.display_name} is the last active admin and cannot be"
                                                   f" {what}; make someone else an admin first")])


def create(session: Session, actor: Actor, *, email: str, name: str, role: str, password: str,
           rep_number: str | None = None) -> User:
    """A new user who must choose their own password at first sign-in."""
    require_admin(actor)
    org = accounts.load_organization(session, actor.organization_id)
    if role == REP and not (rep_number or "").strip():
        raise ValidationFailed([FieldError("rep_number", "is required for a rep")])
    user = accounts.create_user(session, org, email=email, password=password, role=role,
                                display_name=(name or "").strip() or None,
                                rep_number=(rep_number or "").strip() or None)
    user.must_change_password = True
    audit.record(session, actor, "users.create", user.email, {"role": [None, role], "rep": [None, rep_number or None],
                                                               "name": [None, user.display_name]})
    session.commit()
    return user


def change_role(session: Session, actor: Actor, user_id: str, role: str) -> User:
    require_admin(actor)
    user = _user(session, actor, user_id)
    if role not in ROLES:
        raise ValidationFailed([FieldError("role", f"must be one of {', '.join(ROLES)}")])
    if role != user.role:
        if role != ADMIN:
            _guard_last_admin(session, user, "demoted")
        if role == REP and user.sales_rep is None:
            raise ValidationFailed([FieldError("role", "link a rep number to this user before making them a rep")])
        before = _state(user)
        user.role = role
        audit.record(session, actor, "users.role", user.email, audit.diff(before, _state(user)))
    session.commit()
    return user


def set_active(session: Session, actor: Actor, user_id: str, active: bool) -> User:
    """Deactivating signs the user out everywhere on their next request."""
    require_admin(actor)
    user = _user(session, actor, user_id)
    if not active:
        _guard_last_admin(session, user, "deactivated")
    if user.active != active:
        before = _state(user)
        accounts.set_active(session, user, active)
        audit.record(session, actor, "users.activate" if active else "users.deactivate", user.email,
                     audit.diff(before, _state(user)))
    session.commit()
    return user


def reset_password(session: Session, actor: Actor, user_id: str, password: str) -> User:
    """A password the admin hands over; the user must change it at next sign-in."""
    require_admin(actor)
    user = _user(session, actor, user_id)
    accounts.set_password(session, user, password)
    user.must_change_password = True
    audit.record(session, actor, "users.password", user.email, {"password": ["(hidden)", "(changed)"]})
    session.commit()
    return user


def link_rep(session: Session, actor: Actor, user_id: str, rep_number: str) -> User:
    """Link the user to a sales rep (an existing one, such as a rep known only from
    imported orders, or a new one), so they see that rep's orders."""
    require_admin(actor)
    user = _user(session, actor, user_id)
    number, problem = normalize_identifier(rep_number or "")
    if problem or not number:
        raise ValidationFailed([FieldError("rep_number", problem or "is required")])
    taken = session.scalar(select(User).join(SalesRep, SalesRep.id == User.sales_rep_id).where(
        User.organization_id == actor.organization_id, SalesRep.rep_number == number, User.id != user.id))
    if taken is not None:
        raise ValidationFailed([FieldError("rep_number", f"{number} is already linked to {taken.display_name}")])
    before = _state(user)
    org = accounts.load_organization(session, actor.organization_id)
    rep = accounts.ensure_rep(session, org, number)
    user.sales_rep_id = rep.id
    session.flush()
    session.refresh(user)
    audit.record(session, actor, "users.rep", user.email, audit.diff(before, _state(user)))
    session.commit()
    return user


def change_own_password(session: Session, user: User, current: str, new: str, confirm: str) -> None:
    """The signed-in user's new password. Every session of theirs ends (set_password),
    and the caller starts a new one for the browser that made the change."""
    errors: list[FieldError] = []
    if not accounts.password_matches(user, current):
        errors.append(FieldError("current", "is not your current password"))
    if new != confirm:
        errors.append(FieldError("confirm", "does not match the new password"))
    if new and new == current:
        errors.append(FieldError("new", "must differ from the current password"))
    if len(new or "") < accounts.MIN_PASSWORD:
        errors.append(FieldError("new", f"must be at least {accounts.MIN_PASSWORD} characters"))
    if errors:
        raise ValidationFailed(errors)
    accounts.set_password(session, user, new)
    user.must_change_password = False
    audit.record(session, accounts.actor_for_user(user), "profile.password", user.email,
                 {"password": ["(hidden)", "(changed)"]})
    session.flush()
