"""jobs and API rate limits: background work for the workers, per-token request
counts shared by every web process, and who holds an outbox email's lease

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 18:00:00

"""
import sqlalchemy as sa
from alembic import op

import app.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Expand only: new tables and a nullable column, so code of the previous release
    # keeps working against this schema during a rolling deploy.
    op.create_table('jobs',
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('run_after', app.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', app.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', app.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', app.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', app.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_jobs_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('organization_id', 'idempotency_key', name=op.f('uq_jobs_organization_id_idempotency_key'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_queued', ['state', 'run_after'], unique=False)
        batch_op.create_index('ix_jobs_lease', ['state', 'lease_expires_at'], unique=False)
        batch_op.create_index('ix_jobs_org_created', ['organization_id', 'created_at'], unique=False)

    op.create_table('api_rate_limits',
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('token_id', sa.String(length=36), nullable=False),
    sa.Column('window_start', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_api_rate_limits_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'token_id', 'window_start', name=op.f('pk_api_rate_limits'))
    )
    with op.batch_alter_table('api_rate_limits', schema=None) as batch_op:
        batch_op.create_index('ix_api_rate_limits_window', ['window_start'], unique=False)

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
    op.drop_table('api_rate_limits')
    op.drop_table('jobs')
