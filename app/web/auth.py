"""Sign-in and sign-out with Flask-Login, throttling of repeated failures, and the
helpers every page uses to know who is acting (``current_actor``, ``role_required``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from app.db.models import LoginFailure, User, utcnow
from app.domain.errors import PermissionDenied
from app.extensions import db, login_manager
from app.services import accounts
from app.services.context import Actor
from app.web import bp

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20

login_manager.login_view = "web.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
# "basic": a session used from another address or browser is marked non-fresh.
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


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
    """Only a local path: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return url_for("web.orders")
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.orders")
    return target


def _keys(email: str) -> tuple[str, str]:
    return f"account:{email.strip().lower()}", f"address:{request.remote_addr or 'unknown'}"


def throttled_until(email: str):
    """When the account or the client address may try again, or None if not throttled."""
    since = utcnow() - WINDOW
    account, address = _keys(email)
    for key, limit in ((account, MAX_PER_ACCOUNT), (address, MAX_PER_ADDRESS)):
        rows = db.session.execute(
            select(func.count(), func.min(LoginFailure.failed_at)).where(
                LoginFailure.key == key, LoginFailure.failed_at >= since)
        ).one()
        if rows[0] >= limit:
            return rows[1] + WINDOW
    return None


def record_failure(email: str) -> None:
    now = utcnow()
    for key in _keys(email):
        db.session.add(LoginFailure(key=key, failed_at=now))
    db.session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - WINDOW * 4))
    db.session.commit()


def clear_failures(email: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == _keys(email)[0]))
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        until = throttled_until(email)
        if until is not None:
            minutes = max(1, round((until - utcnow()).total_seconds() / 60))
            error = (f"Too many failed sign-ins for this account or network. "
                     f"Try again in about {minutes} minute{'s' if minutes != 1 else ''}.")
            status = 429
        else:
            user = accounts.user_by_email(db.session, email)
            if user is not None and user.active and accounts.check_password(user, form.password.data):
                clear_failures(email)
                login_user(user, remember=form.remember.data)
                return redirect(safe_next(request.args.get("next")))
            record_failure(email)
            error = "That email and password do not match an active account."
            status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("web.login"))
