import csv
import io
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from app.services.orders import change_status, get_order
from tests.web.helpers import csrf_from, login, make_user, order_for

HX = {"HX-Request": "true"}


@pytest.fixture()
def manager(app, db_session, org):
    make_user(db_session, org, "manager", "boss@acme.example")
    client = app.test_client()
    login(client, "boss@acme.example")
    return client


@pytest.fixture()
def rep(app, db_session, org):
    make_user(db_session, org, "rep", "rep@acme.example", rep_number="REP-1")
    client = app.test_client()
    login(client, "rep@acme.example")
    return client


@pytest.fixture()
def orders(db_session, actor):
    mine = order_for(db_session, actor, "REP-1", "E-1", poNumber="PO-MINE")
    theirs = order_for(db_session, actor, "REP-2", "E-2", poNumber="PO-THEIRS")
    taken = order_for(db_session, actor, "REP-2", "E-3", poNumber="PO-TAKEN", takenBySalesRep={"repNumber": "REP-1"})
    return {"mine": mine, "theirs": theirs, "taken": taken}


def test_reps_see_only_their_orders_managers_see_all(rep, manager, orders):
    html = rep.get("/orders").get_data(as_text=True)
    assert "PO-MINE" in html and "PO-TAKEN" in html and "PO-THEIRS" not in html
    assert "2 orders" in html
    assert rep.get(f"/orders/{orders['theirs']}").status_code == 404
    assert rep.get(f"/orders/{orders['theirs']}/shipping/edit", headers=HX).status_code == 404
    assert rep.post(f"/orders/{orders['theirs']}/status", data={"status": "Processing"}).status_code in (400, 403, 404)
    assert rep.get(f"/orders/{orders['taken']}").status_code == 200
    html = manager.get("/orders").get_data(as_text=True)
    assert "3 orders" in html and "PO-THEIRS" in html
    assert manager.get(f"/orders/{orders['theirs']}").status_code == 200


def test_search_returns_a_fragment_to_htmx_and_a_page_otherwise(manager, orders):
    page = manager.get("/orders?q=PO-MINE")
    fragment = manager.get("/orders?q=PO-MINE&status=", headers=HX)
    assert "<html" in page.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    assert "1 order" in fragment.get_data(as_text=True) and "PO-THEIRS" not in fragment.get_data(as_text=True)
    assert fragment.headers["HX-Push-Url"] == "/orders?q=PO-MINE"
    # Every key and value quoted as a form would send it, in the view's order.
    odd = manager.get("/orders", query_string={"q": "a b&c=ü/%+", "sort": "orderTotal", "dir": "desc"}, headers=HX)
    assert odd.headers["HX-Push-Url"] == "/orders?" + urlencode({"q": "a b&c=ü/%+", "sort": "orderTotal", "dir": "desc"})
    sorted_ = manager.get("/orders", query_string={"q": "PO-MINE", "sort": "orderTotal", "dir": "desc"}, headers=HX)
    assert 'href="/orders?q=PO-MINE&amp;sort=orderTotal&amp;dir=asc"' in sorted_.get_data(as_text=True)
    for response in (page, fragment):
        assert "HX-Request" in response.headers["Vary"]
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_filters_sorting_and_paging_are_in_the_url(manager, db_session, actor, orders):
    change_status(db_session, actor, orders["theirs"], "Processing")
    html = manager.get("/orders?status=Processing").get_data(as_text=True)
    assert "PO-THEIRS" in html and "PO-MINE" not in html
    html = manager.get("/orders?rep=REP-1").get_data(as_text=True)
    assert "PO-MINE" in html and "PO-TAKEN" in html and "PO-THEIRS" not in html
    html = manager.get("/orders?sort=poNumber&dir=asc").get_data(as_text=True)
    assert html.index("PO-MINE") < html.index("PO-TAKEN") < html.index("PO-THEIRS")
    assert 'aria-sort="ascending"' in html
    bad = manager.get("/orders?from=yesterday&sort=secret")
    assert bad.status_code == 400 and "Check the filters" in bad.get_data(as_text=True)


