"""Order search (SPEC §3): paging, sorting with a stable tie-break on id, a JSON
filter list, ``field=value`` shorthand and ``q``. Every filter and sort is scoped by
organization and served by an index that starts with ``organization_id``.

A page costs a constant number of queries: count, page, its lines, its invoice numbers
(for a search found through a lookup index, usually: its matches counted and ranked in
one query, the page's orders, their lines, their invoice numbers). The orders list of
the web pages skips the lines, and the invoice numbers when that column is hidden."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from app.db import text_index
from app.db.models import Invoice, Order, OrderLine
from app.domain import money
from app.domain.identifiers import normalize_identifier
from app.domain.orders import is_valid_text, parse_datetime
from app.services import facets, text_search, visibility
from app.services.context import Actor

SORT_KEYS = {
    "createdAt": Order.created_at, "updatedAt": Order.updated_at, "orderDate": Order.order_date,
    "orderNumber": Order.order_number, "orderStatus": Order.order_status,
    "orderTotal": Order.order_total, "poNumber": Order.po_number,
    "companyName": Order.company_name, "customerNumber": Order.customer_number,
}
TEXT_FIELDS = {
    "orderNumber": Order.order_number, "orderStatus": Order.order_status,
    "orderType": Order.order_type, "channel": Order.channel, "poNumber": Order.po_number,
    "priceTier": Order.price_tier, "currencyCode": Order.currency_code, "terms": Order.terms,
    "externalId": Order.external_id, "customerNumber": Order.customer_number,
    "companyName": Order.company_name,
}
SPECIAL_TEXT_FIELDS = ("repNumber", "sku", "invoiceNumber")
IDENTIFIER_FIELDS = frozenset({"orderNumber", "externalId", "customerNumber", "repNumber", "sku"})
DATE_FIELDS = {"orderDate": Order.order_date, "createdAt": Order.created_at, "updatedAt": Order.updated_at}
NUMBER_FIELDS = {"orderTotal": Order.order_total}
FILTER_FIELDS = (*TEXT_FIELDS, *SPECIAL_TEXT_FIELDS, *DATE_FIELDS, *NUMBER_FIELDS)
OPERATORS = ("eq", "ne", "in", "contains", "startsWith", "gt", "gte", "lt", "lte")
TEXT_ONLY_OPERATORS = ("contains", "startsWith")
MAX_PAGE_SIZE = 100
# How a page's orders are loaded unless the caller says otherwise: whole, with their lines.
WHOLE_ORDERS = (selectinload(Order.items),)
MAX_FILTERS = 50


@dataclass(frozen=True)
class Filter:
    field: str
    operator: str
    value: Any


@dataclass
class SearchParams:
    page_number: int = 1
    page_size: int = 25
    sort_on: str = "createdAt"
    sort_direction: str = "asc"
    filters: list[Filter] = field(default_factory=list)
    q: str | None = None
    # The web search box also matches SKUs; the API's q does not (SPEC §3).
    q_includes_sku: bool = False
    # Conditions of web-only list filters (services.review_filters).
    extra: list[Any] = field(default_factory=list)


@dataclass
class SearchPage:
    items: list[Order]
    invoice_numbers: dict[str, list[str]]
    total_count: int
    page_number: int
    page_size: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total_count / self.page_size) if self.total_count else 0


def parse_search_params(args: Mapping[str, Any], *, extra_ignored: set[str] | frozenset[str] = frozenset()) -> SearchParams:
    """Read query parameters (a dict or MultiDict of strings) as the search query's shape
    (app.shapes.search) declares them; every problem is reported at once, naming the
    allowed values. Keys in ``extra_ignored`` are the caller's."""
    from app.shapes.search import read_query

    return read_query(args, ignored=extra_ignored)


def _has_control_characters(text: str) -> bool:
    """Control characters, or text that cannot be stored (lone surrogates)."""
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text) or not is_valid_text(text)


_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,20})?", re.ASCII)


def _convert(name: str, value: Any) -> Any:
    """The filter value in the column's type, or None when it cannot be one (a number
    outside the storable range or with more than 4 places, text with control characters)."""
    if name in DATE_FIELDS:
        return parse_datetime(value) if isinstance(value, str) else None
    if name in NUMBER_FIELDS:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | Decimal):
            dec = Decimal(value)
        else:
            # Plain ASCII decimals only: Decimal() would also read "1_000", "5e-7" or "١٢".
            text = str(value).strip()
            if not _PLAIN_NUMBER.fullmatch(text):
                return None
            dec = Decimal(text)
        if not dec.is_finite() or abs(dec) > money.MAX_AMOUNT:
            return None
        return dec if money.has_at_most_places(dec, money.PRICE_PLACES) else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str) or len(value) > 300 or _has_control_characters(value):
        return None
    if name in IDENTIFIER_FIELDS:
        # Ids are stored normalized, so a look-alike spelling finds the same order.
        return normalize_identifier(value)[0]
    return value


