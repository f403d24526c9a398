"""Organizations, users, API tokens: creation and authentication."""

from __future__ import annotations

import functools
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.db.models import ApiToken, OrderSequence, Organization, SalesRep, User, utcnow
from app.domain import money, tokens
from app.domain.errors import FieldError, NotFound, ValidationFailed
from app.domain.identifiers import normalize_identifier
from app.domain.orders import email_problem
from app.domain.settings import OrgLists
from app.services import sessions
from app.services.context import ADMIN, ROLES, Actor

DEFAULT_TIERS = ("Wholesale", "Retail")
MIN_PASSWORD = 8
LAST_USED_RESOLUTION = timedelta(minutes=1)


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "org"


def create_organization(
    session: Session, name: str, *, tiers: list[str] | None = None, currency: str = "USD",
    locale: str = "en_US", prefix: str = "ORD-", slug: str | None = None,
) -> Organization:
    """A new organization with a unique slug and its order-number counter."""
    errors: list[FieldError] = []
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors.append(FieldError("name", "must be 1 to 200 characters"))
    tiers = [t.strip() for t in (tiers or list(DEFAULT_TIERS)) if t.strip()]
    if not tiers or len(set(tiers)) != len(tiers) or any(len(t) > 50 for t in tiers):
        errors.append(FieldError("tiers", "must be distinct names of at most 50 characters"))
    if not money.is_currency(currency):
        errors.append(FieldError("currency", f"{currency!r} is not an ISO 4217 currency code"))
    if not money.is_locale(locale):
        errors.append(FieldError("locale", f"{locale!r} is not a known locale"))
    if not prefix or len(prefix) > 12:
        errors.append(FieldError("prefix", "must be 1 to 12 characters"))
    if errors:
        raise ValidationFailed(errors)
    base = slugify(slug or name)
    candidate, n = base, 1
    while session.scalar(select(Organization.id).where(Organization.slug == candidate)):
        n += 1
        candidate = f"{base}-{n}"
    org = Organization(name=name, slug=candidate, lists=OrgLists.from_json(None, tiers=tiers).to_json(),
                       default_currency=currency, locale=locale, order_number_prefix=prefix)
    session.add(org)
    session.flush()
    session.add(OrderSequence(organization_id=org.id, last_value=0))
    session.flush()
    return org


