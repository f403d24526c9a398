"""order facet counts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 22:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('order_facet_counts',
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('facet', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_order_facet_counts_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'facet', 'value', name=op.f('pk_order_facet_counts'))
    )
    # Existing orders: count them once.
    facets = [
        ("orderStatus", "order_status"), ("orderType", "order_type"), ("channel", "channel"),
        ("priceTier", "price_tier"), ("currencyCode", "currency_code"), ("terms", "terms"),
    ]
    op.execute(
        "INSERT INTO order_facet_counts (organization_id, facet, value, count) "
        "SELECT organization_id, '', '', count(*) FROM orders GROUP BY organization_id"
    )
    for facet, column in facets:
        op.execute(
            f"INSERT INTO order_facet_counts (organization_id, facet, value, count) "
            f"SELECT organization_id, '{facet}', {column}, count(*) FROM orders "
            f"WHERE {column} IS NOT NULL GROUP BY organization_id, {column}"
        )
    op.execute(
        "INSERT INTO order_facet_counts (organization_id, facet, value, count) "
        "SELECT organization_id, 'repNumber', rep, count(*) FROM ("
        " SELECT organization_id, primary_rep_number AS rep FROM orders"
        " UNION ALL SELECT organization_id, taken_by_rep_number FROM orders"
        " WHERE taken_by_rep_number IS NOT NULL AND taken_by_rep_number <> primary_rep_number"
        ") reps GROUP BY organization_id, rep"
    )


def downgrade():
    op.drop_table('order_facet_counts')