def _compare(column, op: str, value: Any, *, scan: bool = False) -> ColumnElement[bool]:
    if op == "eq":
        return column == value
    if op == "ne":
        return or_(column != value, column.is_(None))
    if op == "in":
        return column.in_(value)
    if op == "contains":
        return text_search.column_text_match(column, value, _contains(column, value), scan=scan)
    if op == "startsWith":
        return text_search.column_text_match(column, value, _starts_with(column, value), prefix=True,
                                             scan=scan)
    return {"gt": column > value, "gte": column >= value, "lt": column < value, "lte": column <= value}[op]


def _starts_with(column, value: str) -> ColumnElement[bool]:
    # lower(column) LIKE lower('prefix%') is what ILIKE does; written out, it is a range
    # scan of the lower(column) text_pattern_ops index on PostgreSQL (migration 0005).
    pattern = f"{text_search.like_escape(value)}%"
    return text_search.PerDialect(func.lower(column).like(func.lower(pattern), escape="\\"),
                                  sqlite=_sqlite_like(column, pattern))


def _sqlite_like(column, pattern: str) -> ColumnElement[bool]:
    """SQLite's LIKE folds ASCII case itself, exactly as its lower() does (neither folds
    other letters): the same test as lower() LIKE lower(), without two calls a row."""
    return column.like(pattern, escape="\\")


def _condition(f: Filter, organization_id: str, *, scan: bool = False) -> ColumnElement[bool]:
    if f.field in TEXT_FIELDS:
        return _compare(TEXT_FIELDS[f.field], f.operator, f.value, scan=scan)
    if f.field in DATE_FIELDS:
        return _compare(DATE_FIELDS[f.field], f.operator, f.value)
    if f.field in NUMBER_FIELDS:
        return _compare(NUMBER_FIELDS[f.field], f.operator, f.value)
    if f.field == "repNumber":
        if f.operator == "ne":
            return and_(
                _compare(Order.primary_rep_number, "ne", f.value),
                _compare(Order.taken_by_rep_number, "ne", f.value),
            )
        return or_(
            _compare(Order.primary_rep_number, f.operator, f.value),
            _compare(Order.taken_by_rep_number, f.operator, f.value),
        )
    positive_op = "eq" if f.operator == "ne" else f.operator
    if f.field == "sku" and f.operator in TEXT_ONLY_OPERATORS:
        return text_search.sku_text_match(f.value, _compare(OrderLine.sku, f.operator, f.value), organization_id,
                                          prefix=f.operator == "startsWith")
    child, column = (OrderLine, OrderLine.sku) if f.field == "sku" else (Invoice, Invoice.invoice_number)
    sub = exists().where(
        child.order_id == Order.id, child.organization_id == Order.organization_id,
        _compare(column, positive_op, f.value),
    )
    if positive_op in ("eq", "in"):
        # SQLite runs EXISTS once per order; the orders found by the lookup index instead.
        found = Order.id.in_(select(child.order_id).where(child.organization_id == organization_id,
                                                           _compare(column, positive_op, f.value)))
        sub = text_search.PerDialect(sub, sqlite=found)
    return ~sub if f.operator == "ne" else sub


def _contains(column, value: str) -> ColumnElement[bool]:
    """Case-insensitive ``%value%``. On PostgreSQL, when a pattern with rarer trigrams
    finds a superset of the matches (``text_search.index_pattern``), the trigram index is
    given that one, and the exact test (what ILIKE does, written as lower() LIKE lower(),
    which the trigram index does not take) filters the candidates."""
    pattern = f"%{text_search.like_escape(value)}%"
    candidates = text_search.index_pattern(value)
    if candidates is None:
        return text_search.PerDialect(column.ilike(pattern, escape="\\"), sqlite=_sqlite_like(column, pattern))
    return text_search.PerDialect(
        and_(column.ilike(candidates), func.lower(column).like(func.lower(pattern), escape="\\")),
        sqlite=_sqlite_like(column, pattern))


def _q_condition(q: str, include_sku: bool, organization_id: str, *, scan: bool = False) -> ColumnElement[bool]:
    return text_search.q_match(q, _q_exact(q, include_sku, organization_id), organization_id, include_sku, scan=scan)


def _q_exact(q: str, include_sku: bool, organization_id: str) -> ColumnElement[bool]:
    parts = [
        _contains(col, q)
        for col in (Order.order_number, Order.po_number, Order.company_name,
                    Order.customer_number, Order.external_id)
    ]
    if include_sku:
        # SQLite runs EXISTS once per order; the orders of the SKU's lines, found once, instead.
        parts.append(text_search.PerDialect(
            exists().where(OrderLine.order_id == Order.id, OrderLine.organization_id == Order.organization_id,
                           OrderLine.sku == q),
            sqlite=Order.id.in_(select(OrderLine.order_id).where(
                OrderLine.organization_id == organization_id, OrderLine.sku == q)),
        ))
    return or_(*parts)