def test_pagination_counts_pages(manager, db_session, actor):
    for n in range(30):
        order_for(db_session, actor, "REP-1", f"P-{n}")
    html = manager.get("/orders").get_data(as_text=True)
    assert "30 orders · page 1 of 2" in html and 'rel="next"' in html
    html = manager.get("/orders?page=2").get_data(as_text=True)
    assert "page 2 of 2" in html and 'rel="prev"' in html and html.count("<tr>") == 5 + 1


def test_empty_state_helps(manager, orders):
    html = manager.get("/orders?q=nothing-like-this").get_data(as_text=True)
    assert "No orders match" in html and "Clear search and filters" in html


def test_csv_export_streams_exactly_the_current_result(manager, db_session, actor, orders):
    response = manager.get("/orders.csv?q=PO-T")
    assert response.is_streamed and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Order #", "Order date (UTC)", "Status"]
    assert sorted(r[5] for r in rows[1:]) == ["PO-TAKEN", "PO-THEIRS"]
    assert rows[1][15] == "479.3000" or Decimal(rows[1][15]) == Decimal("479.30")


def test_csv_export_of_many_orders_yields_in_chunks(manager, db_session, actor):
    import copy

    from app.services.orders import import_orders
    from tests.seed_examples import BULK

    batch = []
    for n in range(2500):
        o = copy.deepcopy(BULK["orders"][1])
        o.update(externalId=f"CSV-{n}", orderNumber=f"CSV-{n:05d}", poNumber="=HYPERLINK(1)")
        batch.append(o)
    for start in range(0, 2500, 1000):
        import_orders(db_session, actor, batch[start:start + 1000])
    response = manager.get("/orders.csv")
    chunks = [c for c in response.response if c]
    assert len(chunks) >= 3  # header + rows arrive in several pieces, not one buffered body
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert len(rows) == 2501
    assert rows[1][5] == "'=HYPERLINK(1)"  # not a spreadsheet formula


def test_order_page_shows_everything_and_escapes_user_text(manager, db_session, actor):
    oid = order_for(db_session, actor, "REP-1", "E-X", notes="<script>alert(1)</script>",
                    customer={"customerNumber": "C-1", "companyName": "<b>Bold</b> & Co"})
    html = manager.get(f"/orders/{oid}").get_data(as_text=True)
    for text in ("ORD-00001", "WDG-BLU-L", "$12.50", "$300.00", "$432.00", "$18.50", "$28.80", "$479.30",
                 "PO-88412", "Net30", "Phone", "FedEx Ground", "REP-1"):
        assert text in html, text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    assert "Mark Processing" in html and "Cancel order" in html


def test_shipping_edit_in_place_with_errors_then_save(manager, db_session, actor, orders):
    oid = orders["mine"]
    form = manager.get(f"/orders/{oid}/shipping/edit", headers=HX)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in html and 'value="FedEx Ground"' in html
    token = csrf_from(manager.get(f"/orders/{oid}").get_data(as_text=True))
    bad = manager.post(f"/orders/{oid}/shipping/edit", headers=HX,
                       data={"csrf_token": token, "method": "UPS", "total": "-5", "city": "Salem"})
    assert bad.status_code == 422
    assert "must not be negative" in bad.get_data(as_text=True)
    assert get_order(db_session, actor, oid).shipping_method == "FedEx Ground"
    ok = manager.post(f"/orders/{oid}/shipping/edit", headers=HX,
                      data={"csrf_token": token, "method": "UPS Ground", "total": "42.00", "address1": "1 Main St",
                            "city": "Salem", "stateProvince": "OR", "zipPostalCode": "97301", "country": "US"})
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "UPS Ground" in html and "Shipping details saved" in html
    assert 'id="totals" class="totals" hx-swap-oob="true"' in html and "$502.80" in html
    assert 'id="history"' in html and "Shipping details changed" in html
    db_session.expire_all()
    assert get_order(db_session, actor, oid).shipping_total == Decimal("42.00")
    assert manager.post(f"/orders/{oid}/shipping/edit", headers=HX, data={"method": "x", "total": "1"}).status_code == 400


