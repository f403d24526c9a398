"""prefix search indexes: startsWith served by btree on lower(column)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 01:40:00

"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# A case-insensitive startsWith is ``lower(column) LIKE lower('prefix%')``; on
# PostgreSQL a btree on lower(column) with text_pattern_ops turns it into a range scan
# (trigram indexes have to intersect posting lists of very common trigrams such as
# "po-" for it). PostgreSQL only, like the trigram indexes; SQLite has no use for them.
PREFIX_INDEXES = [
    ("orders", "order_number", ()), ("orders", "po_number", ()), ("orders", "company_name", ()),
    ("orders", "customer_number", ()), ("orders", "external_id", ()),
    ("orders", "primary_rep_number", ()), ("orders", "taken_by_rep_number", ()),
    ("order_lines", "sku", ("order_id",)), ("invoices", "invoice_number", ("order_id",)),
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, column, extra in PREFIX_INDEXES:
            columns = ", ".join(("organization_id", f"lower({column}) text_pattern_ops", *extra))
            op.execute(f"CREATE INDEX ix_{table}_{column}_prefix ON {table} ({columns})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, column, _ in PREFIX_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_prefix")
