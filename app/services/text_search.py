"""Text conditions of the order search served by each database's text index
(``app.db.text_index``).

Each condition is written once as the exact test (a case-insensitive substring or
prefix match, what the search has always meant) and compiled per database with the
index's candidates in front of it:

- SQLite: the FTS5 trigram table's matches (``rowid IN (… MATCH …)``), a superset of the
  exact test (the FTS folds non-ASCII case, LIKE only ASCII), which then picks among
  them. Text shorter than a trigram has no index to use and is tested on every row.
- PostgreSQL: per-column conditions already have trigram and prefix indexes; ``q`` gets
  the one index over its five fields (plus the SKU lookup for the web's search box)."""

from __future__ import annotations

import re

from sqlalchemy import any_, func, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean

from app.db import text_index
from app.db.models import Order, OrderLine

TRIGRAM = 3


class PerDialect(ColumnElement[bool]):
    """A condition with a form per database: ``default`` (the exact test, right
    everywhere) and optional faster equivalents for SQLite and PostgreSQL."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [
        ("default", InternalTraversal.dp_clauseelement),
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("postgresql", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, default, sqlite=None, postgresql=None):
        self.default = default
        self.sqlite = sqlite if sqlite is not None else default
        self.postgresql = postgresql if postgresql is not None else default

    def self_group(self, against=None):
        # Already a condition (each form is compiled in parentheses): not one to compare
        # with true, which would hide its terms from SQLite's planner ("(…) = 1").
        return self


# Each form is parenthesized: it stands for one condition wherever it is placed (an OR
# of a form must not bind to its neighbours' AND).
@compiles(PerDialect)
def _compile_default(element, compiler, **kw):
    return "(" + compiler.process(element.default, **kw) + ")"


@compiles(PerDialect, "sqlite")
def _compile_sqlite(element, compiler, **kw):
    return "(" + compiler.process(element.sqlite, **kw) + ")"


@compiles(PerDialect, "postgresql")
def _compile_postgresql(element, compiler, **kw):
    return "(" + compiler.process(element.postgresql, **kw) + ")"


_orders_fts = sql_table(text_index.ORDERS_FTS, sql_column("rowid"), sql_column(text_index.ORDERS_FTS))
_lines_fts = sql_table(text_index.LINES_FTS, sql_column("rowid"), sql_column(text_index.LINES_FTS))
_ORDER_ROWID = literal_column("orders.rowid")


def fts_query(columns: tuple[str, ...] | list[str], value: str, *, prefix: bool = False) -> str:
    """An FTS5 query for ``value`` as one phrase (a substring, for the trigram
    tokenizer) in any of ``columns``; ``prefix``: at the column's start."""
    phrase = '"' + value.replace('"', '""') + '"'
    return "{" + " ".join(columns) + "} : " + ("^ " if prefix else "") + phrase


def usable(value: str) -> bool:
    """Whether the trigram index can find ``value``: it must hold a whole trigram."""
    return len(value) >= TRIGRAM


def candidates_exceed(session, columns, value: str, limit: int, *, prefix: bool = False) -> bool:
    """SQLite: whether the FTS table holds more than ``limit`` candidates for ``value``
    in ``columns`` (of every organization: an upper bound), reading at most limit + 1."""
    first = select(_orders_fts.c.rowid).where(
        _orders_fts.c[text_index.ORDERS_FTS].match(fts_query(columns, value, prefix=prefix))).limit(limit + 1)
    return session.scalar(select(func.count()).select_from(first.subquery())) > limit


def order_candidates(columns, value: str, *, prefix: bool = False) -> ColumnElement[bool]:
    matches = select(_orders_fts.c.rowid).where(
        _orders_fts.c[text_index.ORDERS_FTS].match(fts_query(columns, value, prefix=prefix)))
    return _ORDER_ROWID.in_(matches)


def line_candidates(value: str, *, prefix: bool = False) -> ColumnElement[bool]:
    matches = select(_lines_fts.c.rowid).where(
        _lines_fts.c[text_index.LINES_FTS].match(fts_query(["sku"], value, prefix=prefix)))
    return OrderLine.id.in_(matches)


def column_text_match(column, value: str, exact: ColumnElement[bool], *, prefix: bool = False,
                      scan: bool = False) -> ColumnElement[bool]:
    """``exact`` (a contains or startsWith test on an orders column), on SQLite behind
    the FTS table's candidates when ``value`` is long enough; ``scan``: only the exact
    test, of the rows read otherwise (see ``search.many_text_candidates``)."""
    if (scan or column.table is not Order.__table__ or column.name not in text_index.ORDER_TEXT_COLUMNS
            or not usable(value)):
        return exact
    return PerDialect(exact, sqlite=order_candidates([column.name], value, prefix=prefix) & exact)


