"""invoices issued from Orderdesk and order versions

Invoices get their own per-organization number sequence and prefix, a due date, a
frozen snapshot of what they bill and a void state (kept, never deleted). Invoices that
came with imported orders keep their rows; the new columns stay empty for them. Every
order gets a version, raised by each write, so an edit made on an older version can be
refused instead of overwriting a newer one.

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30 21:00:00

"""
import sqlalchemy as sa
from alembic import op

import app.db.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'invoice_sequences',
        sa.Column('organization_id', sa.String(length=36), nullable=False),
        sa.Column('last_value', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_invoice_sequences_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_invoice_sequences')),
    )
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_number_prefix', sa.String(length=20), nullable=False,
                                      server_default='INV-'))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_version', sa.Integer(), nullable=True))
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency_code', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('terms', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('issued_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('snapshot', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('voided_at', app.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        for name in ('void_reason', 'voided_by', 'voided_at', 'snapshot', 'issued_by', 'due_date', 'terms',
                     'currency_code'):
            batch_op.drop_column(name)
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_column('order_version')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('version')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('invoice_number_prefix')
    op.drop_table('invoice_sequences')
