"""file imports: uploaded files stored in pieces, their dry runs' and applies' results

Revision ID: 0014
Revises: 0009
Create Date: 2026-11-30 21:00:00

"""
import sqlalchemy as sa
from alembic import op

import app.db.types

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Expand only: new tables.
    op.create_table(
        'file_imports',
        sa.Column('organization_id', sa.String(length=36), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('file_format', sa.String(length=10), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('error_policy', sa.String(length=20), nullable=True),
        sa.Column('check_job_id', sa.String(length=36), nullable=True),
        sa.Column('apply_job_id', sa.String(length=36), nullable=True),
        sa.Column('check_counts', sa.JSON(), nullable=True),
        sa.Column('apply_counts', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_by_user_id', sa.String(length=36), nullable=True),
        sa.Column('created_at', app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('applied_at', app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_file_imports_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', 'id', name=op.f('pk_file_imports')),
    )
    op.create_index('ix_file_imports_org_created', 'file_imports', ['organization_id', 'created_at'], unique=False)
    op.create_table(
        'import_chunks',
        sa.Column('organization_id', sa.String(length=36), nullable=False),
        sa.Column('import_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id', 'import_id'], ['file_imports.organization_id', 'file_imports.id'],
                                name=op.f('fk_import_chunks_organization_id_file_imports'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', 'import_id', 'seq', name=op.f('pk_import_chunks')),
    )
    op.create_table(
        'import_rows',
        sa.Column('organization_id', sa.String(length=36), nullable=False),
        sa.Column('import_id', sa.String(length=36), nullable=False),
        sa.Column('phase', sa.String(length=10), nullable=False),
        sa.Column('row_number', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=True),
        sa.Column('changes', sa.JSON(), nullable=True),
        sa.Column('errors', sa.JSON(), nullable=True),
        sa.Column('cells', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['organization_id', 'import_id'], ['file_imports.organization_id', 'file_imports.id'],
                                name=op.f('fk_import_rows_organization_id_file_imports'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', 'import_id', 'phase', 'row_number', name=op.f('pk_import_rows')),
    )


def downgrade():
    op.drop_table('import_rows')
    op.drop_table('import_chunks')
    op.drop_index('ix_file_imports_org_created', table_name='file_imports')
    op.drop_table('file_imports')
