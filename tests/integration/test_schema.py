from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.db.models import Base
from app.db.types import include_object


def test_models_and_migrations_agree(db_session):
    with db_session.get_bind().connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_search_lookups_are_indexed_by_organization(db_session):
    inspector = inspect(db_session.get_bind())
    indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("orders")}
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("orders")}
    assert ("organization_id", "order_number") in uniques
    assert ("organization_id", "external_id") in uniques
    for column in ("created_at", "updated_at", "order_date", "order_total", "order_status", "po_number",
                   "company_name", "customer_number", "primary_rep_number", "taken_by_rep_number"):
        assert any(ix[:2] == ("organization_id", column) for ix in indexes), column
    line_indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("order_lines")}
    assert ("organization_id", "sku", "order_id") in line_indexes
