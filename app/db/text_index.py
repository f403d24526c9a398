"""Text search indexes that live beside the tables they index.

SQLite: FTS5 tables with the trigram tokenizer, written by triggers on the same
statements that write the orders and their lines, so they are never out of step:

- ``orders_fts`` holds the orders' text fields, its rowid is the order's rowid;
- ``order_lines_fts`` indexes ``order_lines.sku`` (external content: the line's id is
  its rowid).

A trigram index finds a superset of a case-insensitive substring match (it folds
non-ASCII case too, which SQLite's LIKE does not), so the search keeps the exact test
on the candidates it finds; text shorter than a trigram cannot use it.

PostgreSQL: one GIN trigram index over the five fields ``q`` searches, joined by a
separator no search text holds, so ``q`` is one indexed condition instead of an OR of
five."""

from __future__ import annotations

ORDERS_FTS = "orders_fts"
LINES_FTS = "order_lines_fts"
FTS_TABLES = (ORDERS_FTS, LINES_FTS)

# Text columns of ``orders`` with a ``contains`` / ``startsWith`` filter or searched by ``q``.
ORDER_TEXT_COLUMNS = (
    "order_number", "order_status", "order_type", "channel", "po_number", "price_tier",
    "currency_code", "terms", "external_id", "customer_number", "company_name",
    "primary_rep_number", "taken_by_rep_number",
)
Q_COLUMNS = ("order_number", "po_number", "company_name", "customer_number", "external_id")
# The unit separator: a control character, which search text never holds.
SEPARATOR = "\x1f"
PG_Q_INDEX = "ix_orders_q_trgm"


def pg_q_expression(prefix: str = "") -> str:
    """The indexed expression (SQL), each field's NULL read as empty."""
    return " || chr(31) || ".join(f"coalesce({prefix}{c}, '')" for c in Q_COLUMNS)


def is_fts_table(name: str) -> bool:
    """The FTS tables and their shadow tables (``orders_fts_data`` …)."""
    return any(name == t or name.startswith(t + "_") for t in FTS_TABLES)


def sqlite_statements() -> list[str]:
    cols = ", ".join(ORDER_TEXT_COLUMNS)
    new = ", ".join(f"new.{c}" for c in ORDER_TEXT_COLUMNS)
    return [
        f"CREATE VIRTUAL TABLE {ORDERS_FTS} USING fts5({cols}, tokenize='trigram', detail='full')",
        f"INSERT INTO {ORDERS_FTS} (rowid, {cols}) SELECT rowid, {cols} FROM orders",
        f"CREATE TRIGGER {ORDERS_FTS}_insert AFTER INSERT ON orders BEGIN "
        f"INSERT INTO {ORDERS_FTS} (rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER {ORDERS_FTS}_update AFTER UPDATE OF {cols} ON orders BEGIN "
        f"DELETE FROM {ORDERS_FTS} WHERE rowid = old.rowid; "
        f"INSERT INTO {ORDERS_FTS} (rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER {ORDERS_FTS}_delete AFTER DELETE ON orders BEGIN "
        f"DELETE FROM {ORDERS_FTS} WHERE rowid = old.rowid; END",
        f"CREATE VIRTUAL TABLE {LINES_FTS} USING fts5(sku, content='order_lines', content_rowid='id', "
        f"tokenize='trigram')",
        f"INSERT INTO {LINES_FTS} ({LINES_FTS}) VALUES ('rebuild')",
        f"CREATE TRIGGER {LINES_FTS}_insert AFTER INSERT ON order_lines BEGIN "
        f"INSERT INTO {LINES_FTS} (rowid, sku) VALUES (new.id, new.sku); END",
        f"CREATE TRIGGER {LINES_FTS}_update AFTER UPDATE OF sku ON order_lines BEGIN "
        f"INSERT INTO {LINES_FTS} ({LINES_FTS}, rowid, sku) VALUES ('delete', old.id, old.sku); "
        f"INSERT INTO {LINES_FTS} (rowid, sku) VALUES (new.id, new.sku); END",
        f"CREATE TRIGGER {LINES_FTS}_delete AFTER DELETE ON order_lines BEGIN "
        f"INSERT INTO {LINES_FTS} ({LINES_FTS}, rowid, sku) VALUES ('delete', old.id, old.sku); END",
    ]


def sqlite_drop_statements() -> list[str]:
    triggers = [f"DROP TRIGGER IF EXISTS {t}_{op}" for t in FTS_TABLES for op in ("insert", "update", "delete")]
    return [*triggers, *(f"DROP TABLE IF EXISTS {t}" for t in FTS_TABLES)]


def rebuild_sqlite(connection) -> None:
    """Refill both FTS tables from the tables they index (after a restore that renumbered
    rowids, for instance)."""
    from sqlalchemy import text

    cols = ", ".join(ORDER_TEXT_COLUMNS)
    connection.execute(text(f"DELETE FROM {ORDERS_FTS}"))
    connection.execute(text(f"INSERT INTO {ORDERS_FTS} (rowid, {cols}) SELECT rowid, {cols} FROM orders"))
    connection.execute(text(f"INSERT INTO {LINES_FTS} ({LINES_FTS}) VALUES ('rebuild')"))
