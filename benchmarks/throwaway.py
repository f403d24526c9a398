"""The database a benchmark works in: with DATABASE_URL pointing at PostgreSQL, a
fresh database created on that server and dropped afterwards; otherwise a SQLite file
in a temporary folder."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def throwaway_database(url: str | None = None) -> Iterator[str]:
    """``url`` (else DATABASE_URL) names the PostgreSQL server to create it on."""
    url = url or os.environ.get("DATABASE_URL")
    if not (url and url.startswith("postgres")):
        with tempfile.TemporaryDirectory(prefix="orderdesk-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    from app.config import normalise_database_url

    admin_url = normalise_database_url(url)
    name = f"orderdesk_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
