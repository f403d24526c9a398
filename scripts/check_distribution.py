"""What stands between this schema and distributing it by organization (Citus).

Distributing a table by ``organization_id`` requires every primary key and unique key
of it to include ``organization_id``, and every foreign key between distributed tables
to include it on both sides. This script reads the live schema (PostgreSQL or SQLite)
and lists each primary key, unique key (constraint or unique index) and foreign key
that does not include ``organization_id``, and each tenant table that has no such
column at all: the blockers. Known blockers are listed with what removes them; an
unknown one (a new table or key that repeats the mistake) makes the exit status 1.

    .venv/bin/python scripts/check_distribution.py                # DATABASE_URL, else the instance SQLite file
    .venv/bin/python scripts/check_distribution.py --url postgresql://… --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.db.text_index import is_fts_table  # noqa: E402  (an index's tables, distributed with orders)

ROOT = Path(__file__).resolve().parent.parent
KEY = "organization_id"

# Tables that are not distributed by organization_id, and why that is right for them.
NOT_DISTRIBUTED = {
    "organizations": "the tenants themselves: a reference table (replicated to every node)",
    "login_failures": "sign-in throttling by account and address, not tenant data: a reference table",
    "alembic_version": "migration bookkeeping: stays on the coordinator",
}

# Blockers present before this check existed, each with the change that removes it.
KNOWN = {
    ("users", "unique", "email"): "sign-in looks users up by email across tenants: move the global lookup to "
                                  "a reference table (email -> organization_id, user id) and make the key "
                                  "(organization_id, email)",
    ("users", "primary key", "id"): "make the key (organization_id, id)",
    ("users", "foreign key", "sales_rep_id"): "reference sales_reps by (organization_id, sales_rep_id)",
    ("api_tokens", "primary key", "id"): "make the key (organization_id, id)",
    ("api_tokens", "unique", "secret_hash"): "tokens are found by their hash before the tenant is known: keep "
                                             "the hash in a reference table (hash -> organization_id, token id)",
    ("sales_reps", "primary key", "id"): "make the key (organization_id, id)",
    ("customers", "primary key", "id"): "make the key (organization_id, id)",
    ("products", "primary key", "id"): "make the key (organization_id, id)",
    ("orders", "primary key", "id"): "make the key (organization_id, id)",
    ("order_lines", "primary key", "id"): "make the key (organization_id, id)",
    ("order_lines", "unique", "order_id, line_no"): "make the index (organization_id, order_id, line_no)",
    ("order_lines", "foreign key", "order_id"): "reference orders by (organization_id, order_id)",
    ("invoices", "primary key", "id"): "make the key (organization_id, id)",
    ("invoices", "foreign key", "order_id"): "reference orders by (organization_id, order_id)",
    ("order_events", "primary key", "id"): "make the key (organization_id, id)",
    ("order_events", "foreign key", "order_id"): "reference orders by (organization_id, order_id)",
    ("outbox_emails", "primary key", "id"): "make the key (organization_id, id)",
    ("outbox_emails", "foreign key", "order_id"): "reference orders by (organization_id, order_id)",
    ("product_prices", "no organization_id", ""): "add organization_id (from products) and lead the key with it",
    ("product_prices", "primary key", "product_id, price_tier, currency_code"): "lead the key with organization_id",
    ("product_prices", "foreign key", "product_id"): "reference products by (organization_id, product_id)",
    ("rendered_documents", "no organization_id", ""): "add organization_id (from orders) and lead the key with it",
    ("rendered_documents", "primary key", "order_id, kind"): "lead the key with organization_id",
    ("rendered_documents", "foreign key", "order_id"): "reference orders by (organization_id, order_id)",
}


@dataclass(frozen=True)
class Blocker:
    table: str
    kind: str
    name: str
    columns: str
    known: bool
    fix: str


def find_blockers(url: str) -> tuple[list[Blocker], list[str]]:
    """(blockers, tables ready for distribution by organization_id)."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        blockers: list[Blocker] = []
        ready: list[str] = []
        for table in sorted(inspector.get_table_names()):
            if table in NOT_DISTRIBUTED or table.startswith("sqlite_") or is_fts_table(table):
                continue
            found = _table_blockers(inspector, table)
            blockers.extend(found)
            if not found:
                ready.append(table)
        return blockers, ready
    finally:
        engine.dispose()


def _table_blockers(inspector, table: str) -> list[Blocker]:
    columns = {c["name"] for c in inspector.get_columns(table)}
    keys: list[tuple[str, str | None, list[str]]] = []
    pk = inspector.get_pk_constraint(table)
    keys.append(("primary key", pk.get("name"), pk.get("constrained_columns") or []))
    for unique in inspector.get_unique_constraints(table):
        keys.append(("unique", unique.get("name"), unique["column_names"]))
    seen = {tuple(cols) for _, _, cols in keys}
    for index in inspector.get_indexes(table):
        cols = [c for c in index["column_names"] if c]
        if index.get("unique") and tuple(cols) not in seen and len(cols) == len(index["column_names"]):
            keys.append(("unique", index.get("name"), cols))
    referred: dict[tuple[str, ...], str] = {}
    for fk in inspector.get_foreign_keys(table):
        keys.append(("foreign key", fk.get("name"), fk["constrained_columns"]))
        referred[tuple(fk["constrained_columns"])] = fk["referred_table"]
    out = []
    if KEY not in columns:
        out.append(_blocker(table, "no organization_id", "", []))
    for kind, name, cols in keys:
        if cols and KEY not in cols:
            inherited = _inherited(inspector, referred.get(tuple(cols))) if kind == "foreign key" else None
            out.append(_blocker(table, kind, name or "", cols, inherited))
    return out


def _inherited(inspector, referred_table: str | None) -> str | None:
    """A foreign key into a table whose own key lacks organization_id cannot include it
    until that table's key does: it follows that table's (listed) blocker."""
    if not referred_table or referred_table in NOT_DISTRIBUTED:
        return None
    referred_key = inspector.get_pk_constraint(referred_table).get("constrained_columns") or []
    if KEY in referred_key:
        return None
    return (f"follows {referred_table}'s key: reference {referred_table} by (organization_id, …) once its "
            f"key includes organization_id")


def _blocker(table: str, kind: str, name: str, columns: list[str], inherited: str | None = None) -> Blocker:
    joined = ", ".join(columns)
    fix = KNOWN.get((table, kind, joined)) or inherited
    return Blocker(table, kind, name, joined, fix is not None, fix or "new: include organization_id in this key")


def default_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'orderdesk.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    blockers, ready = find_blockers(args.url or default_url())
    new = [b for b in blockers if not b.known]
    if args.json:
        print(json.dumps({"ready": ready, "blockers": [asdict(b) for b in blockers],
                          "not_distributed": NOT_DISTRIBUTED}, indent=2))
    else:
        print(f"Ready to distribute by {KEY} ({len(ready)}): {', '.join(ready) or '-'}")
        print(f"Not distributed (reference or local): {', '.join(NOT_DISTRIBUTED)}")
        print(f"Blockers ({len(blockers)}, {len(new)} new):")
        for b in blockers:
            mark = "NEW " if not b.known else "    "
            label = f"{b.kind} {b.name}".strip()
            print(f"  {mark}{b.table:<20} {label:<48} ({b.columns or '-'}): {b.fix}")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
