"""an order's line numbers are unique

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 23:25:00

"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_order_lines_order')
        batch_op.create_index('ix_order_lines_order', ['order_id', 'line_no'], unique=True)


def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_order_lines_order')
        batch_op.create_index('ix_order_lines_order', ['order_id', 'line_no'], unique=False)