def search_conditions(actor: Actor, params: SearchParams, *,
                      scan_text: bool = False) -> list[ColumnElement[bool]]:
    """``scan_text``: on SQLite, text conditions are tested on the rows read, without
    the text index (see ``many_text_candidates``)."""
    conditions: list[ColumnElement[bool]] = [Order.organization_id == actor.organization_id,
                                             *visibility.visible_orders(actor)]
    conditions.extend(_condition(f, actor.organization_id, scan=scan_text) for f in params.filters)
    if params.q:
        conditions.append(_q_condition(params.q, params.q_includes_sku, actor.organization_id,
                                       scan=scan_text))
    conditions.extend(params.extra)
    return conditions


def ordered_ids(actor: Actor, params: SearchParams, *, scan_text: bool = False):
    """SELECT of matching order ids in the requested order, id as the tie-break."""
    column = SORT_KEYS[params.sort_on]
    desc = params.sort_direction == "desc"
    order_by = [column.desc() if desc else column.asc(), Order.id.desc() if desc else Order.id.asc()]
    conditions = search_conditions(actor, params, scan_text=scan_text)
    return select(Order).where(*conditions).order_by(*order_by)


def stored_count_key(actor: Actor, params: SearchParams) -> tuple[str, list[str]] | None:
    """The facet whose stored count answers this search exactly, if any: no filter (or
    one eq/in filter on a facet field), no ``q``, and for a rep only their own orders."""
    if params.q or params.extra:
        return None
    if visibility.sees_own_orders_only(actor):
        if params.filters or len(actor.rep_numbers) != 1:
            return None
        return facets.REP_FACET, [actor.rep_numbers[0]]
    if not params.filters:
        return facets.TOTAL[0], [facets.TOTAL[1]]
    if len(params.filters) == 1:
        f = params.filters[0]
        # "in" on repNumber could count an order twice (primary and taken-by both listed).
        if f.field in facets.FACETS and (f.operator == "eq" or (f.operator == "in" and f.field != facets.REP_FACET)):
            return f.field, list(dict.fromkeys(f.value if f.operator == "in" else [f.value]))
    return None


def count_orders(session: Session, actor: Actor, params: SearchParams) -> int:
    """Total matches: from the stored facet counts when they answer it, else counted."""
    key = stored_count_key(actor, params)
    if key is not None:
        return facets.lookup(session, actor.organization_id, key[0], key[1])
    return count_exactly(session, actor, params)


def count_exactly(session: Session, actor: Actor, params: SearchParams) -> int:
    conditions = search_conditions(actor, params)
    return session.scalar(select(func.count()).select_from(Order).where(*conditions)) or 0


# A search found through a lookup index with at most this many matches is counted and
# paged in one pass over its matches; above it, counted and paged separately.
SMALL_RESULT = 2000


def found_through_a_lookup_index(params: SearchParams) -> bool:
    """Searches whose matches come from a lookup index (trigram or prefix text search,
    order lines by SKU, invoices by number) rather than from walking a sorted index."""
    return bool(params.q) or any(
        f.operator in TEXT_ONLY_OPERATORS
        or (f.field in ("sku", "invoiceNumber") and f.operator in ("eq", "in"))
        for f in params.filters
    )


def small_result_statement(actor: Actor, params: SearchParams):
    """One pass over at most SMALL_RESULT + 1 matches (id and sort key only): each row's
    place in the requested order (``rn``) and the number of matches (``n``), keeping the
    rows of the requested page and the first row (so an empty page still has ``n``).

    The matches are found with the index that finds them, then sorted: paged the usual
    way, a page of a rare filter may walk the sort key's index through most of the
    organization's orders to collect its rows, and the count finds them a second time."""
    column = SORT_KEYS[params.sort_on]
    desc = params.sort_direction == "desc"
    # In the requested order too: when a text filter matches many rows, the cheapest way
    # to the first SMALL_RESULT + 1 is then walking the sort key's index, not the table.
    matches = (
        select(Order.id.label("id"), column.label("k"))
        .where(*search_conditions(actor, params))
        .order_by(*([column.desc(), Order.id.desc()] if desc else [column.asc(), Order.id.asc()]))
        .limit(SMALL_RESULT + 1)
        .subquery("matches")
    )
    order_by = [matches.c.k.desc(), matches.c.id.desc()] if desc else [matches.c.k.asc(), matches.c.id.asc()]
    ranked = select(
        matches.c.id, func.row_number().over(order_by=order_by).label("rn"), func.count().over().label("n"),
    ).subquery("ranked")
    first = (params.page_number - 1) * params.page_size + 1
    return select(ranked.c.id, ranked.c.rn, ranked.c.n).where(
        or_(ranked.c.rn == 1, ranked.c.rn.between(first, first + params.page_size - 1))
    )


