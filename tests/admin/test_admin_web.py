"""The admin pages through the test client: forms answer in place, tokens obey their
scope and revocation, users must choose their own password, and uploads are checked."""

from __future__ import annotations

import gc
import io
import time
import warnings

import pytest
from PIL import Image
from sqlalchemy import select

from app.db.models import AuditEvent, Job, User
from app.services import accounts, summaries
from tests.api.helpers import assert_problem, order_body
from tests.web.helpers import PASSWORD, csrf_from, login, make_user

HX = {"HX-Request": "true"}


@pytest.fixture()
def admin(app, db_session, org):
    make_user(db_session, org, "admin", "ada@acme.example")
    client = app.test_client()
    login(client, "ada@acme.example")
    return client


def _token(client, path="/settings/organization") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def test_the_organization_form_saves_and_shows_errors_in_place(admin, org, db_session):
    token = _token(admin)
    bad = admin.post("/settings/organization", headers=HX, data={
        "csrf_token": token, "time_zone": "Nowhere/City", "locale": "en_US", "default_currency": "USD",
        "order_number_prefix": "ORD-"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "<html" not in html
    assert 'id="f-time_zone-error"' in html and "must be a time zone" in html
    ok = admin.post("/settings/organization", headers=HX, data={
        "csrf_token": token, "brand_display_name": "Acme Co", "time_zone": "America/Chicago", "locale": "en_US",
        "default_currency": "USD", "currencies": "CAD", "order_number_prefix": "AC-"})
    assert ok.status_code == 200 and "Settings saved." in ok.get_data(as_text=True)
    db_session.expire_all()
    assert org.time_zone == "America/Chicago" and org.currencies == ["CAD"]


def test_a_list_change_rerenders_its_section(admin, org):
    token = _token(admin, "/settings/lists")
    added = admin.post("/settings/lists/shippingMethod", headers=HX,
                       data={"csrf_token": token, "op": "add", "new_name": "DHL Express"})
    assert added.status_code == 200 and "DHL Express" in added.get_data(as_text=True)
    twice = admin.post("/settings/lists/shippingMethod", headers=HX,
                       data={"csrf_token": token, "op": "add", "new_name": "dhl express"})
    assert twice.status_code == 422 and "already in the shipping method list" in twice.get_data(as_text=True)
    plain = admin.post("/settings/lists/channel", data={"csrf_token": token, "op": "retire", "name": "Phone"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/settings/lists#list-channel")
    assert admin.post("/settings/lists/nonsense", data={"csrf_token": token, "op": "add"}).status_code == 404


def test_a_read_only_token_may_read_but_never_write(client, org, db_session):
    issued = accounts.create_token(db_session, org, "Reports", scope="read")
    db_session.commit()
    auth = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/orders", headers=auth).status_code == 200
    body = assert_problem(client.post("/api/orders", json=order_body(), headers=auth), 403)
    assert "read-only" in body["detail"]
    assert_problem(client.post("/api/orders/bulk", json={"orders": [order_body()]}, headers=auth), 403)


def test_revoking_a_token_in_the_page_refuses_its_very_next_request(admin, client, org, db_session):
    issued = accounts.create_token(db_session, org, "ERP")
    db_session.commit()
    auth = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/orders", headers=auth).status_code == 200
    page = admin.post(f"/settings/tokens/{issued.token.id}/revoke", headers=HX,
                      data={"csrf_token": _token(admin, "/settings/tokens")})
    assert page.status_code == 200 and "is revoked" in page.get_data(as_text=True)
    response = client.get("/api/orders", headers=auth)
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]


def test_a_created_token_is_shown_once_and_works(admin, client, org):
    page = admin.post("/settings/tokens", headers=HX, data={
        "csrf_token": _token(admin, "/settings/tokens"), "name": "Warehouse", "scope": "read", "expires": "2999-01-01"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "shown only this once" in html
    secret = html.split('id="new-secret" class="secret-value" readonly value="')[1].split('"')[0]
    assert client.get("/api/orders", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = admin.get("/settings/tokens").get_data(as_text=True)
    assert secret not in listing and "Warehouse" in listing and "Read only" in listing
    bad = admin.post("/settings/tokens", headers=HX, data={
        "csrf_token": _token(admin, "/settings/tokens"), "name": "", "scope": "write", "expires": "yesterday"})
    assert bad.status_code == 422 and "must be a date" in bad.get_data(as_text=True)


def test_a_user_given_a_password_must_choose_their_own(app, admin, db_session, org):
    created = admin.post("/settings/users", headers=HX, data={
        "csrf_token": _token(admin, "/settings/users"), "email": "new@acme.example", "name": "Nia New",
        "role": "manager", "password": "handed-over-1"})
    assert created.status_code == 200, created.get_data(as_text=True)
    newcomer = app.test_client()
    assert login(newcomer, "new@acme.example", "handed-over-1").status_code == 302
    redirected = newcomer.get("/orders")
    assert redirected.status_code == 302 and "/profile/password" in redirected.headers["Location"]
    form = newcomer.get("/profile/password").get_data(as_text=True)
    assert "An admin set your password" in form
    wrong = newcomer.post("/profile/password", data={"csrf_token": csrf_from(form), "current": "nope",
                                                     "new": "my-own-secret", "confirm": "my-own-secret"})
    assert wrong.status_code == 422 and "is not your current password" in wrong.get_data(as_text=True)
    done = newcomer.post("/profile/password", data={"csrf_token": csrf_from(form), "current": "handed-over-1",
                                                    "new": "my-own-secret", "confirm": "my-own-secret"})
    assert done.status_code == 302
    assert newcomer.get("/orders").status_code == 200
    user = db_session.scalars(select(User).where(User.email == "new@acme.example")).one()
    db_session.refresh(user)
    assert not user.must_change_password


def test_changing_ones_password_signs_out_the_other_sessions_only(app, db_session, org):
    make_user(db_session, org, "rep", "rep@acme.example", rep_number="REP-1")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "rep@acme.example")
    login(elsewhere, "rep@acme.example")
    form = here.get("/profile/password").get_data(as_text=True)
    response = here.post("/profile/password", data={"csrf_token": csrf_from(form), "current": PASSWORD,
                                                     "new": "another-pass-9", "confirm": "another-pass-9"})
    assert response.status_code == 302
    assert here.get("/orders").status_code == 200
    assert elsewhere.get("/orders").status_code == 302


def test_the_last_admin_guard_answers_in_place(admin, db_session):
    me = db_session.scalars(select(User).where(User.email == "ada@acme.example")).one()
    page = admin.post(f"/settings/users/{me.id}/deactivate", headers=HX,
                      data={"csrf_token": _token(admin, "/settings/users")})
    assert page.status_code == 422 and "last active admin" in page.get_data(as_text=True)
    assert admin.get("/settings/users").status_code == 200


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1, 1), "blue").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(("content", "name", "status", "said"), [
    (b"\x00" * (10 * 1024 * 1024), "big.png", 422, "a logo may be at most 1 MB"),
    (b"hello, I am text", "logo.png", 422, "not a PNG or JPEG"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg", 422, "SVG logos are not accepted"),
    (None, "one-pixel.png", 200, "Logo saved."),
])
def test_logo_uploads(admin, content, name, status, said, client, db_session):
    data = {"csrf_token": _token(admin, "/settings/branding"), "logo": (io.BytesIO(content or _png()), name)}
    with warnings.catch_warnings():
        # The test client spools a large multipart body to a temporary file it does not
        # close; collect it here rather than in whichever test runs next.
        warnings.simplefilter("ignore", ResourceWarning)
        response = admin.post("/settings/branding/logo", data=data, content_type="multipart/form-data")
        response.close()
        gc.collect()
    assert response.status_code == status and said in response.get_data(as_text=True)
    if status == 200:
        logo = admin.get("/confirmation/logo")
        assert logo.status_code == 200 and logo.mimetype == "image/png"


def test_the_preview_is_the_pdfs_first_page_with_the_colour_being_picked(admin, actor, org, db_session):
    from app.services.orders import create_order

    create_order(db_session, actor, order_body(externalId="E-P"))
    response = admin.get("/settings/branding/preview.png?accent=%23aa0000")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(response.data)).convert("RGB")
    assert (170, 0, 0) in {image.getpixel((x, y)) for x in range(0, image.width, 2) for y in range(0, image.height // 3, 2)}
    db_session.expire_all()
    assert org.brand_accent_color != "#aa0000"  # a preview saves nothing
    check = admin.post("/settings/branding/accent/check", headers=HX,
                       data={"csrf_token": _token(admin, "/settings/branding"), "accent": "#ffee00"})
    assert "below the 4.5:1" in check.get_data(as_text=True)


def test_the_audit_log_lists_changes_with_filters(admin, db_session):
    token = _token(admin, "/settings/lists")
    admin.post("/settings/lists/channel", data={"csrf_token": token, "op": "add", "new_name": "Fax"})
    admin.post("/settings/lists/channel", data={"csrf_token": token, "op": "retire", "name": "Fax"})
    page = admin.get("/settings/audit?action=settings.channel.retire").get_data(as_text=True)
    assert "1 event" in page and "Channels: Fax" in page and "Admin Tester" in page
    assert admin.get("/settings/audit?from=2026-99-01").status_code == 400
    assert db_session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "settings.channel.add"))


def test_a_template_edit_is_in_the_audit_log(admin, db_session):
    token = _token(admin, "/settings/email-template")
    saved = admin.post("/settings/email-template", data={"csrf_token": token, "subject": "Your order {{ order.number }}",
                                                         "body": "Thanks!"})
    assert saved.status_code == 303
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "template.email")).one()
    assert event.changes["subject"] == [None, "Your order {{ order.number }}"] and event.actor == "Admin Tester"


def test_the_order_pages_shipping_form_offers_the_organizations_methods(admin, actor, db_session):
    from app.services.orders import create_order

    order_id = create_order(db_session, actor, order_body(externalId="E-S")).id
    token = _token(admin, "/settings/lists")
    admin.post("/settings/lists/shippingMethod", data={"csrf_token": token, "op": "add", "new_name": "Courier"})
    admin.post("/settings/lists/shippingMethod", data={"csrf_token": token, "op": "retire", "name": "Freight"})
    form = admin.get(f"/orders/{order_id}/shipping/edit", headers=HX).get_data(as_text=True)
    assert 'list="shipping-methods"' in form and '<option value="Courier">' in form
    assert '<option value="Freight">' not in form


def test_a_time_zone_change_shows_the_recount_with_its_progress_until_it_has_run(admin, org, db_session, request):
    token = _token(admin)
    form = {"csrf_token": token, "time_zone": "Asia/Tokyo", "locale": "en_US", "default_currency": "USD",
            "order_number_prefix": "ORD-"}
    first = admin.post("/settings/organization", headers=HX, data=form)
    again = admin.post("/settings/organization", headers=HX, data=form)  # a double click
    html = again.get_data(as_text=True)
    rebuilds = db_session.scalars(select(Job).where(Job.kind == summaries.REBUILD)).all()
    assert first.status_code == again.status_code == 200 and len(rebuilds) == 1
    notice = "Figures are being recounted for the new time zone Asia/Tokyo; until then days are in UTC."
    link = f'href="/jobs/{rebuilds[0].id}"'
    assert notice in html and link in html
    dashboard = admin.get("/dashboard").get_data(as_text=True)
    assert notice in dashboard and link in dashboard
    assert "· days in UTC</p>" in dashboard  # the period's days are those the figures are counted in
    assert "Background work" in admin.get(f"/jobs/{rebuilds[0].id}").get_data(as_text=True)

    request.getfixturevalue("worker")  # the background worker starts only now
    deadline = time.monotonic() + 30
    while (progress := admin.get(f"/jobs/{rebuilds[0].id}/progress")).status_code != 286:
        assert time.monotonic() < deadline, "the recount did not finish"
        time.sleep(0.1)
    done = progress.get_data(as_text=True)
    db_session.expire_all()  # the worker committed from its own session; a new request starts fresh
    assert "now counted by days in Asia/Tokyo (before: UTC)" in done
    dashboard = admin.get("/dashboard").get_data(as_text=True)
    assert "being recounted" not in dashboard and "· days in Asia/Tokyo</p>" in dashboard
    assert "being recounted" not in admin.get("/settings/organization").get_data(as_text=True)
