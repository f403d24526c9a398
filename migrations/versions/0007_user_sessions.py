"""user sessions: browser sessions kept on the server, so signing out ends them

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 18:30:00

"""
import sqlalchemy as sa
from alembic import op

import app.db.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_sessions',
        sa.Column('organization_id', sa.String(length=36), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('created_at', app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_user_sessions_organization_id_organizations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', 'token_hash', name=op.f('pk_user_sessions')),
    )
    op.create_index('ix_user_sessions_org_user', 'user_sessions', ['organization_id', 'user_id'], unique=False)


def downgrade():
    op.drop_index('ix_user_sessions_org_user', table_name='user_sessions')
    op.drop_table('user_sessions')
