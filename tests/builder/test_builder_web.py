"""The builder's pages and fragments through the Flask test client: lookups, lines,
out-of-band totals, overrides, quick add, and submitting through create_order."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.models import Order
from tests.builder.conftest import csrf_from

HX = {"HX-Request": "true"}


def base_form(csrf: str, **extra) -> dict:
    form = {
        "csrf_token": csrf, "customer.customerNumber": "C-100", "customer.companyName": "Harbor Industrial",
        "poNumber": "PO-9", "orderType": "Direct", "channel": "Phone", "terms": "Net30", "priceTier": "Wholesale",
        "currencyCode": "USD", "primarySalesRep.repNumber": "REP-1", "takenBySalesRep.repNumber": "REP-1",
    }
    form.update(extra)
    return form


def lines(*rows: tuple[str, str, str, str, str]) -> dict:
    """(key, sku, quantity, price, overridden) → the line fields of the form."""
    out: dict = {"line": [r[0] for r in rows]}
    for key, sku, qty, price, over in rows:
        out.update({f"items-{key}-sku": sku, f"items-{key}-quantity": qty, f"items-{key}-price": price,
                    f"items-{key}-overridden": over})
    return out


def page_csrf(client) -> str:
    response = client.get("/orders/new")
    assert response.status_code == 200
    return csrf_from(response.get_data(as_text=True))


def test_the_builder_needs_a_signed_in_user(client):
    assert client.get("/orders/new").status_code in (302, 401)


def test_a_new_order_defaults_to_the_signed_in_reps_number(rep_client):
    html = rep_client.get("/orders/new").get_data(as_text=True)
    assert re.search(r'<option value="REP-1" selected>', html)
    assert 'role="combobox"' in html and 'aria-controls="product-results"' in html
    assert "<script>" not in html.split("</head>")[-1].replace('<script src=', '')


def test_customer_lookup_lists_matches_as_listbox_options(rep_client):
    html = rep_client.get("/orders/new/customers?q=harb", headers=HX).get_data(as_text=True)
    assert html.count('role="option"') == 1 and "Harbor Industrial" in html and "C-100" in html
    assert "No customer matches" in rep_client.get("/orders/new/customers?q=zzz", headers=HX).get_data(as_text=True)


def test_product_lookup_shows_the_price_of_the_chosen_tier_and_currency(rep_client):
    html = rep_client.get("/orders/new/products?q=wid-blu&priceTier=Retail&currencyCode=USD").get_data(as_text=True)
    assert "WID-BLU" in html and "$3.00 Retail" in html and "min 12, step 6" in html


def test_choosing_a_customer_fills_defaults_and_reprices_lines(rep_client):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, **{"customer.customerNumber": "", "customer.companyName": ""},
                     **lines(("a1", "WID-RED", "2", "10.00", ""), ("b2", "WID-GRN", "1", "5.00", "1")))
    html = rep_client.post("/orders/new/customer", data={**form, "choose": "C-100"}, headers=HX).get_data(as_text=True)
    assert 'value="Harbor Industrial"' in html and 'value="9 Dock Rd"' in html
    assert '<option value="Retail" selected>' in html and '<option value="Net60" selected>' in html
    assert re.search(r'id="f-items-a1-price"[^>]*value="14.50"[^>]*hx-swap-oob', html)
    assert 'id="f-items-b2-price"' not in html
    assert "$34.00" in html  # 2 × 14.50 + 5.00


def test_adding_a_line_uses_the_minimum_quantity_and_list_price(rep_client):
    csrf = page_csrf(rep_client)
    html = rep_client.post("/orders/new/lines", data={**base_form(csrf), "add": "WID-BLU"}, headers=HX).get_data(as_text=True)
    assert 'hx-swap-oob="beforeend:#lines-body"' in html
    assert re.search(r'name="items-[a-z0-9]+-quantity"[^>]*value="12"', html)
    assert 'value="2.125"' in html and "Wholesale list" in html
    assert '<dd id="total-total" class="num">$25.50</dd>' in html


def test_a_typed_price_marks_the_line_overridden_and_totals_follow(rep_client):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, **lines(("a1", "WID-RED", "3", "9.10", "")))
    html = rep_client.post("/orders/new/recalc", data=form,
                           headers={**HX, "HX-Trigger-Name": "items-a1-price"}).get_data(as_text=True)
    assert 'name="items-a1-overridden" value="1"' in html and "Overridden" in html and "list $10.00" in html
    assert 'id="f-items-a1-price"' not in html  # the box being typed in is never swapped
    assert '<dd id="total-subtotal" class="num">$27.30</dd>' in html


def test_a_quantity_below_the_minimum_offers_the_nearest_valid_quantities(rep_client):
    csrf = page_csrf(rep_client)
    html = rep_client.post("/orders/new/recalc", data=base_form(csrf, **lines(("a1", "WID-BLU", "20", "2.125", ""))),
                           headers=HX).get_data(as_text=True)
    assert "Quantity 20 of WID-BLU must be 12 plus a multiple" in html
    assert 'data-set-qty="18"' in html and 'data-set-qty="24"' in html


def test_a_tier_change_sends_prices_sources_and_totals_but_not_the_unchanged_quantity_checks(rep_client):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, priceTier="Retail", **lines(("a1", "WID-RED", "2", "10.00", ""),
                                                       ("b2", "WID-BLU", "20", "1.00", "1")))
    html = rep_client.post("/orders/new/recalc", data=form,
                           headers={**HX, "HX-Trigger-Name": "priceTier"}).get_data(as_text=True)
    assert re.search(r'id="f-items-a1-price"[^>]*value="14.50"[^>]*hx-swap-oob', html)
    assert 'id="f-items-b2-price"' not in html  # overridden: keeps the rep's price
    assert "Retail list" in html and "list $3.00" in html
    assert '<span id="line-a1-subtotal" hx-swap-oob="innerHTML">$29.00</span>' in html
    assert '<dd id="total-subtotal" class="num">$49.00</dd>' in html
    assert "qty-msg" not in html
    html = rep_client.post("/orders/new/recalc", data=form,
                           headers={**HX, "HX-Trigger-Name": "items-b2-quantity"}).get_data(as_text=True)
    assert 'id="line-b2-qty-msg"' in html and "Quantity 20 of WID-BLU must be 12 plus a multiple" in html


@pytest.mark.postgres_only
def test_fragments_read_outside_a_transaction_and_leave_the_session_as_it_was(rep_client, db_session, catalog):
    """On PostgreSQL the lookups run in autocommit and hand the connection back when done (no
    transaction left open); afterwards the session is transactional again, so a rollback
    still undoes what was not committed."""
    from app.db.models import Customer

    csrf = page_csrf(rep_client)
    db_session.commit()
    html = rep_client.post("/orders/new/customer", data={**base_form(csrf), "choose": "C-100"},
                           headers=HX).get_data(as_text=True)
    assert 'value="Harbor Industrial"' in html
    assert not db_session().in_transaction()
    assert "Harbor Industrial" in rep_client.get("/orders/new/customers?q=harb", headers=HX).get_data(as_text=True)
    assert not db_session().in_transaction()
    db_session.add(Customer(organization_id=catalog.id, customer_number="C-TMP", company_name="Not kept"))
    db_session.flush()
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Customer).where(Customer.customer_number == "C-TMP")) == 0


def test_removing_a_line_deletes_its_row_and_retotals(rep_client):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, **lines(("a1", "WID-RED", "1", "10.00", ""), ("b2", "WID-GRN", "1", "7.00", "")))
    html = rep_client.post("/orders/new/recalc", data={**form, "remove": "a1"}, headers=HX).get_data(as_text=True)
    assert '<div id="line-a1" hx-swap-oob="delete">' in html
    assert '<dd id="total-total" class="num">$7.00</dd>' in html


def test_quick_add_adds_known_skus_and_leaves_unknown_ones_in_the_box(rep_client):
    csrf = page_csrf(rep_client)
    html = rep_client.post("/orders/new/quick-add", data={**base_form(csrf), "quick_add": "WID-RED\t4\nNOPE 2\nwid-grn, 1"},
                           headers=HX).get_data(as_text=True)
    assert html.count('<tr id="line-') == 2
    assert "Added 2 lines. Unknown SKU: NOPE (line 2)." in html
    assert re.search(r"<textarea[^>]*>NOPE 2</textarea>", html)
    assert '<dd id="total-total" class="num">$47.00</dd>' in html


def test_duplicate_po_for_the_same_customer_is_a_warning(rep_client):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, **lines(("a1", "WID-RED", "1", "10.00", "")))
    first = rep_client.post("/orders/new", data=form, headers=HX)
    assert first.status_code == 204
    html = rep_client.get("/orders/new/po-check?customer.customerNumber=C-100&poNumber=PO-9").get_data(as_text=True)
    assert "Duplicate PO?" in html and "You can still create this order." in html
    assert rep_client.get("/orders/new/po-check?customer.customerNumber=C-200&poNumber=PO-9").get_data(as_text=True).strip() == ""


def test_a_rejected_order_shows_each_error_beside_its_field_and_writes_nothing(rep_client, db_session):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, poNumber="", tax="lots", **lines(("a1", "WID-RED", "1", "10.00", ""),
                                                            ("b2", "WID-BLU", "5", "2.125", "")))
    response = rep_client.post("/orders/new", data=form, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in html and "3 problems" in html
    assert re.search(r'id="f-poNumber"[^>]*aria-describedby="f-poNumber-error1"[^>]*aria-invalid="true"', html)
    assert 'id="f-tax-error1"' in html and "“lots” is not an amount" in html
    assert 'href="#f-items-b2-quantity"' in html
    assert "PO number: is required" in html and "Tax: “lots” is not an amount: type digits 0–9" in html
    assert "Quantity 5 of WID-BLU must be at least the minimum order quantity of 12" in html
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_valid_order_is_created_through_the_api_service_and_redirects_to_it(rep_client, db_session):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, **{"shippingDetails.total": "12.50", "tax": "3.05", "shippingDetails.method": "Freight",
                              "customer.billingAddress.city": "Portland"},
                     **lines(("a1", "WID-BLU", "18", "2.125", ""), ("b2", "WID-RED", "2", "9.99", "1")))
    response = rep_client.post("/orders/new", data=form, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Trigger"] == "orderCreated"
    order = db_session.scalars(select(Order)).one()
    assert response.headers["HX-Redirect"] == f"/orders/{order.id}"
    assert (order.subtotal, order.shipping_total, order.tax, order.order_total) == (
        Decimal("58.23"), Decimal("12.50"), Decimal("3.05"), Decimal("73.78"))
    assert [(ln.sku, ln.quantity, str(ln.price).rstrip("0")) for ln in order.items] == [
        ("WID-BLU", 18, "2.125"), ("WID-RED", 2, "9.99")]
    assert (order.primary_rep_number, order.user_type, order.billing_address) == ("REP-1", "SalesRep", {"city": "Portland"})


def test_a_rep_building_for_a_colleague_stays_taken_by_rep_and_can_open_the_order(rep_client, db_session):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, **{"primarySalesRep.repNumber": "REP-2"}, **lines(("a1", "WID-RED", "1", "10.00", "")))
    response = rep_client.post("/orders/new", data=form, headers=HX)
    assert response.status_code == 204
    order = db_session.scalars(select(Order)).one()
    assert (order.primary_rep_number, order.taken_by_rep_number) == ("REP-2", "REP-1")
    assert rep_client.get(response.headers["HX-Redirect"]).status_code == 200


def test_a_rep_cannot_create_an_order_they_would_not_see(rep_client, db_session):
    """Neither primary nor taken-by rep: refused beside the taken-by field, nothing written."""
    csrf = page_csrf(rep_client)
    form = base_form(csrf, **{"primarySalesRep.repNumber": "REP-2", "takenBySalesRep.repNumber": "REP-2"},
                     **lines(("a1", "WID-RED", "1", "10.00", "")))
    response = rep_client.post("/orders/new", data=form, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-takenBySalesRep-repNumber-error1"' in html
    assert "must be you (REP-1) when someone else is the primary rep" in html
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


def test_without_htmx_a_created_order_redirects_with_303(rep_client):
    csrf = page_csrf(rep_client)
    response = rep_client.post("/orders/new", data=base_form(csrf, **lines(("a1", "WID-RED", "1", "10.00", ""))))
    assert response.status_code == 303 and response.headers["Location"].startswith("/orders/")


def test_a_saved_draft_renders_back_into_the_form(rep_client):
    csrf = page_csrf(rep_client)
    form = base_form(csrf, notes="Call first", **lines(("a1", "WID-RED", "3", "8.00", "1")))
    html = rep_client.post("/orders/new/draft", data=form, headers={**HX, "X-CSRFToken": csrf}).get_data(as_text=True)
    assert 'value="PO-9"' in html and "Call first</textarea>" in html
    assert 'name="items-a1-overridden" value="1"' in html and '<dd id="total-total" class="num">$24.00</dd>' in html


def test_another_organizations_customers_and_products_stay_out_of_reach(rep_client, db_session):
    from app.db.models import Customer
    from app.services import accounts
    from tests.builder.conftest import add_product

    other = accounts.create_organization(db_session, "Other Co")
    add_product(db_session, other, "OTH-1", "Widget elsewhere", {("Wholesale", "USD"): "1.00"})
    db_session.add(Customer(organization_id=other.id, customer_number="X-1", company_name="Harbor Elsewhere"))
    db_session.commit()
    assert "Harbor Elsewhere" not in rep_client.get("/orders/new/customers?q=harbor").get_data(as_text=True)
    assert "OTH-1" not in rep_client.get("/orders/new/products?q=oth").get_data(as_text=True)
    csrf = page_csrf(rep_client)
    html = rep_client.post("/orders/new/customer", data={**base_form(csrf), "choose": "X-1"}, headers=HX).get_data(as_text=True)
    assert "Harbor Elsewhere" not in html
    html = rep_client.post("/orders/new/lines", data={**base_form(csrf), "add": "OTH-1"}, headers=HX).get_data(as_text=True)
    assert "OTH-1 is not in the catalog." in html and "<tr" not in html
