"""Transactions with retry: a unique-key race or a serialization failure on
PostgreSQL (or a busy SQLite file) rolls back and runs the unit of work again."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import TypeVar

from sqlalchemy import bindparam
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.domain.errors import Conflict

T = TypeVar("T")
RETRYABLE_SQLSTATES = {"40001", "40P01", "23505", "55P03"}
ATTEMPTS = 8


def _retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in RETRYABLE_SQLSTATES:
        return True
    if isinstance(exc, OperationalError) and "locked" in str(orig).lower():
        return True
    return isinstance(exc, IntegrityError) and "UNIQUE constraint failed" in str(orig)


def run_in_transaction(session: Session, work: Callable[[], T]) -> T:
    """Run ``work`` and commit; on a retryable database conflict roll back and retry.

    ``work`` must do all of its reading inside, so that a retry sees fresh data."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as exc:
            session.rollback()
            if not _retryable(exc) or attempt == ATTEMPTS:
                if _retryable(exc):
                    raise Conflict(
                        "The data changed while this request was being applied; please retry."
                    ) from exc
                raise
            time.sleep(random.uniform(0.005, 0.03) * attempt)
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable")


def dialect_insert(session: Session):
    """The session's database's own ``insert`` (with ``on_conflict_…`` and ``excluded``):
    PostgreSQL's, else SQLite's."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def insert_ignoring_duplicates(session: Session, table, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    if rows:
        session.execute(dialect_insert(session)(table).on_conflict_do_nothing(), rows)


def upsert_adding(session: Session, table, keys: Sequence[str], rows: list[dict], *,
                  add: Sequence[str], replace: Sequence[str] = ()) -> None:
    """INSERT ``rows``; where a row with the same ``keys`` is stored, add the new
    values of the ``add`` columns to its own and take those of ``replace``."""
    if not rows:
        return
    stmt = dialect_insert(session)(table)
    updates = {c: table.c[c] + stmt.excluded[c] for c in add}
    updates.update({c: stmt.excluded[c] for c in replace})
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c[k] for k in keys], set_=updates), rows)


def bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """``rows`` written straight through the driver (executemany on SQLite, COPY on
    PostgreSQL), with each column's own bind processor applied: the column types still
    decide how values are stored, without SQLAlchemy's per-row statement machinery (the
    import's hot path). Values are
    gathered and processed a column at a time, so a column without a processor costs
    no Python call per value."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    keys = list(rows[0])
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(k) for k in keys)}) "
        f"VALUES ({', '.join([mark] * len(keys))})"
    )
    columns = []
    for k in keys:
        values = map(itemgetter(k), rows)
        proc = table.c[k].type._cached_bind_processor(dialect)
        columns.append(list(values if proc is None else map(proc, values)))
    values = zip(*columns, strict=True)
    if dialect.name == "postgresql":
        _copy(conn, f"COPY {quote(table.name)} ({', '.join(quote(k) for k in keys)}) FROM STDIN", values)
    else:
        conn.exec_driver_sql(sql, list(values))


def _copy(conn, sql: str, rows) -> None:
    """PostgreSQL's COPY … FROM STDIN of ``rows`` in the connection's transaction: the
    server parses each row without a statement per row. A failure is raised as
    SQLAlchemy's own error (an IntegrityError for a duplicate key), like an INSERT's."""
    import psycopg

    driver = conn.connection.driver_connection
    try:
        with driver.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc


def in_list(column, values):
    """``column IN (…)`` with the values rendered into the SQL text. Large key lists
    (an import's thousand externalIds) then always plan as constants on PostgreSQL —
    hashed or index-probed — even once the driver prepares the statement."""
    return column.in_(bindparam(f"{column.key}_in", value=list(values), expanding=True, literal_execute=True))
