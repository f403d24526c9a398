"""daily order summaries for the managers' pages: per local day of the organization,
figures per currency and facet value, per customer and per SKU, kept by every write

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 03:00:00

"""
import sqlalchemy as sa
from alembic import op

import app.db.types

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _org_fk(table):
    return sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                   name=op.f(f'fk_{table}_organization_id_organizations'), ondelete='CASCADE')


def upgrade():
    op.create_table('order_day_figures',
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('facet', sa.String(length=10), nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.Column('revenue', app.db.types.Money(), nullable=False),
    sa.Column('overridden_lines', sa.BigInteger(), nullable=False),
    sa.Column('approvals_asked', sa.Integer(), nullable=False),
    _org_fk('order_day_figures'),
    sa.PrimaryKeyConstraint('organization_id', 'facet', 'currency_code', 'day', 'value',
                            name=op.f('pk_order_day_figures'))
    )
    for table, key, key_length, name, name_length in (
            ('order_day_customers', 'customer_number', 64, 'company_name', 200),
            ('order_day_products', 'sku', 100, 'product_name', 300)):
        op.create_table(table,
        sa.Column('organization_id', sa.String(length=36), nullable=False),
        sa.Column('currency_code', sa.String(length=3), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column(key, sa.String(length=key_length), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('units', sa.BigInteger(), nullable=False),
        sa.Column('revenue', app.db.types.Money(), nullable=False),
        sa.Column(name, sa.String(length=name_length), nullable=False),
        _org_fk(table),
        sa.PrimaryKeyConstraint('organization_id', 'currency_code', 'day', key, name=op.f(f'pk_{table}'))
        )
    for table, key, name in (('order_day_customers', 'customer_number', 'company_name'),
                             ('order_day_products', 'sku', 'product_name')):
        op.create_index(f'ix_{table}_cover', table, ['organization_id', 'currency_code', 'day'],
                        postgresql_include=[key, 'orders', 'units', 'revenue', name])
    # The needs-attention queue: each reason reads an index of the few orders it concerns.
    open_orders = "order_status IN ('Pending', 'Processing')"
    op.create_index('ix_orders_open', 'orders', ['organization_id', 'order_status', 'order_date', 'id'],
                    postgresql_where=sa.text(open_orders), sqlite_where=sa.text(open_orders),
                    postgresql_include=['below_list_pct', 'discount_pct', 'po_number', 'customer_number',
                                        'shipping_method'])
    awaiting = "approval_state = 'pending'"
    op.create_index('ix_orders_awaiting_approval', 'orders', ['organization_id', 'order_date', 'id'],
                    postgresql_where=sa.text(awaiting), sqlite_where=sa.text(awaiting))
    op.create_index('ix_outbox_emails_order', 'outbox_emails', ['order_id', 'status', 'created_at'])
    # Existing orders: summarize each organization's once, in its time zone.
    from app.services.summaries import rebuild_sql
    bind = op.get_bind()
    for org_id, zone in bind.execute(sa.text('SELECT id, time_zone FROM organizations')).all():
        rebuild_sql(bind, org_id, zone)


def downgrade():
    op.drop_index('ix_outbox_emails_order', table_name='outbox_emails')
    op.drop_index('ix_orders_awaiting_approval', table_name='orders')
    op.drop_index('ix_orders_open', table_name='orders')
    op.drop_table('order_day_products')
    op.drop_table('order_day_customers')
    op.drop_table('order_day_figures')
