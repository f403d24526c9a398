"""managers' review: approval state and the figures the review rules read on each order,
the organization's review settings, and a covering index for period aggregates

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 20:50:00

"""
import sqlalchemy as sa
from alembic import op

import app.db.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

FACT_COLUMNS = ['currency_code', 'order_status', 'order_total', 'channel', 'order_type',
                'primary_rep_number', 'customer_number', 'overridden_lines', 'approval_state', 'units']


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review', sa.JSON(), nullable=True))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_state', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('approval_reasons', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('approval_decided_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('approval_decided_at', app.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approval_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('approval_basis', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('overridden_lines', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('below_list_pct', sa.Numeric(9, 2), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('discount_pct', sa.Numeric(9, 2), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('units', sa.BigInteger(), nullable=False, server_default='0'))
    # Orders written before this revision: their units from their lines.
    op.execute('UPDATE orders SET units = (SELECT coalesce(sum(quantity), 0) FROM order_lines '
               'WHERE order_lines.order_id = orders.id)')
    op.create_index('ix_orders_org_approval', 'orders', ['organization_id', 'approval_state', 'id'], unique=False)
    op.create_index('ix_orders_org_date_facts', 'orders', ['organization_id', 'order_date'], unique=False,
                    postgresql_include=FACT_COLUMNS)


def downgrade():
    op.drop_index('ix_orders_org_date_facts', table_name='orders')
    op.drop_index('ix_orders_org_approval', table_name='orders')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for name in ('units', 'discount_pct', 'below_list_pct', 'overridden_lines', 'approval_basis', 'approval_note',
                     'approval_decided_at', 'approval_decided_by', 'approval_reasons', 'approval_state'):
            batch_op.drop_column(name)
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('review')
