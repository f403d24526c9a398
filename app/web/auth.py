"""Sign-in and sign-out with Flask-Login over server-side sessions, throttling of repeated failures, and the
helpers every page uses to know who is acting (``current_actor``, ``role_required``)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from app.db.models import User, utcnow
from app.domain.errors import PermissionDenied, ValidationFailed
from app.extensions import db, login_manager
from app.security import client_address
from app.services import accounts, login_throttle, sessions, users
from app.services.context import Actor
from app.web import bp

log = logging.getLogger("orderdesk.auth")
DEVICE_COOKIE = "known_device"
DEVICE_DAYS = 365
MAX_DEVICE_ACCOUNTS = 5

login_manager.login_view = "web.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
# "basic": a session used from another address or browser is marked non-fresh.
login_manager.session_protection = "basic"


def lifetimes() -> sessions.Lifetimes:
    return sessions.Lifetimes(idle=current_app.config["SESSION_IDLE"],
                              remember=current_app.config["REMEMBER_COOKIE_DURATION"])


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The user of a live server-side session (the session or remember-me cookie carries
    its token); a revoked, expired or deactivated one signs the browser out."""
    return sessions.resolve(db.session, token, lifetimes())


def current_actor() -> Actor:
    """The signed-in user as the services' Actor (organization, role, rep numbers)."""
    return accounts.actor_for_user(current_user)


def role_required(*roles: str) -> Callable:
    """Only signed-in users with one of ``roles`` (all roles when none given)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.must_change_password:
                return redirect(url_for("web.profile_password", next=request.full_path.rstrip("?")))
            if roles and current_user.role not in roles:
                raise PermissionDenied("Your role does not allow this page.")
            return view(*args, **kwargs)

        return wrapper

    return decorate


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)],
                       filters=[lambda value: value.strip() if isinstance(value, str) else value])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])
    remember = BooleanField("Keep me signed in on this device")


def safe_next(target: str | None) -> str:
    """Only a local path: no scheme, no host, no protocol-relative or backslash tricks.
    Without one, the start page for the user's role."""
    if not target:
        return start_page()
    target = target.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return start_page()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return start_page()
    return target


def start_page() -> str:
    """Managers and admins start on the dashboard; reps on their orders list."""
    if current_user.is_authenticated and current_user.role in ("manager", "admin"):
        return url_for("web.dashboard")
    return url_for("web.orders")


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _device() -> dict:
    """This browser's signed device cookie: a random id and the accounts it signed in to."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if raw:
        try:
            value = _device_serializer().loads(raw)
            if isinstance(value, dict) and isinstance(value.get("id"), str) and isinstance(value.get("users"), list):
                return value
        except BadSignature:
            pass
    return {"id": secrets.token_urlsafe(16), "users": []}


def _remember_device(response, device: dict, user: User) -> None:
    users = [user.id, *(u for u in device["users"] if u != user.id)][:MAX_DEVICE_ACCOUNTS]
    response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps({"id": device["id"], "users": users}),
                        max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


def _wait_message(until) -> str:
    seconds = max(1, int((until - utcnow()).total_seconds() + 0.999))
    wait = f"{seconds} second{'s' if seconds != 1 else ''}" if seconds < 90 else f"about {round(seconds / 60)} minutes"
    return (f"Too many failed sign-ins for this account or network. Try again in {wait}; "
            "from a device you have signed in with before, the right password still works.")


def _start_session(user: User, *, remember: bool, address: str) -> None:
    """A fresh session for ``user`` in this browser: nothing from before carries over."""
    session.clear()
    sessions.start(db.session, user, remember=remember, lifetimes=lifetimes(), address=address)
    db.session.commit()
    login_user(user, remember=remember, duration=current_app.config["REMEMBER_COOKIE_DURATION"])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=500)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=500)])
    confirm = PasswordField("New password again", validators=[DataRequired(), Length(max=500)])


@bp.route("/profile/password", methods=["GET", "POST"])
def profile_password():
    """Change one's own password (required after an admin set it). Every other session
    of the user ends; this browser stays signed in with a new one."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            users.change_own_password(db.session, user, form.current.data, form.new.data, form.confirm.data)
        except ValidationFailed as exc:
            db.session.rollback()
            for error in exc.errors:
                getattr(form, error.field).errors = [*getattr(form, error.field).errors, error.message]
            status = 422
        else:
            _start_session(user, remember=False, address=client_address())
            flash("Your password was changed; any other sessions of yours were signed out.", "success")
            return redirect(safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    return render_template("auth/password.html", form=form,
                           required=current_user.must_change_password), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        address = client_address()
        user = accounts.user_by_email(db.session, email)
        device = _device()
        known = user is not None and user.id in device["users"]
        keys = login_throttle.Keys.of(email, address, device["id"] if known else None)
        decision = login_throttle.decide(db.session, keys)
        if not decision.allowed:
            log.warning("sign-in throttled: %s failures on %s; email=%s address=%s known_device=%s until=%s",
                        decision.failures, decision.key, email, address, known, decision.wait_until.isoformat())
            error, status = _wait_message(decision.wait_until), 429
        elif accounts.password_matches(user, form.password.data) and user.active:
            login_throttle.clear(db.session, keys)
            user.last_sign_in_at = utcnow()
            _start_session(user, remember=bool(form.remember.data), address=address)
            log.info("sign-in: email=%s address=%s known_device=%s", email, address, known)
            response = redirect(safe_next(request.args.get("next")))
            _remember_device(response, device, user)
            return response
        else:
            login_throttle.record_failure(db.session, keys)
            db.session.commit()
            log.info("sign-in failed: email=%s address=%s known_device=%s", email, address, known)
            error = "That email and password do not match an active account."
            status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out: the server-side session ends, so copies of its cookies stop working too."""
    if current_user.is_authenticated:
        sessions.end(db.session, current_user.session_token)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("web.login"))
