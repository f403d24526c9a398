"""Persistence: SQLAlchemy models, column types and transaction helpers."""
