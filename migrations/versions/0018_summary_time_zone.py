"""the zone the per-day summaries are keyed in, apart from the organization's time zone
(a change of the zone recounts them in a background job)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 04:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('organizations', sa.Column('summary_time_zone', sa.String(length=64), nullable=True))
    op.execute("UPDATE organizations SET summary_time_zone = COALESCE(time_zone, 'UTC')")


def downgrade():
    # Not a batch copy: recreating organizations would cascade into every table that refers to it.
    op.execute("ALTER TABLE organizations DROP COLUMN summary_time_zone")
