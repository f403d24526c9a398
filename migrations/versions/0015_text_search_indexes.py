"""text search indexes: FTS5 trigram tables on SQLite, one trigram index for q on PostgreSQL

Revision ID: 0015
Revises: 0009
Create Date: 2026-11-30 21:00:00

"""
from alembic import op

from app.db import text_index

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in text_index.sqlite_statements():
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(f"CREATE INDEX {text_index.PG_Q_INDEX} ON orders "
                   f"USING gin (({text_index.pg_q_expression()}) gin_trgm_ops)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in text_index.sqlite_drop_statements():
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {text_index.PG_Q_INDEX}")
