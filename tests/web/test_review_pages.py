"""The managers' pages over HTTP: every figure's link opens a list with the same count;
approve in place from the queue; the role matrix of the new pages and actions; the
settings page; a crafted POST by a rep is refused."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from app.services import org_settings
from app.services.orders import get_order, import_orders
from tests.web.helpers import csrf_from, login, make_user, order_for

HX = {"HX-Request": "true"}
PAGES = ("/dashboard", "/dashboard?period=quarter", "/dashboard/reps", "/dashboard/reps.csv", "/attention",
         "/attention/count")


def signed_in(app, db_session, org, role, email, rep=None):
    make_user(db_session, org, role, email, rep_number=rep)
    client = app.test_client()
    login(client, email)
    return client


@pytest.fixture()
def clients(app, db_session, org):
    return {role: signed_in(app, db_session, org, role, f"{role}@acme.example", "REP-1" if role == "rep" else None)
            for role in ("rep", "manager", "admin")}


@pytest.fixture()
def seeded(db_session, actor, org):
    org_settings.update_review(db_session, actor, {"pending_days": "3", "below_list_percent": "10",
                                                   "discount_percent": "15", "approval_total_USD": "400"})
    now = datetime.now(UTC)
    orders = []
    for i in range(12):
        orders.append({
            "externalId": f"W-{i}", "orderNumber": f"W-{i:03d}", "orderDate": (now - timedelta(days=i * 2)).isoformat(),
            "orderStatus": ["Pending", "Complete", "Cancelled"][i % 3], "orderType": "Direct", "poNumber": f"PO-{i}",
            "priceTier": "Wholesale", "currencyCode": "USD" if i % 4 else "EUR", "channel": ["Phone", "Web"][i % 2],
            "customer": {"customerNumber": f"C-{i % 3}", "companyName": f"Company {i % 3}"},
            "primarySalesRep": {"repNumber": f"REP-{1 + i % 2}"}, "user": {"userType": "SalesRep"},
            "items": [{"sku": f"SKU-{i % 4}", "quantity": 1 + i, "price": 10}],
        })
    import_orders(db_session, actor, orders)
    return orders


def _links(html: str) -> list[tuple[str, str]]:
    return [(unescape(href), re.sub(r"<[^>]+>", "", text).strip())
            for href, text in re.findall(r'<a[^>]*href="(/orders\?[^"]+)"[^>]*>(.*?)</a>', html, re.S)]


def _list_total(client, href: str) -> int:
    html = client.get(href).get_data(as_text=True)
    match = re.search(r'id="result-count">([\d,]+) order', html)
    return int(match.group(1).replace(",", "")) if match else 0


def test_every_count_on_the_dashboard_opens_a_list_with_the_same_total(clients, seeded):
    manager = clients["manager"]
    for page in ("/dashboard", "/dashboard/reps"):
        response = manager.get(page)
        assert response.status_code == 200
        checked = 0
        for href, shown in _links(response.get_data(as_text=True)):
            if re.fullmatch(r"[\d,]+", shown):
                assert _list_total(manager, href) == int(shown.replace(",", "")), (page, href)
                checked += 1
        assert checked >= (20 if page == "/dashboard" else 8), page


def test_the_dashboard_keeps_currencies_apart_and_reads_the_period_from_the_url(clients, seeded):
    html = clients["manager"].get("/dashboard?period=custom&from=2000-01-01&to=2000-01-31&currency=EUR")
    assert html.status_code == 200 and "In EUR" in html.get_data(as_text=True)
    bad = clients["manager"].get("/dashboard?period=custom&from=2020-01-01&to=2019-01-01")
    assert bad.status_code == 400 and "must not be before the start" in bad.get_data(as_text=True)
    text = clients["manager"].get("/dashboard?period=30d").get_data(as_text=True)
    assert 'data-currency="USD"' in text and 'data-currency="EUR"' in text
    assert "<svg" in text and 'role="img"' in text and "<script>" not in text


def test_rep_performance_sorts_and_exports(clients, seeded):
    manager = clients["manager"]
    page = manager.get("/dashboard/reps?sort=orders&dir=asc").get_data(as_text=True)
    assert page.index('data-rep="REP-2"') < page.index('data-rep="REP-1"') or "REP-1" in page
    rows = list(csv.reader(io.StringIO(manager.get("/dashboard/reps.csv?period=30d").get_data(as_text=True))))
    assert rows[0][:3] == ["Rep #", "Rep", "Orders"]
    assert sum(int(r[2]) for r in rows[1:]) == len([o for o in seeded
                                                     if datetime.fromisoformat(o["orderDate"])
                                                     > datetime.now(UTC) - timedelta(days=29)])


def test_role_matrix_of_the_new_pages_and_actions(clients, seeded, db_session, actor):
    order_id = order_for(db_session, actor, "REP-1", "E-RM")
    for path in PAGES:
        assert clients["rep"].get(path).status_code == 403, path
        for role in ("manager", "admin"):
            assert clients[role].get(path).status_code == 200, (role, path)
    assert clients["manager"].get("/settings/review").status_code == 403
    assert clients["admin"].get("/settings/review").status_code == 200
    rep = clients["rep"]
    token = csrf_from(rep.get("/orders").get_data(as_text=True))
    # A crafted POST: the rep's own order, awaiting approval.
    for path, form in ((f"/orders/{order_id}/approval", {"decision": "approve", "reason": "mine"}),
                       (f"/attention/{order_id}/status", {}), (f"/orders/{order_id}/status", {"status": "Processing"})):
        assert rep.post(path, data={"csrf_token": token, **form}).status_code == 403, path
    assert get_order(db_session, actor, order_id).approval_state == "pending"
    # The rep sees it awaiting approval on the order page, with no approve button.
    html = rep.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Awaiting approval" in html and 'value="approve"' not in html


def test_approve_in_place_from_the_queue_then_the_order_leaves_it(clients, db_session, actor, seeded):
    order_id = order_for(db_session, actor, "REP-1", "E-Q")
    manager = clients["manager"]
    page = manager.get("/attention").get_data(as_text=True)
    number = get_order(db_session, actor, order_id).order_number
    assert f'data-order="{number}"' in page
    token = csrf_from(page)
    refused = manager.post(f"/attention/{order_id}/status", data={"csrf_token": token}, headers=HX)
    assert refused.status_code == 409 and "awaiting a manager" in refused.get_data(as_text=True)
    row = manager.post(f"/orders/{order_id}/approval",
                       data={"csrf_token": token, "decision": "approve", "reason": "Fine", "from": "queue"}, headers=HX)
    assert row.status_code == 200 and "approved" in row.get_data(as_text=True)
    moved = manager.post(f"/attention/{order_id}/status", data={"csrf_token": token}, headers=HX)
    assert moved.status_code == 200 and "no longer needs attention" in moved.get_data(as_text=True)
    assert get_order(db_session, actor, order_id).order_status == "Processing"
    html = clients["rep"].get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Approved by" in html and "Fine" in html
    listed = clients["manager"].get("/orders?approval=approved").get_data(as_text=True)
    assert number in listed


def test_the_order_page_offers_no_move_the_approval_gate_would_refuse(clients, db_session, actor, seeded):
    order_id = order_for(db_session, actor, "REP-1", "E-GATE")
    manager = clients["manager"]
    html = manager.get(f"/orders/{order_id}").get_data(as_text=True)
    status_bar = html[html.index('id="status-actions"'):html.index('id="approval"')]
    assert "Mark Processing" not in status_bar and 'value="Processing"' not in status_bar
    assert "Cancel order" in status_bar
    assert "Awaiting approval: it can move to Processing once a manager approves it" in status_bar
    assert 'value="approve"' in html and 'value="reject"' in html
    token = csrf_from(html)
    # Approving in place swaps the status bar: now Processing is offered.
    decided = manager.post(f"/orders/{order_id}/approval",
                           data={"csrf_token": token, "decision": "approve", "reason": "Fine"}, headers=HX)
    swapped = decided.get_data(as_text=True)
    assert decided.status_code == 200 and "Mark Processing" in swapped and 'id="status-held"' not in swapped
    assert "Mark Processing" in manager.get(f"/orders/{order_id}").get_data(as_text=True)


def test_a_rejected_order_offers_no_move_to_processing(clients, db_session, actor, seeded):
    order_id = order_for(db_session, actor, "REP-1", "E-REJ")
    manager = clients["manager"]
    token = csrf_from(manager.get("/attention").get_data(as_text=True))
    manager.post(f"/orders/{order_id}/approval", data={"csrf_token": token, "decision": "reject", "reason": "No"})
    html = manager.get(f"/orders/{order_id}").get_data(as_text=True)
    status_bar = html[html.index('id="status-actions"'):html.index('id="approval"')]
    assert "Mark Processing" not in status_bar and "Cancel order" in status_bar
    assert "Rejected by a manager: it cannot move to Processing until it is approved." in status_bar
    number = get_order(db_session, actor, order_id).order_number
    queue = manager.get("/attention").get_data(as_text=True)
    assert f"Move {number} to Processing" not in queue


def test_admins_edit_thresholds_and_rules_on_the_settings_page(clients, org, db_session):
    admin = clients["admin"]
    token = csrf_from(admin.get("/settings/review").get_data(as_text=True))
    bad = admin.post("/settings/review", data={"csrf_token": token, "pending_days": "0", "below_list_percent": "x",
                                               "discount_percent": "15"})
    assert bad.status_code == 422 and "highlighted" in bad.get_data(as_text=True)
    ok = admin.post("/settings/review", data={"csrf_token": token, "pending_days": "5", "below_list_percent": "12.5",
                                              "discount_percent": "20", "approval_total_USD": "2500",
                                              "approval_allows_email": "1"})
    assert ok.status_code == 200 and "Settings saved" in ok.get_data(as_text=True)
    db_session.refresh(org)
    rules = org_settings.review_settings(org)
    assert (rules.pending_days, str(rules.below_list_percent), str(rules.approval_totals["USD"]),
            rules.approval_allows_email) == (5, "12.5", "2500", True)


def test_managers_land_on_the_dashboard_and_reps_on_their_orders(app, db_session, org):
    make_user(db_session, org, "rep", "r2@acme.example", rep_number="REP-9")
    make_user(db_session, org, "admin", "a2@acme.example")
    assert login(app.test_client(), "r2@acme.example").headers["Location"] == "/orders"
    assert login(app.test_client(), "a2@acme.example").headers["Location"] == "/dashboard"
