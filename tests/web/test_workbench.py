"""The orders list as a workbench over HTTP: the bulk form (managers only), one job per
submitted form, the selection's CSV, saved views (who sees and manages which) and
the column choice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.db.models import Job, SavedView
from app.services.context import Actor
from tests.web.helpers import csrf_from, login, make_user, order_for


@pytest.fixture()
def team(app, db_session, org, actor):
    users = {"manager": make_user(db_session, org, "manager", "boss@acme.example"),
             "rep": make_user(db_session, org, "rep", "rep1@acme.example", rep_number="REP-1"),
             "rep2": make_user(db_session, org, "rep", "rep2@acme.example", rep_number="REP-2")}
    clients = {}
    for role, user in users.items():
        clients[role] = app.test_client()
        assert login(clients[role], user.email).status_code == 302
    orders = {"REP-1": [order_for(db_session, actor, "REP-1", f"W-{n}", poNumber=f"PO-W{n}") for n in range(3)],
              "REP-2": [order_for(db_session, actor, "REP-2", "W-9", poNumber="PO-W9")]}
    return users, clients, orders


def _csrf(client) -> str:
    return csrf_from(client.get("/orders").get_data(as_text=True))


def test_managers_get_the_bulk_form_and_reps_do_not(team):
    _, clients, orders = team
    html = clients["manager"].get("/orders").get_data(as_text=True)
    assert 'id="bulk"' in html and f'name="id" value="{orders["REP-1"][0]}" form="bulk"' in html
    assert 'id="bulk"' not in clients["rep"].get("/orders").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    refused = clients["rep"].post("/orders/bulk", data={"csrf_token": _csrf(clients["rep"]), "token": token,
                                                        "action": "status", "target": "Processing",
                                                        "id": orders["REP-1"]})
    assert refused.status_code == 403


def test_the_same_form_submitted_twice_is_one_job(team, db_session):
    _, clients, orders = team
    html = clients["manager"].get("/orders").get_data(as_text=True)
    form = {"csrf_token": csrf_from(html), "token": re.search(r'name="token" value="([^"]+)"', html).group(1),
            "action": "status", "target": "Processing", "id": orders["REP-1"][:2]}
    first = clients["manager"].post("/orders/bulk", data=form)
    second = clients["manager"].post("/orders/bulk", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert re.fullmatch(r"/jobs/[0-9a-f-]{36}", first.headers["Location"])
    job = db_session.scalars(select(Job)).one()
    assert (job.kind, job.progress_total, job.params["ids"]) == ("orders.bulk", 2, orders["REP-1"][:2])
    missing_reason = clients["manager"].post("/orders/bulk", data={**form, "token": "another-token-1",
                                                                   "action": "cancel", "reason": ""})
    assert missing_reason.status_code == 422 and "reason: is required to cancel orders" in missing_reason.get_data(as_text=True)


def test_all_matching_the_search_stores_the_search_not_the_page(team, db_session):
    _, clients, _ = team
    html = clients["manager"].get("/orders?q=PO-W").get_data(as_text=True)
    form = {"csrf_token": csrf_from(html), "token": "all-matching-01", "action": "email", "all": "1", "q": "PO-W",
            "status": "Pending"}
    assert clients["manager"].post("/orders/bulk", data=form).status_code == 303
    job = db_session.scalars(select(Job)).one()
    assert job.progress_total == 4 and "ids" not in job.params
    assert {f["field"] for f in job.params["search"]["filters"]} == {"orderStatus"}
    assert job.params["search"]["q"] == "PO-W"


def test_the_selection_exports_as_the_lists_csv(team):
    _, clients, orders = team
    picked = orders["REP-1"][:2]
    csv = clients["manager"].get("/orders.csv?" + "&".join(f"id={i}" for i in picked)).get_data(as_text=True)
    assert len(csv.strip().splitlines()) == 3 and csv.startswith("Order #,")
    everything = clients["manager"].get("/orders.csv?all=1&id=" + picked[0]).get_data(as_text=True)
    assert len(everything.strip().splitlines()) == 5
    # A rep's selection cannot reach past what they see.
    rep_csv = clients["rep"].get("/orders.csv?id=" + orders["REP-2"][0]).get_data(as_text=True)
    assert len(rep_csv.strip().splitlines()) == 1


def test_columns_are_shown_hidden_and_ordered_by_the_url(team):
    _, clients, _ = team
    html = clients["manager"].get("/orders?cols=orderTotal,orderNumber").get_data(as_text=True)
    head = html[html.index("<thead>"):html.index("</thead>")]
    assert re.findall(r'data-sort="(\w+)"', head) == ["orderTotal", "orderNumber"]
    assert 'class="c-company"' not in html
    default = clients["manager"].get("/orders?cols=nonsense").get_data(as_text=True)
    assert len(re.findall(r'data-sort="(\w+)"', default[default.index("<thead>"):default.index("</thead>")])) == 7


def test_saved_views_personal_and_shared_with_who_manages_them(team, db_session):
    users, clients, _ = team
    boss, rep = clients["manager"], clients["rep"]
    state = {"q": "PO-W", "status": "Pending", "sort": "orderTotal", "dir": "asc", "cols": "orderNumber,orderTotal"}
    shared = boss.post("/orders/views", data={"csrf_token": _csrf(boss), "name": "Pending W", "shared": "1", **state})
    assert shared.status_code == 303
    view = db_session.scalars(select(SavedView).where(SavedView.name == "Pending W")).one()
    assert (view.shared, view.owner_user_id, view.columns) == (True, users["manager"].id, ["orderNumber", "orderTotal"])
    assert view.state == {"q": "PO-W", "status": "Pending", "sort": "orderTotal", "dir": "asc"}
    mine = boss.post("/orders/views", data={"csrf_token": _csrf(boss), "name": "Boss only", "q": "W-1"})
    private_id = re.search(r"view=([0-9a-f-]{36})", mine.headers["Location"]).group(1)
    duplicate = boss.post("/orders/views", data={"csrf_token": _csrf(boss), "name": "Boss only"})
    assert duplicate.status_code == 422 and "already exists" in duplicate.get_data(as_text=True)

    opened = rep.get(f"/orders/views/{view.id}")
    assert opened.status_code == 303
    location = opened.headers["Location"]
    assert "q=PO-W" in location and "cols=orderNumber%2CorderTotal" in location and f"view={view.id}" in location
    listing = rep.get(location).get_data(as_text=True)
    assert "Pending W" in listing and "Boss only" not in listing and "by Manager Tester" in listing
    assert "3 orders" in listing  # the rep's own three, not REP-2's
    assert rep.get(f"/orders/views/{private_id}").status_code == 404

    csrf = _csrf(rep)
    assert rep.post(f"/orders/views/{view.id}", data={"csrf_token": csrf, "op": "rename", "name": "Mine now"}).status_code == 403
    rep_view = rep.post("/orders/views", data={"csrf_token": csrf, "name": "Rep shared", "shared": "1"})
    rep_view_id = re.search(r"view=([0-9a-f-]{36})", rep_view.headers["Location"]).group(1)
    # A manager manages a shared view of anyone; the owner updates their own.
    assert boss.post(f"/orders/views/{rep_view_id}", data={"csrf_token": _csrf(boss), "op": "rename",
                                                           "name": "Renamed by boss"}).status_code == 303
    assert rep.post(f"/orders/views/{rep_view_id}", data={"csrf_token": csrf, "op": "update", "status": "Shipped"}).status_code == 303
    db_session.expire_all()
    updated = db_session.get(SavedView, (view.organization_id, rep_view_id))
    assert (updated.name, updated.state) == ("Renamed by boss", {"status": "Shipped"})
    assert clients["rep2"].post(f"/orders/views/{private_id}", data={"csrf_token": _csrf(clients["rep2"]),
                                                                    "op": "delete"}).status_code == 404
    assert boss.post(f"/orders/views/{private_id}", data={"csrf_token": _csrf(boss), "op": "delete"}).status_code == 303
    assert db_session.scalar(select(func.count()).select_from(SavedView)) == 2


def test_another_organizations_views_and_bulk_results_are_not_found(app, db_session, team):
    from app.services import accounts, jobs
    from app.services import bulk as bulk_service

    _, clients, orders = team
    boss = clients["manager"]
    made = boss.post("/orders/views", data={"csrf_token": _csrf(boss), "name": "Ours", "shared": "1"})
    view_id = re.search(r"view=([0-9a-f-]{36})", made.headers["Location"]).group(1)
    other = accounts.create_organization(db_session, "Beta Supplies", tiers=["Wholesale"])
    db_session.commit()
    make_user(db_session, other, "admin", "admin@beta.example")
    stranger = app.test_client()
    login(stranger, "admin@beta.example")
    assert stranger.get(f"/orders/views/{view_id}").status_code == 404
    assert "Ours" not in stranger.get("/orders").get_data(as_text=True)
    ours = Actor(organization_id=team[0]["manager"].organization_id, name="Boss", role="manager")
    job = bulk_service.start(db_session, ours, "status", key="tenant-check-1", order_ids=orders["REP-1"], target="Processing")
    assert jobs.get_job(db_session, ours, job.id).id == job.id
    assert stranger.get(f"/orders/bulk/{job.id}/outcomes.csv").status_code == 404
    assert boss.get(f"/orders/bulk/{job.id}/outcomes.csv").get_data(as_text=True).startswith("#,Order #,Outcome,Why")


def test_the_list_runs_only_the_queries_it_shows(app, db_session, team):
    """Session, count, page, invoice numbers, reps (the filter of the full page), saved
    views: no lines, no reps for a fragment, no invoice numbers when that column is hidden."""
    from sqlalchemy import event

    from app.extensions import db

    boss = team[1]["manager"]
    selects: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        def tables(path: str, **headers: str) -> list[str]:
            selects.clear()
            response = boss.get(path, headers=headers)
            assert response.status_code == 200 and "PO-W1" in response.get_data(as_text=True)
            return [re.search(r"\bFROM (\w+)", s).group(1) for s in selects]

        full = tables("/orders")
        assert "order_lines" not in full and {"invoices", "sales_reps", "saved_views"} <= set(full)
        assert len(full) == 6, full
        fragment = tables("/orders?status=Pending", **{"HX-Request": "true"})
        assert "sales_reps" not in fragment and "order_lines" not in fragment and "invoices" in fragment
        narrow = tables("/orders?cols=orderNumber,poNumber")
        assert "invoices" not in narrow and "order_lines" not in narrow
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
