"""Orderdesk application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import ROOT, load_ops_settings, load_settings, production_problems


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=True,
    )
    app.config.from_mapping(load_settings().as_flask_config(app.instance_path))
    app.config.from_mapping(load_ops_settings().as_flask_config())
    if test_config:
        app.config.update(test_config)
    refuse_unsafe_production(app)
    os.makedirs(app.instance_path, exist_ok=True)

    register_json(app)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_security(app)
    register_cli(app)
    register_ops(app)
    return app


def refuse_unsafe_production(app: Flask) -> None:
    """In production (``ORDERDESK_ENV=production``) refuse to start without a shared
    SECRET_KEY, or on SQLite unless ALLOW_SQLITE says so."""
    problems = [] if app.testing else production_problems()
    if problems:
        raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


def register_ops(app: Flask) -> None:
    from app import ops

    ops.init_app(app)


def register_json(app: Flask) -> None:
    from app.jsonutil import DecimalJSONProvider

    app.json_provider_class = DecimalJSONProvider
    app.json = DecimalJSONProvider(app)


def register_extensions(app: Flask) -> None:
    from app.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app.api import bp as api_bp
    from app.mail.web import bp as mail_bp
    from app.web import bp as web_bp
    from app.web.admin import bp as admin_bp
    from app.web.builder import bp as builder_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(builder_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(admin_bp)


def register_errors(app: Flask) -> None:
    from app.errors import register_error_handlers

    register_error_handlers(app)


def register_security(app: Flask) -> None:
    from app.security import register_security_headers

    register_security_headers(app)


def register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # pragma: no cover - trivial
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL with synchronous=NORMAL: no corruption risk, fsync at checkpoints instead of every commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