def load_organization(session: Session, org_id: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("No such organization.")
    return org


def org_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(f"No organization with slug {slug!r}.")
    return org


def create_user(
    session: Session, org: Organization, *, email: str, password: str, role: str,
    display_name: str | None = None, rep_number: str | None = None,
    first_name: str | None = None, last_name: str | None = None,
) -> User:
    """A user with a hashed password; a rep number links (or creates) their SalesRep."""
    errors: list[FieldError] = []
    email = (email or "").strip().lower()
    if problem := email_problem(email):
        errors.append(FieldError("email", problem))
    elif session.scalar(select(User.id).where(func.lower(User.email) == email)):
        errors.append(FieldError("email", "is already used by another user"))
    if role not in ROLES:
        errors.append(FieldError("role", f"must be one of {', '.join(ROLES)}"))
    if not password or len(password) < MIN_PASSWORD:
        errors.append(FieldError("password", f"must be at least {MIN_PASSWORD} characters"))
    for name, value, limit in (("display_name", display_name, 200), ("rep_number", rep_number, 64),
                               ("first_name", first_name, 100), ("last_name", last_name, 100)):
        if value is not None and len(value) > limit:
            errors.append(FieldError(name, f"must be at most {limit} characters"))
    if rep_number:
        rep_number, problem = normalize_identifier(rep_number)
        if problem:
            errors.append(FieldError("rep_number", problem))
    if errors:
        raise ValidationFailed(errors)
    rep = ensure_rep(session, org, rep_number, first_name, last_name, email) if rep_number else None
    name = display_name or " ".join(p for p in (first_name, last_name) if p) or email
    user = User(organization_id=org.id, email=email, display_name=name,
                password_hash=generate_password_hash(password), role=role,
                sales_rep_id=rep.id if rep else None)
    session.add(user)
    session.flush()
    return user


def ensure_rep(session: Session, org: Organization, rep_number: str, first_name: str | None = None,
               last_name: str | None = None, email: str | None = None) -> SalesRep:
    """The organization's SalesRep with this number, created if it does not exist."""
    rep = session.scalar(select(SalesRep).where(
        SalesRep.organization_id == org.id, SalesRep.rep_number == rep_number))
    if rep is None:
        rep = SalesRep(organization_id=org.id, rep_number=rep_number, first_name=first_name,
                       last_name=last_name, email=email)
        session.add(rep)
        session.flush()
    return rep


def check_password(user: User, password: str) -> bool:
    return bool(password) and check_password_hash(user.password_hash, password)


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def password_matches(user: User | None, password: str) -> bool:
    """Whether ``password`` is the user's. With no user, a dummy hash of the same kind is
    checked, so the answer takes as long either way and its timing does not tell which
    emails have accounts."""
    if user is None:
        check_password_hash(_dummy_hash(), password or "-")
        return False
    return check_password(user, password or "")


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; every session the user had is ended."""
    if not password or len(password) < MIN_PASSWORD:
        raise ValidationFailed([FieldError("password", f"must be at least {MIN_PASSWORD} characters")])
    user.password_hash = generate_password_hash(password)
    sessions.end_all(session, user)
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate (ending every session, everywhere) or reactivate a user."""
    user.active = active
    if not active:
        sessions.end_all(session, user)
    session.flush()


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


TOKEN_SCOPES = {"read": "Read only (GET)", "write": "Read and write"}


def create_token(session: Session, org: Organization, name: str, *, scope: str = "write",
                 expires_at: datetime | None = None, created_by: str | None = None) -> IssuedToken:
    """A new API token; the secret is returned once and only its hash is stored. A
    ``read`` token may only read; ``expires_at`` (optional) ends it."""
    errors: list[FieldError] = []
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors.append(FieldError("name", "must be 1 to 100 characters"))
    if scope not in TOKEN_SCOPES:
        errors.append(FieldError("scope", f"must be one of {', '.join(TOKEN_SCOPES)}"))
    if expires_at is not None and expires_at <= utcnow():
        errors.append(FieldError("expires", "must be in the future"))
    if errors:
        raise ValidationFailed(errors)
    secret = tokens.new_secret()
    token = ApiToken(organization_id=org.id, name=name, prefix=tokens.prefix_of(secret),
                     secret_hash=tokens.hash_secret(secret), scope=scope, expires_at=expires_at,
                     created_by=(created_by or "")[:200] or None)
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def authenticate_token(session: Session, secret: str, address: str | None = None) -> ApiToken | None:
    """The live token for ``secret`` (recording when and from where it was used), or
    None if unknown, revoked or expired."""
    if not secret or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.secret_hash == tokens.hash_secret(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    # Recorded to the minute: a busy integration does not pay a commit per request.
    address = (address or "")[:64] or None
    if (token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION
            or token.last_used_address != address):
        token.last_used_at = now
        token.last_used_address = address
        session.commit()
    return token


def revoke_token(session: Session, org: Organization, token_id: str) -> ApiToken:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.organization_id == org.id))
    if token is None:
        raise NotFound("No such token.")
    token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return token


def organization_tokens(session: Session, org_id: str) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.organization_id == org_id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())))


def actor_for_token(token: ApiToken) -> Actor:
    return Actor(organization_id=token.organization_id, name=f"API token “{token.name}”",
                 role=ADMIN, token_id=token.id, read_only=token.scope == "read")


def actor_for_user(user: User) -> Actor:
    reps = (user.sales_rep.rep_number,) if user.sales_rep else ()
    return Actor(organization_id=user.organization_id, name=user.display_name, role=user.role,
                 user_id=user.id, rep_numbers=reps)
