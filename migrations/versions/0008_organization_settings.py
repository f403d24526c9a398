"""organization settings: the lists the product draws on, currencies in use, time zone

Price tiers move from their own column into ``lists`` beside payment terms (with their
days), shipping methods, channels and order types, which were constants in the code.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 18:30:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DEFAULTS = {
    "terms": [{"name": "Net30", "days": 30}, {"name": "Net60", "days": 60}, {"name": "COD", "days": 0},
              {"name": "Prepaid", "days": 0}, {"name": "Due on receipt", "days": 0}],
    "shippingMethod": [{"name": n} for n in ("FedEx Ground", "UPS Ground", "UPS 2nd Day Air", "Freight",
                                             "Customer pickup")],
    "channel": [{"name": n} for n in ("Phone", "Email", "Web", "EDI", "In person")],
    "orderType": [{"name": n} for n in ("Direct", "Web", "EDI")],
}


def _tiers(raw):
    if isinstance(raw, str):
        raw = json.loads(raw)
    return [str(t) for t in (raw or [])]


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lists', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('currencies', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
    conn = op.get_bind()
    orgs = sa.table('organizations', sa.column('id', sa.String), sa.column('price_tiers', sa.JSON),
                    sa.column('lists', sa.JSON), sa.column('currencies', sa.JSON), sa.column('time_zone', sa.String))
    for org_id, tiers in conn.execute(sa.select(orgs.c.id, orgs.c.price_tiers)).all():
        lists = {"priceTier": [{"name": t} for t in _tiers(tiers)], **DEFAULTS}
        conn.execute(orgs.update().where(orgs.c.id == org_id).values(lists=lists, currencies=[], time_zone="UTC"))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('lists', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('currencies', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('time_zone', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('price_tiers')


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_tiers', sa.JSON(), nullable=True))
    conn = op.get_bind()
    orgs = sa.table('organizations', sa.column('id', sa.String), sa.column('price_tiers', sa.JSON),
                    sa.column('lists', sa.JSON))
    for org_id, lists in conn.execute(sa.select(orgs.c.id, orgs.c.lists)).all():
        lists = json.loads(lists) if isinstance(lists, str) else (lists or {})
        tiers = [e["name"] for e in lists.get("priceTier", []) if not e.get("retired")]
        conn.execute(orgs.update().where(orgs.c.id == org_id).values(price_tiers=tiers))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('price_tiers', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('time_zone')
        batch_op.drop_column('currencies')
        batch_op.drop_column('lists')