def test_customer_edit_and_locked_status_message(manager, db_session, actor, orders):
    oid = orders["mine"]
    token = csrf_from(manager.get(f"/orders/{oid}").get_data(as_text=True))
    bad = manager.post(f"/orders/{oid}/customer/edit", headers=HX,
                       data={"csrf_token": token, "customerNumber": "C-9", "companyName": "New Name", "companyEmail": "nope"})
    assert bad.status_code == 422 and "not a valid email" in bad.get_data(as_text=True)
    ok = manager.post(f"/orders/{oid}/customer/edit", headers=HX,
                      data={"csrf_token": token, "customerNumber": "C-9", "companyName": "New Name"})
    assert ok.status_code == 200 and "New Name" in ok.get_data(as_text=True)
    change_status(db_session, actor, oid, "Cancelled")
    locked = manager.post(f"/orders/{oid}/customer/edit", headers=HX,
                          data={"csrf_token": token, "customerNumber": "C-9", "companyName": "Again"})
    assert locked.status_code == 409 and "Cancelled order" in locked.get_data(as_text=True)


def test_status_change_shows_in_history_and_refusals_read_well(manager, rep, db_session, actor, orders):
    oid = orders["mine"]
    token = csrf_from(manager.get(f"/orders/{oid}").get_data(as_text=True))
    done = manager.post(f"/orders/{oid}/status", headers=HX, data={"csrf_token": token, "status": "Processing"})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "Status changed to Processing" in html and "Mark Shipped" in html
    refused = manager.post(f"/orders/{oid}/status", headers=HX, data={"csrf_token": token, "status": "Complete"})
    assert refused.status_code == 409 and "cannot move to Complete" in refused.get_data(as_text=True)
    rep_token = csrf_from(rep.get(f"/orders/{oid}").get_data(as_text=True))
    assert rep.post(f"/orders/{oid}/status", data={"csrf_token": rep_token, "status": "Shipped"}).status_code == 403
    assert "Mark Shipped" not in rep.get(f"/orders/{oid}").get_data(as_text=True)


def test_direct_visit_to_a_fragment_url_gets_a_full_page(manager, orders):
    oid = orders["mine"]
    page = manager.get(f"/orders/{oid}/shipping/edit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'name="method"' in html and "Items" in html
    assert manager.get(f"/orders/{oid}/shipping").status_code == 302
    assert "<html" in manager.get("/orders?q=x").get_data(as_text=True)


def test_error_pages_are_styled(manager):
    response = manager.get("/orders/not-an-order")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "Back to orders" in html and "/static/css/app." in html
    assert manager.get("/no-such-page").status_code == 404


def test_an_error_is_a_fragment_for_htmx_swaps_and_a_page_for_boosted_navigation(manager):
    """The one rule of app.web.htmx decides: a fragment request gets the message alone,
    a boosted link or a history restore wants the whole page."""
    fragment = manager.get("/orders/not-an-order", headers=HX)
    assert fragment.status_code == 404 and "<html" not in fragment.get_data(as_text=True)
    assert 'role="alert"' in fragment.get_data(as_text=True)
    for extra in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):
        page = manager.get("/orders/not-an-order", headers={**HX, **extra})
        assert page.status_code == 404 and "Back to orders" in page.get_data(as_text=True)


def test_an_unexpected_error_is_a_styled_500_not_a_traceback(manager, monkeypatch):
    from app.services import search as search_service

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(search_service, "search_orders", broken)
    response = manager.get("/orders")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html and "/static/css/app." in html and "database on fire" not in html
    fragment = manager.get("/orders?q=x", headers=HX)
    assert fragment.status_code == 500 and "<html" not in fragment.get_data(as_text=True)


def test_nul_characters_in_urls_and_forms_are_a_400(manager, orders):
    oid = orders["mine"]
    token = csrf_from(manager.get(f"/orders/{oid}").get_data(as_text=True))
    assert manager.get("/orders/%00").status_code == 400
    assert manager.get("/orders/new/customers?q=%00").status_code == 400
    assert manager.post(f"/orders/{oid}/shipping/edit", headers=HX,
                        data={"csrf_token": token, "method": "a\x00b", "total": "1"}).status_code == 400


def test_absurd_quantities_are_not_numbers_in_the_builder():
    from app.services.builder import parse_decimal, parse_quantity

    assert parse_quantity("1e1000000") is None
    assert parse_quantity("1e999999999") is None
    assert parse_quantity("24") == 24 and parse_decimal("1,250.50") == Decimal("1250.50")
