"""The builder's service rules: lookups, pricing, quantity checks, quick add, customer
context, duplicate PO numbers, and submitting through the API's create_order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.models import Customer, Order
from app.domain.errors import ValidationFailed
from app.domain.orders import compute_totals
from app.services import accounts
from app.services import builder as svc
from app.services.context import Actor
from app.services.orders import create_order
from tests.builder.conftest import add_product


def draft(**changes) -> svc.Draft:
    base = svc.Draft(
        customer_number="C-100", company_name="Harbor Industrial", po_number="PO-1", order_type="Direct",
        channel="Phone", terms="Net30", price_tier="Wholesale", currency_code="USD", primary_rep="REP-1",
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_quick_add_reads_tabs_commas_spaces_and_skips_headers_and_blank_lines():
    rows = svc.parse_quick_add("SKU\tQty\nWID-RED\t12\n\nwid-blu, 18\nGSK-001 20\nWID-GRN\tWidget Green\t3\n")
    assert [(r.sku, r.quantity, r.problem) for r in rows] == [
        ("WID-RED", 12, None), ("wid-blu", 18, None), ("GSK-001", 20, None), ("WID-GRN", 3, None),
    ]


def test_quick_add_reports_lines_without_a_usable_quantity():
    rows = svc.parse_quick_add("WID-RED\nWID-BLU  two\nWID-GRN 0\nGSK-001 1.5")
    assert [(r.line_no, r.quantity is None, bool(r.problem)) for r in rows] == [
        (1, True, True), (2, True, True), (3, True, True), (4, True, True)]
    assert rows[0].problem == "has no quantity"


def test_quick_add_matches_skus_case_insensitively_and_reports_unknown_ones(db_session, catalog):
    result = svc.resolve_quick_add(db_session, catalog.id, "wid-red 2\nNOPE-1 4\nWID-BLU\t18\nOLD-001 1",
                                   "Wholesale", "USD")
    assert [(e.sku, q) for e, q in result.added] == [("WID-RED", 2), ("WID-BLU", 18)]
    assert [r.sku for r in result.unknown] == ["NOPE-1", "OLD-001"]
    assert result.message() == "Added 2 lines. Unknown SKUs: NOPE-1 (line 2), OLD-001 (line 4)."


def test_product_lookup_matches_sku_or_every_name_word_and_prices_in_the_tier(db_session, catalog):
    hits = svc.lookup_products(db_session, catalog.id, "wid", "Retail", "USD")
    assert [h.sku for h in hits] == ["WID-BLU", "WID-GRN", "WID-RED"]
    assert hits[0].price == Decimal("3.00")
    assert [h.sku for h in svc.lookup_products(db_session, catalog.id, "green widget", "Retail", "USD")] == ["WID-GRN"]
    assert [h.sku for h in svc.lookup_products(db_session, catalog.id, "gasket", "Retail", "USD")] == ["GSK-001"]
    assert svc.lookup_products(db_session, catalog.id, "gasket", "Retail", "USD")[0].price is None
    assert svc.lookup_products(db_session, catalog.id, "discontinued", "Wholesale", "USD") == []
    assert svc.lookup_products(db_session, catalog.id, "100%_", "Wholesale", "USD") == []


def test_lookups_never_cross_organizations(db_session, catalog):
    other = accounts.create_organization(db_session, "Other Co")
    add_product(db_session, other, "WID-OTHER", "Widget Other", {("Wholesale", "USD"): "1.00"})
    db_session.add(Customer(organization_id=other.id, customer_number="C-900", company_name="Harbor Elsewhere"))
    db_session.commit()
    assert "WID-OTHER" not in [h.sku for h in svc.lookup_products(db_session, catalog.id, "wid", "Wholesale", "USD")]
    assert [c.customer_number for c in svc.lookup_customers(db_session, catalog.id, "harbor")] == ["C-100"]


def test_customer_lookup_by_number_company_or_email(db_session, catalog):
    assert [c.customer_number for c in svc.lookup_customers(db_session, catalog.id, "c-2")] == ["C-200"]
    assert [c.customer_number for c in svc.lookup_customers(db_session, catalog.id, "maple")] == ["C-200"]
    assert [c.customer_number for c in svc.lookup_customers(db_session, catalog.id, "buying@")] == ["C-100"]
    assert [c.customer_number for c in svc.lookup_customers(db_session, catalog.id, "C-")] == ["C-100", "C-200"]


def test_choosing_a_customer_fills_addresses_and_tier_terms_currency_defaults(db_session, catalog):
    d = svc.Draft()
    svc.apply_customer(d, svc.customer_by_number(db_session, catalog.id, "C-100"), catalog)
    assert (d.company_name, d.price_tier, d.terms, d.currency_code) == ("Harbor Industrial", "Retail", "Net60", "USD")
    assert d.billing_address["address1"] == "1 Harbor Way" and d.shipping_address["address1"] == "9 Dock Rd"


def test_lines_take_the_tier_list_price_and_show_its_source(db_session, catalog):
    view = svc.evaluate(db_session, catalog, draft(lines=[svc.DraftLine("a", "WID-RED", quantity="3")]))
    line = view.lines[0]
    assert (line.line.price, line.price_source, line.subtotal) == ("10.00", "Wholesale list", Decimal("30.00"))
    assert line.line.name == "Widget Red"


def test_a_tier_change_reprices_lines_except_overridden_ones(db_session, catalog):
    lines = [svc.DraftLine("a", "WID-RED", quantity="1", price="10.00"),
             svc.DraftLine("b", "WID-GRN", quantity="1", price="5.55", overridden=True)]
    view = svc.evaluate(db_session, catalog, draft(price_tier="Retail", lines=lines))
    assert [(v.line.price, v.repriced) for v in view.lines] == [("14.50", True), ("5.55", False)]
    assert view.lines[1].price_source == "Overridden (list $9.00)"
    assert view.totals.subtotal == Decimal("20.05")


def test_a_currency_without_a_list_price_leaves_the_price_to_the_rep(db_session, catalog):
    view = svc.evaluate(db_session, catalog, draft(currency_code="CAD", lines=[
        svc.DraftLine("a", "GSK-001", quantity="10", price="0.35")]))
    assert (view.lines[0].line.price, view.lines[0].price_source) == ("", "No Wholesale price in CAD")
    assert view.lines[0].subtotal is None


def test_quantities_are_checked_against_minimum_and_increment_with_nearest_valid(db_session, catalog):
    def check(qty: str):
        v = svc.evaluate(db_session, catalog, draft(lines=[svc.DraftLine("a", "WID-BLU", quantity=qty)])).lines[0]
        return v.problem, v.nearest

    assert check("5") == ("Quantity 5 of WID-BLU must be at least the minimum order quantity of 12", [12])
    problem, nearest = check("20")
    assert nearest == [18, 24] and problem.startswith("Quantity 20 of WID-BLU must be 12 plus a multiple")
    assert check("24") == (None, [])
    assert check("2.5")[0] == "Quantity of WID-BLU must be a whole number"


def test_totals_are_the_domain_totals_in_the_currency(db_session, catalog):
    lines = [svc.DraftLine("a", "WID-BLU", quantity="18"), svc.DraftLine("b", "WID-RED", quantity="3")]
    view = svc.evaluate(db_session, catalog, draft(lines=lines, shipping_total="12.5", tax="4.10"))
    expected = compute_totals([(18, Decimal("2.125"), Decimal(0)), (3, Decimal("10.00"), Decimal(0))],
                              currency="USD", shipping=Decimal("12.5"), tax=Decimal("4.10"))
    assert view.totals == expected
    assert (view.fmt(view.totals.subtotal), view.fmt(view.totals.total)) == ("$68.25", "$84.85")


def _order(session, actor, number: str, po: str, rep: str, skus: list[tuple[str, int]]) -> str:
    payload = svc.draft_payload(draft(customer_number=number, po_number=po, primary_rep=rep, lines=[
        svc.DraftLine(str(i), sku, quantity=str(q), price="1.00") for i, (sku, q) in enumerate(skus)]), actor)
    return create_order(session, actor, payload).id


def test_customer_context_lists_last_five_orders_and_most_ordered_products(db_session, catalog, actor):
    for n in range(6):
        _order(db_session, actor, "C-100", f"PO-{n}", "REP-1", [("WID-RED", 1)] + ([("WID-BLU", 12)] if n % 2 else []))
    _order(db_session, actor, "C-200", "PO-X", "REP-2", [("WID-GRN", 1)])
    ctx = svc.customer_context(db_session, actor, "C-100")
    assert len(ctx.recent) == 5 and {o.po_number for o in ctx.recent} <= {f"PO-{n}" for n in range(6)}
    assert [(p.sku, p.times_ordered, p.quantity) for p in ctx.frequent] == [("WID-RED", 6, 6), ("WID-BLU", 3, 36)]
    rep2 = Actor(organization_id=catalog.id, name="Sam", role="rep", rep_numbers=("REP-2",))
    assert svc.customer_context(db_session, rep2, "C-100").recent == []


def test_duplicate_po_is_found_for_the_same_customer_only(db_session, catalog, actor):
    order_id = _order(db_session, actor, "C-100", "PO-77", "REP-1", [("WID-RED", 1)])
    dupes = svc.duplicate_po(db_session, actor, "C-100", " PO-77 ")
    assert [(d.order_id, d.visible) for d in dupes] == [(order_id, True)]
    assert svc.duplicate_po(db_session, actor, "C-200", "PO-77") == []
    rep2 = Actor(organization_id=catalog.id, name="Sam", role="rep", rep_numbers=("REP-2",))
    assert [d.visible for d in svc.duplicate_po(db_session, rep2, "C-100", "PO-77")] == [False]


def test_customer_history_is_the_context_and_the_duplicate_pos_together(db_session, catalog, actor):
    """The form's one-query version answers exactly what the two separate lookups do,
    for a rep (who sees only their orders, but is warned of every same-PO order)."""
    for n in range(7):
        _order(db_session, actor, "C-100", "PO-77" if n in (1, 5) else f"PO-{n}", "REP-1" if n % 3 else "REP-2",
               [("WID-RED", 1)] + ([("WID-GRN", 2)] if n % 2 else []))
    _order(db_session, actor, "C-200", "PO-77", "REP-1", [("WID-GRN", 1)])
    rep1 = Actor(organization_id=catalog.id, name="Jordan", role="rep", rep_numbers=("REP-1",))
    for who in (actor, rep1):
        for po in ("PO-77", "", "PO-NONE"):
            context, duplicates = svc.customer_history(db_session, who, " C-100 ", po)
            assert context == svc.customer_context(db_session, who, "C-100")
            assert duplicates == svc.duplicate_po(db_session, who, "C-100", po)
    context, duplicates = svc.customer_history(db_session, rep1, "C-100", "PO-77")
    assert len(context.recent) == 4 and [d.visible for d in duplicates] == [True, True]
    assert {d.order_id for d in duplicates} == {o.id for o in db_session.scalars(
        select(Order).where(Order.customer_number == "C-100", Order.po_number == "PO-77"))}
    assert svc.customer_history(db_session, rep1, "", "PO-77") == (svc.CustomerContext([], []), [])


def test_a_draft_submits_through_create_order_and_a_new_customer_joins_the_directory(db_session, catalog, actor):
    d = draft(customer_number="C-NEW", company_name="Brand New Ltd", company_email="hi@new.example",
              shipping_total="5", tax="1.25", shipping_method="Freight",
              shipping_address={"address1": "2 Pier St", "city": "Seattle"},
              lines=[svc.DraftLine("a", "WID-BLU", quantity="18"), svc.DraftLine("b", "WID-RED", quantity="2")])
    view = svc.evaluate(db_session, catalog, d)
    result = create_order(db_session, actor, svc.draft_payload(d, actor))
    order = db_session.get(Order, result.id)
    assert order.order_total == view.totals.total == Decimal("64.50")
    assert order.shipping_address == {"address1": "2 Pier St", "city": "Seattle"}
    assert order.user_type == "SalesRep"
    new = svc.customer_by_number(db_session, catalog.id, "C-NEW")
    assert (new.company_name, new.default_price_tier, new.default_currency) == ("Brand New Ltd", "Wholesale", "USD")


def test_a_rejected_draft_reports_field_paths_and_writes_nothing(db_session, catalog, actor):
    d = draft(company_name="", po_number="", tax="abc", lines=[
        svc.DraftLine("a", "WID-RED", quantity="1"), svc.DraftLine("b", "WID-BLU", quantity="5")])
    svc.evaluate(db_session, catalog, d)
    with pytest.raises(ValidationFailed) as caught:
        create_order(db_session, actor, svc.draft_payload(d, actor))
    paths = {e.field for e in caught.value.errors}
    assert paths == {"customer.companyName", "poNumber", "tax", "items[1].quantity"}
    assert svc.line_for_path("items[1].quantity", d.lines) == (d.lines[1], "quantity")
    assert svc.line_for_path("items[7].quantity", d.lines) is None
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_typed_price_marks_the_line_overridden_unless_it_equals_the_list_price(db_session, catalog):
    lines = [svc.DraftLine("a", "WID-RED", quantity="1", price="9.25"),
             svc.DraftLine("b", "WID-GRN", quantity="1", price="7.00")]
    view = svc.evaluate(db_session, catalog, draft(lines=lines), priced_by_rep={"a", "b"})
    assert [(v.line.overridden, v.price_source) for v in view.lines] == [
        (True, "Overridden (list $10.00)"), (False, "Wholesale list")]
    assert view.totals.subtotal == Decimal("16.25")


def test_only_a_signed_in_rep_must_stay_on_the_orders_they_create(db_session, catalog):
    """A rep naming someone else as both reps is refused; an API token or a manager may
    create any order, since they see every order of the organization."""
    payload = svc.draft_payload(draft(primary_rep="REP-2", taken_by_rep="REP-2", lines=[
        svc.DraftLine("a1", "WID-RED", quantity="1", price="10.00")]), Actor(organization_id=catalog.id, name="x"))
    rep1 = Actor(organization_id=catalog.id, name="Jordan", role="rep", rep_numbers=("REP-1",))
    with pytest.raises(ValidationFailed) as refused:
        create_order(db_session, rep1, payload)
    assert [e.field for e in refused.value.errors] == ["takenBySalesRep.repNumber"]
    db_session.rollback()
    token = Actor(organization_id=catalog.id, name="ERP", token_id="t-1")
    manager = Actor(organization_id=catalog.id, name="Morgan", role="manager")
    for who in (token, manager):
        payload["externalId"] = f"ext-{who.name}"
        assert create_order(db_session, who, payload).id
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(Order)) == 2
