"""Operator commands: ``flask --app app orgs|users|tokens|demo …``.

Bad arguments print one line and exit non-zero; no traceback reaches the operator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.domain.errors import DomainError, ValidationFailed


def _fail(message: str) -> None:
    raise click.ClickException(message)


def operator_command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain and database errors into a one-line message and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from app.extensions import db

        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            db.session.rollback()
            _fail("; ".join(f"{e.field} {e.message}" for e in exc.errors))
        except DomainError as exc:
            db.session.rollback()
            _fail(exc.detail)
        except (OperationalError, ProgrammingError) as exc:
            db.session.rollback()
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            _fail(f"database error: {first} (did you run `flask --app app db upgrade`?)")

    return wrapper


orgs = AppGroup("orgs", help="Manage organizations.")
users = AppGroup("users", help="Manage users.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")
outbox_cli = AppGroup("outbox", help="Deliver queued emails.")


@orgs.command("create")
@click.argument("name")
@click.option("--tiers", default="Wholesale,Retail", show_default=True, help="Comma-separated price tiers.")
@click.option("--currency", default="USD", show_default=True)
@click.option("--locale", default="en_US", show_default=True)
@click.option("--prefix", default="ORD-", show_default=True, help="Order-number prefix.")
@operator_command
def orgs_create(name: str, tiers: str, currency: str, locale: str, prefix: str) -> None:
    """Create an organization; prints its slug as the last line."""
    from app.extensions import db
    from app.services import accounts

    org = accounts.create_organization(
        db.session, name, tiers=tiers.split(","), currency=currency.upper(), locale=locale, prefix=prefix,
    )
    db.session.commit()
    click.echo(f"Created organization {org.name!r} (tiers: {', '.join(org.price_tiers)}; currency {org.default_currency})")
    click.echo(org.slug)


@users.command("create")
@click.option("--org", "org_slug", required=True, help="Organization slug.")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(["rep", "manager", "admin"]))
@click.option("--rep-number", default=None, help="Link the user to this sales rep (created if new).")
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
@operator_command
def users_create(org_slug: str, email: str, password: str, role: str, rep_number: str | None,
                 first_name: str | None, last_name: str | None) -> None:
    """Create a user who signs in with email and password."""
    from app.extensions import db
    from app.services import accounts

    org = accounts.org_by_slug(db.session, org_slug)
    user = accounts.create_user(db.session, org, email=email, password=password, role=role,
                                rep_number=rep_number, first_name=first_name, last_name=last_name)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} in {org.slug}")


@users.command("set-password")
@click.option("--email", required=True)
@click.option("--password", required=True)
@operator_command
def users_set_password(email: str, password: str) -> None:
    """Give a user a new password; every session they had ends."""
    from app.extensions import db
    from app.services import accounts

    user = _user(email)
    accounts.set_password(db.session, user, password)
    db.session.commit()
    click.echo(f"New password set for {user.email}; their sessions were ended")


@users.command("deactivate")
@click.option("--email", required=True)
@operator_command
def users_deactivate(email: str) -> None:
    """Stop a user from signing in; they are signed out everywhere on their next request."""
    _set_active(email, False)


@users.command("activate")
@click.option("--email", required=True)
@operator_command
def users_activate(email: str) -> None:
    """Let a deactivated user sign in again."""
    _set_active(email, True)


def _set_active(email: str, active: bool) -> None:
    from app.extensions import db
    from app.services import accounts

    user = _user(email)
    accounts.set_active(db.session, user, active)
    db.session.commit()
    click.echo(f"Activated {user.email}" if active else f"Deactivated {user.email}; their sessions were ended")


def _user(email: str):
    from app.domain.errors import NotFound
    from app.extensions import db
    from app.services import accounts

    user = accounts.user_by_email(db.session, email)
    if user is None:
        raise NotFound(f"No user with email {email!r}.")
    return user


@tokens_cli.command("create")
@click.option("--org", "org_slug", required=True, help="Organization slug.")
@click.option("--name", required=True, help="What the token is for, e.g. 'ERP sync'.")
@operator_command
def tokens_create(org_slug: str, name: str) -> None:
    """Create an API token; prints the secret (shown only once) as the last line."""
    from app.extensions import db
    from app.services import accounts

    org = accounts.org_by_slug(db.session, org_slug)
    issued = accounts.create_token(db.session, org, name)
    db.session.commit()
    click.echo(f"Created token {issued.token.name!r} ({issued.token.prefix}…) for {org.slug}; store the secret now:")
    click.echo(issued.secret)


@outbox_cli.command("deliver")
@click.option("--batch", default=100, show_default=True, help="Emails claimed per round.")
@operator_command
def outbox_deliver(batch: int) -> None:
    """Deliver every due email (safe to run in several processes at once)."""
    from flask import current_app

    from app.extensions import db
    from app.mail import outbox
    from app.mail.smtp import SmtpSettings

    settings = SmtpSettings.from_config(current_app.config)
    if not settings.configured:
        _fail("SMTP_HOST is not set: emails stay in the outbox until an SMTP server is configured.")
    results = outbox.deliver_due(db.session, settings, limit=max(1, batch))
    sent = sum(1 for r in results if r.status == outbox.SENT)
    click.echo(f"Delivered {sent} of {len(results)} due email(s).")
    for result in results:
        if result.status != outbox.SENT:
            click.echo(f"  {result.email_id}: {result.status} ({result.error})")


@click.command("demo")
@operator_command
def demo_command() -> None:
    """Fill (or refresh) the demo organization; safe to run again."""
    from app.extensions import db
    from app.services import demo

    result = demo.run(db.session)
    click.echo(f"Demo organization {result.organization.name!r} (slug {result.organization.slug}): {result.orders} orders.")
    click.echo("Sign in with any of these (password: " + demo.PASSWORD + "):")
    for email, role, _ in demo.USERS:
        click.echo(f"  {role:8} {email}")
    click.echo(f"API token (Authorization: Bearer …): {result.token_secret}")


def register(app: Flask) -> None:
    app.cli.add_command(orgs)
    app.cli.add_command(users)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(demo_command)
