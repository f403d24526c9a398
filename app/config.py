"""The one module that reads the environment.

Every setting the application uses is listed here with its default; nothing else
calls ``os.environ``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    secret_key: str
    max_content_length: int
    smtp_host: str | None
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    smtp_ssl: bool
    smtp_timeout: int
    mail_from: str
    session_cookie_secure: bool
    remember_days: int
    session_idle_hours: int
    trusted_proxies: tuple[str, ...]

    def as_flask_config(self, instance_path: str) -> dict:
        url = self.database_url or f"sqlite:///{Path(instance_path) / 'orderdesk.sqlite3'}"
        return {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "SECRET_KEY": self.secret_key,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": self.smtp_port,
            "SMTP_USERNAME": self.smtp_username,
            "SMTP_PASSWORD": self.smtp_password,
            "SMTP_STARTTLS": self.smtp_starttls,
            "SMTP_SSL": self.smtp_ssl,
            "SMTP_TIMEOUT": self.smtp_timeout,
            "MAIL_FROM": self.mail_from,
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "REMEMBER_COOKIE_DURATION": timedelta(days=self.remember_days),
            "SESSION_IDLE": timedelta(hours=self.session_idle_hours),
            "TRUSTED_PROXIES": self.trusted_proxies,
            # A broken pooled connection (database restarted, idle connection closed by a
            # proxy) is noticed and replaced before a request uses it.
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        }


def normalise_database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_settings() -> Settings:
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or None,
        # Without SECRET_KEY a random key is used: sessions then last one process only.
        secret_key=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        max_content_length=env_int("MAX_CONTENT_LENGTH", 5 * 1024 * 1024),
        smtp_host=os.environ.get("SMTP_HOST") or None,
        smtp_port=env_int("SMTP_PORT", 25),
        smtp_username=os.environ.get("SMTP_USERNAME") or None,
        smtp_password=os.environ.get("SMTP_PASSWORD") or None,
        smtp_starttls=env_bool("SMTP_STARTTLS", False),
        smtp_ssl=env_bool("SMTP_SSL", False),
        smtp_timeout=env_int("SMTP_TIMEOUT", 10),
        mail_from=os.environ.get("MAIL_FROM") or "orders@orderdesk.localhost",
        session_cookie_secure=env_bool("SESSION_COOKIE_SECURE", False),
        # "Keep me signed in" lasts this many days; a session without it ends after this
        # many hours without a request.
        remember_days=env_int("REMEMBER_COOKIE_DAYS", 14),
        session_idle_hours=env_int("SESSION_IDLE_HOURS", 12),
        # Addresses or networks of the proxies in front of the app (comma-separated);
        # X-Forwarded-For is honoured only when the request comes from one of them.
        trusted_proxies=tuple(p.strip() for p in (os.environ.get("TRUSTED_PROXIES") or "").split(",") if p.strip()),
    )


# --------------------------------------------------------------------------- operations
# Serving, logging, metrics, workers and rate limits: read here like every setting,
# kept apart from ``Settings`` so each group stays short.

PRODUCTION = "production"


@dataclass(frozen=True)
class OpsSettings:
    environment: str
    secret_key_set: bool
    allow_sqlite: bool
    log_format: str
    log_level: str
    metrics_token: str | None
    api_rate_limit: str
    mail_delivery: str
    outbox_lease_seconds: int
    job_lease_seconds: int
    readyz_outbox_stuck_seconds: int
    database_replica_url: str | None

    def as_flask_config(self) -> dict:
        return {
            "ORDERDESK_ENV": self.environment,
            "LOG_FORMAT": self.log_format,
            "LOG_LEVEL": self.log_level,
            "METRICS_TOKEN": self.metrics_token,
            "API_RATE_LIMIT": self.api_rate_limit,
            "MAIL_DELIVERY": self.mail_delivery,
            "OUTBOX_LEASE_SECONDS": self.outbox_lease_seconds,
            "JOB_LEASE_SECONDS": self.job_lease_seconds,
            "READYZ_OUTBOX_STUCK_SECONDS": self.readyz_outbox_stuck_seconds,
            "DATABASE_REPLICA_URL": self.database_replica_url,
        }


def load_ops_settings() -> OpsSettings:
    environment = (os.environ.get("ORDERDESK_ENV") or "development").strip().lower()
    return OpsSettings(
        environment=environment,
        secret_key_set=bool(os.environ.get("SECRET_KEY")),
        allow_sqlite=env_bool("ALLOW_SQLITE", False),
        log_format=(os.environ.get("LOG_FORMAT") or ("json" if environment == PRODUCTION else "text")).lower(),
        log_level=(os.environ.get("LOG_LEVEL") or "INFO").upper(),
        metrics_token=os.environ.get("METRICS_TOKEN") or None,
        api_rate_limit=os.environ.get("API_RATE_LIMIT") or "1200/minute",
        mail_delivery=(os.environ.get("MAIL_DELIVERY") or "inline").lower(),
        outbox_lease_seconds=env_int("OUTBOX_LEASE_SECONDS", 300),
        job_lease_seconds=env_int("JOB_LEASE_SECONDS", 60),
        readyz_outbox_stuck_seconds=env_int("READYZ_OUTBOX_STUCK_SECONDS", 900),
        database_replica_url=os.environ.get("DATABASE_REPLICA_URL") or None,
    )


def production_problems() -> list[str]:
    """Why this environment must not serve production traffic (empty when it may).
    Checked by gunicorn's master before it forks and by ``create_app`` in production."""
    ops = load_ops_settings()
    if ops.environment != PRODUCTION:
        return []
    problems = []
    if not ops.secret_key_set:
        problems.append("SECRET_KEY is not set: every process would sign sessions with its own random key")
    url = os.environ.get("DATABASE_URL") or ""
    if not url.startswith("postgres") and not ops.allow_sqlite:
        problems.append("DATABASE_URL is not PostgreSQL: SQLite serves one host only "
                        "(set ALLOW_SQLITE=true to run a single-host installation on it anyway)")
    if ops.mail_delivery not in ("inline", "worker"):
        problems.append("MAIL_DELIVERY must be 'inline' or 'worker'")
    return problems