def _small_result_page(session: Session, actor: Actor, params: SearchParams,
                       load: tuple = WHOLE_ORDERS) -> tuple[int, list[Order]] | None:
    rows = session.execute(small_result_statement(actor, params)).all()
    total = rows[0].n if rows else 0
    if total > SMALL_RESULT:
        return None
    first = (params.page_number - 1) * params.page_size + 1
    place = {row.id: row.rn for row in rows if row.rn >= first}
    if not place:
        return total, []
    orders = session.scalars(
        select(Order).where(Order.id.in_(list(place))).options(*load)
    ).all()
    return total, sorted(orders, key=lambda o: place[o.id])


def many_text_candidates(session: Session, params: SearchParams) -> bool:
    """SQLite: whether the search's matches come from the FTS index alone (``q`` and
    text filters on order fields, nothing else found through a lookup index) and each of
    those conditions has more than SMALL_RESULT candidates. Ranking such matches costs a
    sort of all of them, and even listing the candidates costs a pass over thousands,
    while the requested order's index, walked with the exact test on each row, meets a
    page of them in its first rows (one in ten rows a match: 250 rows for a page)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    texts: list[tuple[tuple[str, ...], str, bool]] = []
    if params.q:
        texts.append((text_index.Q_COLUMNS, params.q, False))
    for f in params.filters:
        if f.field in TEXT_FIELDS and f.operator in TEXT_ONLY_OPERATORS:
            texts.append(((TEXT_FIELDS[f.field].name,), f.value, f.operator == "startsWith"))
        elif found_through_a_lookup_index(SearchParams(filters=[f])):
            return False
    return bool(texts) and all(
        text_search.usable(value)
        and text_search.candidates_exceed(session, columns, value, SMALL_RESULT, prefix=prefix)
        for columns, value, prefix in texts
    )


def _page_statement(actor: Actor, params: SearchParams, *, walk_sort_index: bool = False):
    return (ordered_ids(actor, params, scan_text=walk_sort_index).limit(params.page_size)
            .offset((params.page_number - 1) * params.page_size))


def _plan(session: Session, actor: Actor, params: SearchParams) -> tuple[bool, bool]:
    """(rank the matches in one pass first, walk the sort key's index for the page)."""
    if stored_count_key(actor, params) is not None or not found_through_a_lookup_index(params):
        return False, False
    many = many_text_candidates(session, params)
    return not many, many


def search_orders(session: Session, actor: Actor, params: SearchParams, *, load: tuple = WHOLE_ORDERS,
                  invoices: bool = True) -> SearchPage:
    """A page of matches and their total. ``load`` are the loader options of the page's
    orders (a list that shows a few columns loads only those); without ``invoices`` the
    page's invoice numbers are not looked up (``invoice_numbers`` is empty)."""
    found = None
    rank_first, walk = _plan(session, actor, params)
    if rank_first:
        found = _small_result_page(session, actor, params, load)
    if found is not None:
        total, orders = found
    else:
        total = count_orders(session, actor, params)
        stmt = _page_statement(actor, params, walk_sort_index=walk and total > SMALL_RESULT)
        orders = list(session.scalars(stmt.options(*load))) if total else []
    numbers = invoice_numbers_for(session, [o.id for o in orders]) if invoices else {}
    return SearchPage(orders, numbers, total, params.page_number, params.page_size)


def search_statements(session: Session, actor: Actor, params: SearchParams) -> list:
    """The statements ``search_orders`` runs to find a page and its total (for EXPLAIN)."""
    statements = []
    rank_first, walk = _plan(session, actor, params)
    if rank_first:
        statements.append(small_result_statement(actor, params))
        rows = session.execute(statements[0]).all()
        if not rows or rows[0].n <= SMALL_RESULT:
            return statements
    total = None
    if stored_count_key(actor, params) is None:
        statements.append(select(func.count()).select_from(Order).where(*search_conditions(actor, params)))
        total = session.scalar(statements[-1]) if walk else None
    statements.append(_page_statement(actor, params, walk_sort_index=walk and (total or 0) > SMALL_RESULT))
    return statements


def invoice_numbers_for(session: Session, order_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {oid: [] for oid in order_ids}
    if not order_ids:
        return found
    rows = session.execute(
        select(Invoice.order_id, Invoice.invoice_number)
        .where(Invoice.order_id.in_(order_ids))
        .order_by(Invoice.order_id, Invoice.invoice_number)
    )
    for order_id, number in rows:
        found[order_id].append(number)
    return found
