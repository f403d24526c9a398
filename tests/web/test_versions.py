"""No lost updates on the order page: the shipping, customer and status forms carry
the version they were opened on; saving over a newer version changes nothing and
answers in place with who changed what."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.db.models import OrderEvent
from app.services import accounts, org_settings
from app.services.orders import get_order
from tests.web.helpers import PASSWORD, csrf_from, login, order_for

HX = {"HX-Request": "true"}


def version_in(html: str) -> str:
    """The version the panel form carries."""
    return re.search(r'<input name="version" type="hidden" value="(\d+)">', html).group(1)


@pytest.fixture()
def two_managers(app, db_session, org):
    clients = {}
    for name, email in (("Dana", "dana@acme.example"), ("Lee", "lee@acme.example")):
        accounts.create_user(db_session, org, email=email, password=PASSWORD, role="manager",
                             first_name=name, last_name="Manager")
        db_session.commit()
        clients[name] = app.test_client()
        login(clients[name], email)
    return clients


def test_stale_shipping_save_is_refused_with_what_changed(two_managers, db_session, actor):
    oid = order_for(db_session, actor, "REP-1", "V-1")
    dana, lee = two_managers["Dana"], two_managers["Lee"]
    dana_form = dana.get(f"/orders/{oid}/shipping/edit", headers=HX).get_data(as_text=True)
    lee_form = lee.get(f"/orders/{oid}/shipping/edit", headers=HX).get_data(as_text=True)
    assert version_in(dana_form) == version_in(lee_form) == "1"
    fields = {"total": "12.00", "address1": "1 Main St", "city": "Salem", "country": "US"}
    saved = lee.post(f"/orders/{oid}/shipping/edit", headers=HX, data={
        "csrf_token": csrf_from(lee_form), "version": "1", "method": "Freight", **fields})
    assert saved.status_code == 200
    assert 'name="version" value="2"' in saved.get_data(as_text=True)  # the status bar follows

    stale = dana.post(f"/orders/{oid}/shipping/edit", headers=HX, data={
        "csrf_token": csrf_from(dana_form), "version": "1", "method": "UPS Ground", **fields})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Changed by Lee Manager at" in html and "here is what changed" in html
    assert "<ins>Freight</ins>" in html and 'value="UPS Ground"' in html
    db_session.expire_all()
    assert get_order(db_session, actor, oid).shipping_method == "Freight"
    assert version_in(html) == "2"
    again = dana.post(f"/orders/{oid}/shipping/edit", headers=HX, data={
        "csrf_token": csrf_from(dana_form), "version": version_in(html), "method": "UPS Ground", **fields})
    assert again.status_code == 200
    db_session.expire_all()
    order = get_order(db_session, actor, oid)
    assert order.shipping_method == "UPS Ground" and order.version == 3


def test_stale_customer_save_and_stale_status_click(two_managers, db_session, actor):
    oid = order_for(db_session, actor, "REP-1", "V-2")
    dana, lee = two_managers["Dana"], two_managers["Lee"]
    page = dana.get(f"/orders/{oid}").get_data(as_text=True)
    token = csrf_from(page)
    assert 'name="version" value="1"' in page
    moved = lee.post(f"/orders/{oid}/status", headers=HX, data={
        "csrf_token": csrf_from(lee.get(f"/orders/{oid}").get_data(as_text=True)), "status": "Processing",
        "version": "1"})
    assert moved.status_code == 200
    stale_status = dana.post(f"/orders/{oid}/status", headers=HX,
                             data={"csrf_token": token, "status": "Cancelled", "version": "1"})
    html = stale_status.get_data(as_text=True)
    assert stale_status.status_code == 409 and "Changed by Lee Manager" in html and "<ins>Processing</ins>" in html
    stale_customer = dana.post(f"/orders/{oid}/customer/edit", headers=HX, data={
        "csrf_token": token, "version": "1", "customerNumber": "C-9", "companyName": "Overwritten Co"})
    assert stale_customer.status_code == 409 and "Changed by Lee Manager" in stale_customer.get_data(as_text=True)
    db_session.expire_all()
    order = get_order(db_session, actor, oid)
    assert order.order_status == "Processing" and order.company_name != "Overwritten Co"
    kinds = db_session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == oid)).all()
    assert sorted(kinds) == ["created", "status_changed"]


def _approval_form_version(html: str) -> str:
    form = html[html.index("/approval"):]
    return re.search(r'name="version" value="(\d+)"', form).group(1)


def _edit_shipping(client, oid: str, method: str) -> None:
    form = client.get(f"/orders/{oid}/shipping/edit", headers=HX).get_data(as_text=True)
    saved = client.post(f"/orders/{oid}/shipping/edit", headers=HX, data={
        "csrf_token": csrf_from(form), "version": version_in(form), "method": method, "total": "12.00",
        "address1": "1 Main St", "city": "Salem", "country": "US"})
    assert saved.status_code == 200


def _decisions(db_session, oid: str) -> list[str]:
    db_session.expire_all()
    return db_session.scalars(select(OrderEvent.kind).where(
        OrderEvent.order_id == oid, OrderEvent.kind.in_(("approval_approved", "approval_rejected")))).all()


@pytest.fixture()
def awaiting(db_session, actor):
    org_settings.update_review(db_session, actor, {"pending_days": "3", "below_list_percent": "10",
                                                   "discount_percent": "15", "approval_total_USD": "1"})
    oid = order_for(db_session, actor, "REP-1", "V-A")
    assert get_order(db_session, actor, oid).approval_state == "pending"
    return oid


def test_stale_approval_on_the_order_page_decides_nothing_and_shows_what_changed(two_managers, db_session, actor,
                                                                                awaiting):
    oid = awaiting
    dana, lee = two_managers["Dana"], two_managers["Lee"]
    page = dana.get(f"/orders/{oid}").get_data(as_text=True)
    assert _approval_form_version(page) == "1"
    _edit_shipping(lee, oid, "Freight")

    stale = dana.post(f"/orders/{oid}/approval", headers=HX, data={
        "csrf_token": csrf_from(page), "decision": "approve", "reason": "Looks fine", "version": "1"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Changed by Lee Manager at" in html and "here is what changed" in html and "<ins>Freight</ins>" in html
    assert "Nothing was decided" in html
    order = get_order(db_session, actor, oid)
    assert (order.approval_state, order.approval_decided_by, order.version) == ("pending", None, 2)
    assert _decisions(db_session, oid) == []
    # The answer carries the current version: deciding again applies knowingly.
    assert _approval_form_version(html) == "2"
    again = dana.post(f"/orders/{oid}/approval", headers=HX, data={
        "csrf_token": csrf_from(page), "decision": "approve", "reason": "Looks fine", "version": "2"})
    assert again.status_code == 200 and 'name="version" value="3"' in again.get_data(as_text=True)
    order = get_order(db_session, actor, oid)
    assert (order.approval_state, order.approval_decided_by, order.version) == ("approved", "Dana Manager", 3)
    assert _decisions(db_session, oid) == ["approval_approved"]


def test_stale_decision_from_the_queue_decides_nothing_and_shows_what_changed(two_managers, db_session, actor,
                                                                             awaiting):
    oid = awaiting
    dana, lee = two_managers["Dana"], two_managers["Lee"]
    queue = dana.get("/attention").get_data(as_text=True)
    row = queue[queue.index(f'id="queue-{oid}"'):]
    assert _approval_form_version(row) == "1"
    lee_page = lee.get(f"/orders/{oid}").get_data(as_text=True)
    rejected = lee.post(f"/orders/{oid}/approval", headers=HX, data={
        "csrf_token": csrf_from(lee_page), "decision": "reject", "reason": "Margin too thin",
        "version": _approval_form_version(lee_page)})
    assert rejected.status_code == 200

    stale = dana.post(f"/orders/{oid}/approval", headers=HX, data={
        "csrf_token": csrf_from(queue), "decision": "approve", "reason": "Fine", "from": "queue", "version": "1"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Changed by Lee Manager at" in html and "Rejected: Margin too thin" in html and "Nothing was decided" in html
    order = get_order(db_session, actor, oid)
    assert (order.approval_state, order.approval_decided_by, order.approval_note) == (
        "rejected", "Lee Manager", "Margin too thin")
    assert _decisions(db_session, oid) == ["approval_rejected"]


def test_a_change_made_on_the_page_brings_the_approval_form_to_the_new_version(two_managers, db_session, actor,
                                                                               awaiting):
    oid = awaiting
    dana = two_managers["Dana"]
    form = dana.get(f"/orders/{oid}/shipping/edit", headers=HX).get_data(as_text=True)
    saved = dana.post(f"/orders/{oid}/shipping/edit", headers=HX, data={
        "csrf_token": csrf_from(form), "version": "1", "method": "Freight", "total": "12.00",
        "address1": "1 Main St", "city": "Salem", "country": "US"}).get_data(as_text=True)
    section = saved[saved.index('<section id="approval"'):]
    assert section.startswith('<section id="approval" class="card approval approval-pending"')
    assert 'hx-swap-oob="true"' in section.split(">", 1)[0] and _approval_form_version(section) == "2"
    decided = dana.post(f"/orders/{oid}/approval", headers=HX, data={
        "csrf_token": csrf_from(form), "decision": "approve", "reason": "Fine", "version": "2"})
    assert decided.status_code == 200
    assert get_order(db_session, actor, oid).approval_state == "approved"