def sku_text_match(value: str, exact_line: ColumnElement[bool], organization_id, *,
                   prefix: bool = False) -> ColumnElement[bool]:
    """Orders with a line whose SKU passes ``exact_line`` (contains / startsWith)."""
    org = OrderLine.organization_id == Order.organization_id
    default = select(OrderLine.id).where(OrderLine.order_id == Order.id, org, exact_line).exists()
    if not usable(value):
        return default
    # Found from the lines' index, then the orders by id: not a test of every order.
    sqlite = Order.id.in_(
        select(OrderLine.order_id).where(line_candidates(value, prefix=prefix), exact_line))
    # PostgreSQL: the lines' trigram index finds them; id = ANY(ARRAY(…)) looks the
    # orders up by primary key (as an EXISTS, the planner walks the orders instead).
    lines = select(OrderLine.order_id).where(OrderLine.organization_id == organization_id, exact_line)
    pg = Order.id == any_(func.array(lines.scalar_subquery()))
    return PerDialect(default, sqlite=sqlite & default, postgresql=pg)


_WORD = re.compile(r"[A-Za-z0-9]{3,}")
_DIGITS = re.compile(r"[0-9]{3,}")


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def inner_words(value: str) -> list[str]:
    """The whole ASCII words of three characters or more inside ``value`` (not at its
    ends, where the value may cut a word): their trigrams are rarer than the ones at the
    value's ends, which are often in nearly every row."""
    return [
        m.group() for m in _WORD.finditer(value)
        if m.start() > 0 and m.end() < len(value)
        and not value[m.start() - 1].isalnum() and not value[m.end()].isalnum()
    ]


def index_pattern(value: str) -> str | None:
    """A LIKE pattern that every match of ``%value%`` also matches, for a trigram index
    to find candidates with fewer, rarer trigrams; None when ``%value%`` itself is the
    best. A trigram index intersects the posting lists of all the pattern's trigrams,
    and reading the lists of trigrams in nearly every row is most of a search's time:
    - the words inside the value (``ny 4242 su``: ``%4242%``), see ``inner_words``;
    - else, in an identifier (one token of letters, digits and punctuation) with four
      digits or more in runs of three or more, those runs in order (``ORD-0123456``:
      ``%0123456%``; ``2026-0153``: ``%2026%0153%``): identifiers of one kind share their
      letters (``ORD-``, ``PO-``, ``SKU-``) and differ in their digits. Text with spaces,
      or a short number (``SKU-100``), keeps its whole pattern: one common trigram alone
      would find too many rows.
    Each part is a substring of the value, in order, of ASCII letters and digits only
    (nothing to escape). The caller tests the exact condition on the candidates."""
    words = inner_words(value)
    if words:
        return "%" + "%".join(words) + "%"
    if any(c.isspace() for c in value):
        return None
    runs = _DIGITS.findall(value)
    if runs and runs != [value] and sum(map(len, runs)) >= 4:
        return "%" + "%".join(runs) + "%"
    return None


def q_match(q: str, exact: ColumnElement[bool], organization_id, include_sku: bool, *,
            scan: bool = False) -> ColumnElement[bool]:
    """``exact`` (q's OR over five fields, and for the web a SKU equal to q), behind one
    index on each database; ``scan``: on SQLite only the exact test, of the rows read
    otherwise (see ``search.many_text_candidates``)."""
    sku_orders = select(OrderLine.order_id).where(OrderLine.organization_id == organization_id, OrderLine.sku == q)
    # PostgreSQL: the five fields joined by a separator q cannot hold, one trigram index.
    pattern = index_pattern(q) or f"%{like_escape(q)}%"
    pg = literal_column(text_index.pg_q_expression("orders.")).ilike(pattern, escape="\\")
    if include_sku:
        # id = ANY(ARRAY(…)) is an index condition, so both sides combine in one bitmap.
        pg = or_(pg, Order.id == any_(func.array(sku_orders.scalar_subquery())))
    if not usable(q):
        # Nothing for a trigram index to find: every row is tested (such text matches many).
        return exact
    if scan:
        return PerDialect(exact, postgresql=pg & exact)
    sqlite = order_candidates(text_index.Q_COLUMNS, q)
    if include_sku:
        sqlite = or_(sqlite, Order.id.in_(sku_orders))
    return PerDialect(exact, sqlite=sqlite & exact, postgresql=pg & exact)
