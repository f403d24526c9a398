"""API token secrets: shown once, stored only as a SHA-256 hash, recognisable by prefix."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_MARK = "odk_"
PREFIX_LENGTH = len(TOKEN_MARK) + 8


def new_secret() -> str:
    return TOKEN_MARK + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def prefix_of(secret: str) -> str:
    return secret[:PREFIX_LENGTH]
