"""outbox claims: a delivery lease per email

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 22:45:00

"""
import sqlalchemy as sa
from alembic import op

import app.db.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', app.db.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
