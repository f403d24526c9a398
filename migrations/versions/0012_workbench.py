"""saved views of the orders list, and the per-order items of bulk action jobs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 21:00:00

"""
import sqlalchemy as sa
from alembic import op

import app.db.types

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'saved_views',
        sa.Column('organization_id', sa.String(length=36), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('owner_user_id', sa.String(length=36), nullable=False),
        sa.Column('owner_name', sa.String(length=200), nullable=False),
        sa.Column('shared', sa.Boolean(), nullable=False),
        sa.Column('state', sa.JSON(), nullable=False),
        sa.Column('columns', sa.JSON(), nullable=False),
        sa.Column('created_at', app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_saved_views_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', 'id', name=op.f('pk_saved_views')),
        sa.UniqueConstraint('organization_id', 'owner_user_id', 'name',
                            name=op.f('uq_saved_views_organization_id_owner_user_id_name')),
    )
    op.create_index('ix_saved_views_org_shared', 'saved_views', ['organization_id', 'shared'], unique=False)
    op.create_table(
        'bulk_items',
        sa.Column('organization_id', sa.String(length=36), nullable=False),
        sa.Column('job_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('order_id', sa.String(length=36), nullable=False),
        sa.Column('order_number', sa.String(length=50), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_bulk_items_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', 'job_id', 'seq', name=op.f('pk_bulk_items')),
    )
    op.create_index('ix_bulk_items_pending', 'bulk_items', ['organization_id', 'job_id', 'outcome', 'seq'],
                    unique=False)


def downgrade():
    op.drop_index('ix_bulk_items_pending', table_name='bulk_items')
    op.drop_table('bulk_items')
    op.drop_index('ix_saved_views_org_shared', table_name='saved_views')
    op.drop_table('saved_views')
