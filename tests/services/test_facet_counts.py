"""Stored per-filter counts must always equal a real count of the orders."""

import copy

from sqlalchemy import select

from app.db.models import OrderFacetCount
from app.services import facets
from app.services.context import Actor
from app.services.orders import REJECT_FAILED, change_status, create_order, import_orders, update_shipping
from app.services.search import count_exactly, count_orders, parse_search_params, stored_count_key
from tests.seed_examples import BULK, SINGLE_CREATE


def _stored(session, org_id):
    return {(r.facet, r.value): r.count for r in session.scalars(
        select(OrderFacetCount).where(OrderFacetCount.organization_id == org_id)) if r.count}


def _assert_counts_match(session, actor):
    queries = [{}]
    for facet in facets.FACET_COLUMNS:
        for value in ("Pending", "Processing", "Complete", "Cancelled", "EDI", "Direct", "Phone", "Web",
                      "Wholesale", "Retail", "USD", "CAD", "Net30", "Net60"):
            queries.append({facet: value})
    for rep in ("REP-001", "REP-003", "REP-007", "REP-009"):
        queries.append({"repNumber": rep})
    queries.append({"filters": '[{"field":"orderStatus","operator":"in","value":["Pending","Complete"]}]'})
    for query in queries:
        params = parse_search_params(query)
        assert stored_count_key(actor, params) is not None, query
        assert count_orders(session, actor, params) == count_exactly(session, actor, params), query


def test_counts_follow_creates_imports_reimports_and_status_changes(db_session, actor, org):
    first = create_order(db_session, actor, SINGLE_CREATE)
    orders = copy.deepcopy(BULK["orders"])
    orders[1]["takenBySalesRep"] = {"repNumber": "REP-001"}
    import_orders(db_session, actor, orders)
    _assert_counts_match(db_session, actor)

    changed = copy.deepcopy(orders)
    changed[0]["orderStatus"] = "Cancelled"
    changed[0]["channel"] = "Phone"
    changed[1]["takenBySalesRep"] = {"repNumber": "REP-007"}  # same as primary: counted once
    changed[1]["currencyCode"] = "CAD"
    import_orders(db_session, actor, changed + [{"bad": True}], REJECT_FAILED)
    change_status(db_session, actor, first.id, "Processing")
    update_shipping(db_session, actor, first.id, {"method": "Pickup", "total": 0})
    _assert_counts_match(db_session, actor)
    stored = _stored(db_session, org.id)
    assert stored[facets.TOTAL] == 3
    assert stored[("repNumber", "REP-007")] == 2
    assert ("repNumber", "REP-001") not in stored

    facets.rebuild(db_session, org.id)
    db_session.commit()
    assert _stored(db_session, org.id) == stored


def test_reps_total_comes_from_their_rep_count(db_session, actor, org):
    create_order(db_session, actor, SINGLE_CREATE)
    rep = Actor(organization_id=org.id, name="Jordan", role="rep", user_id="u", rep_numbers=("REP-007",))
    params = parse_search_params({})
    assert stored_count_key(rep, params) == ("repNumber", ["REP-007"])
    assert count_orders(db_session, rep, params) == count_exactly(db_session, rep, params) == 1
    other = Actor(organization_id=org.id, name="Sam", role="rep", user_id="v", rep_numbers=("REP-002",))
    assert count_orders(db_session, other, params) == 0


def test_searches_the_counts_cannot_answer_are_counted(db_session, actor):
    for query in ({"q": "PO"}, {"orderStatus": "Pending", "channel": "Phone"},
                  {"filters": '[{"field":"repNumber","operator":"in","value":["REP-1","REP-2"]}]'},
                  {"filters": '[{"field":"orderStatus","operator":"ne","value":"Pending"}]'}):
        assert stored_count_key(actor, parse_search_params(query)) is None, query
