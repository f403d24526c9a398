"""idempotency keys on outbox emails and invoices (a resumed bulk job writes each once)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 03:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TABLES = ("outbox_emails", "invoices")


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column('idempotency_key', sa.String(length=200), nullable=True))
        op.create_index(f'uq_{table}_idempotency_key', table, ['organization_id', 'idempotency_key'], unique=True)


def downgrade():
    for table in TABLES:
        op.drop_index(f'uq_{table}_idempotency_key', table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column('idempotency_key')
