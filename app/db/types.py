"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes in and out (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator):
    """NUMERIC(19,4) that always returns Decimal.

    PostgreSQL stores it exactly. SQLite has no decimal type: the value is bound as
    text, stored with numeric affinity (so it still sorts and compares as a number)
    and read back quantized to four places; domain limits keep every stored amount
    within the range where that is exact."""

    impl = Numeric(19, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(19, 4, asdecimal=False))
        return dialect.type_descriptor(Numeric(19, 4))

    def process_bind_param(self, value, dialect):
        return self.bind_processor(dialect)(value)

    def bind_processor(self, dialect):
        # The one conversion, chosen once per dialect rather than per value (an import
        # binds hundreds of thousands of amounts); the impl adds nothing after it.
        return _money_as_float if dialect.name == "sqlite" else _money_exact

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            value = Decimal(repr(value))
        return Decimal(value).quantize(Decimal("0.0001"))


def _money_as_float(value):
    return None if value is None else float(value)


def _money_exact(value):
    return None if value is None else Decimal(value)


def guid() -> str:
    """A random (version 4) UUID in its canonical text form, as ``str(uuid.uuid4())``
    gives, without building a UUID object (an import makes one per order)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


GUID = String(36)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: trigram (``*_trgm``) and prefix (``*_prefix``) search indexes exist
    only on PostgreSQL and only in the migrations, so model/database comparison leaves
    them out; so do the SQLite FTS tables (``app.db.text_index``), which the migrations
    create with their triggers."""
    from app.db.text_index import is_fts_table

    if type_ == "table" and name and is_fts_table(name):
        return False
    return not (type_ == "index" and name and name.endswith(("_trgm", "_prefix")))
