"""The role and tenant matrices over every route the app registers, and a corpus of bad
input sent to every query parameter and form field: no role reaches what it may not,
no organization sees another's data, and nothing a client sends is a 500."""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.db.models import OutboxEmail
from app.mail.service import send_confirmation
from app.services import accounts, imports, jobs
from app.services.context import Actor
from app.services.invoices import issue_invoice
from app.services.orders import change_status, create_order
from tests.ops import jobkinds  # noqa: F401  (registers the test job kinds)
from tests.security.routes import ROUTES, Route
from tests.seed_examples import SINGLE_CREATE
from tests.web.helpers import csrf_from, login, make_user

ROLES = ("rep", "manager", "admin")
ALLOWED = {
    "public": {"anonymous", *ROLES},
    "signed_in": set(ROLES),
    "manager": {"manager", "admin"},
    "admin": {"admin"},
    "operator": set(),
}
BAD_VALUES = [
    "", " ", "\x00", "a\x00b", "\x01\x1f\x7f", "\r\nX-Injected: 1", "%00", "%", "_", "'", '"', "\\",
    "' OR 1=1 --", "<script>alert(1)</script>", "{{7*7}}", "${7*7}", "../../etc/passwd", "-1", "0",
    "9" * 400, "1e309", "-1e309", "NaN", "Infinity", "9999-12-31", "0001-01-01", "2026-02-30", "[", "]",
    "{}", "[]", '[{"field": "orderNumber"}]', "null", "true", "\u202eevil", "\u200b", "ＡＢＣ", "ЗАК-0001",
    "日本", "😀" * 50, "x" * 20_000,
]


@dataclass
class World:
    app: object
    order: str
    email: str
    user: str
    token: str
    job: str
    clients: dict
    tokens: dict
    foreign: dict
    invoice: str = ""
    file_import: str = ""


def _org_with_order(session, name: str, *, invoiced: bool = False):
    org = accounts.create_organization(session, name, tiers=["Wholesale", "Retail"])
    session.commit()
    actor = Actor(organization_id=org.id, name="Setup")
    body = copy.deepcopy(SINGLE_CREATE)
    body["primarySalesRep"] = {"repNumber": f"REP-{name[:3]}"}
    order_id = create_order(session, actor, body).id
    send_confirmation(session, actor, order_id, ["buyer@example.com"])
    session.commit()
    email_id = session.scalars(select(OutboxEmail.id).where(OutboxEmail.organization_id == org.id)).one()
    token = accounts.create_token(session, org, f"{name} ERP")
    session.commit()
    if not invoiced:
        return org, order_id, email_id, token, ""
    shipped = create_order(session, actor, {**body, "externalId": f"{name}-invoiced"}).id
    for status in ("Processing", "Shipped"):
        change_status(session, actor, shipped, status)
    return org, order_id, email_id, token, issue_invoice(session, actor, shipped).id


@pytest.fixture()
def world(app, db_session) -> World:
    _CSRF.clear()
    org_a, order_a, email_a, token_a, invoice_a = _org_with_order(db_session, "Alpha Trading", invoiced=True)
    org_b, _, _, token_b, _ = _org_with_order(db_session, "Beta Supplies")
    spare = accounts.create_token(db_session, org_a, "Spare")  # revoked by its row, not the one in use
    db_session.commit()
    clients = {"anonymous": app.test_client()}
    foreign = {}
    users = {}
    for role in ROLES:
        rep_number = "REP-Alp" if role == "rep" else None
        users[role] = make_user(db_session, org_a, role, f"{role}@alpha.example", rep_number=rep_number)
        clients[role] = app.test_client()
        assert login(clients[role], f"{role}@alpha.example").status_code == 302
        make_user(db_session, org_b, role, f"{role}@beta.example", rep_number="REP-Bet" if role == "rep" else None)
        foreign[role] = app.test_client()
        assert login(foreign[role], f"{role}@beta.example").status_code == 302
    # A job the rep started: managers and admins see every job of their organization.
    job = jobs.enqueue(db_session, Actor(organization_id=org_a.id, name=users["rep"].display_name, role="rep"),
                       "test.steps", {"steps": 1})
    upload = imports.store_upload(db_session, Actor(organization_id=org_a.id, name="Manager", role="manager"),
                                  "orders", "history.csv", io.BytesIO(b"externalId\nE-1\n"))
    return World(app, order_a, email_a, users["rep"].id, spare.token.id, job.id, clients,
                 {"own": token_a.secret, "foreign": token_b.secret}, foreign, invoice_a, upload.id)


def _path(route: Route, world: World) -> str:
    return (route.path.replace("{order}", world.order).replace("{email}", world.email)
            .replace("{user}", world.user).replace("{token}", world.token)
            .replace("{job}", world.job).replace("{invoice}", world.invoice)
            .replace("{import}", world.file_import))


def _call(client, route: Route, world: World, *, token: str | None = None, query: dict | None = None,
          form: dict | None = None, json_body: str | None = None):
    path = _path(route, world)
    if query:
        path += "?" + "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if route.method == "GET":
        response = client.get(path, headers=headers)
    elif route.json:
        response = client.open(path, method=route.method, data=json_body or route.sample,
                               content_type="application/json", headers=headers)
    else:
        data = {"csrf_token": _csrf(client)}
        data.update(form or {})
        response = client.open(path, method=route.method, data=data, headers=headers)
    response.close()
    return response


_CSRF: dict[int, str] = {}


def _csrf(client) -> str:
    """A CSRF token of the client's session (one per session, so fetched once)."""
    key = id(client)
    if key not in _CSRF:
        page = client.get("/orders")
        if page.status_code != 200:
            page = client.get("/login")
        _CSRF[key] = csrf_from(page.get_data(as_text=True))
    return _CSRF[key]


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_every_registered_route_has_a_row_in_the_matrix(app):
    registered = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = {(r.endpoint, r.method) for r in ROUTES}
    assert registered - listed == set(), "routes without a row in tests/security/routes.py"
    assert listed - registered == set(), "rows for routes the app does not register"


def test_each_role_reaches_exactly_what_it_may(world):
    problems = []
    # Signing out last: it ends the sessions the other rows use.
    for route in sorted(ROUTES, key=lambda r: r.endpoint == "web.logout"):
        for who, client in world.clients.items():
            if route.access == "token":
                response = _call(client, route, world)
                ok = response.status_code == 401 and "Bearer" in response.headers.get("WWW-Authenticate", "")
                if not ok:
                    problems.append(f"{who} without a token {route.method} {route.path}: {response.status_code}")
                continue
            response = _call(client, route, world)
            allowed = who in ALLOWED[route.access]
            if route.access == "public":
                refused = response.status_code in (401, 403)
            elif route.access == "operator":
                refused = response.status_code in (401, 403, 404)
            else:
                refused = _refused(response)
            if response.status_code >= 500 or allowed == refused:
                problems.append(f"{who} {route.method} {route.path}: {response.status_code} (allowed: {allowed})")
        if route.access == "token":
            response = _call(world.clients["anonymous"], route, world, token=world.tokens["own"])
            if response.status_code in (401, 403) or response.status_code >= 500:
                problems.append(f"token {route.method} {route.path}: {response.status_code}")
            revoked = _call(world.clients["anonymous"], route, world, token="odk_not-a-real-token")
            if revoked.status_code != 401:
                problems.append(f"unknown token {route.method} {route.path}: {revoked.status_code}")
    assert problems == [], "\n".join(problems)


def test_no_organization_reaches_anothers_orders_or_emails(world):
    problems = []
    for route in (r for r in ROUTES if r.tenant_bound):
        if route.access == "token":
            responses = {"foreign token": _call(world.clients["anonymous"], route, world,
                                                token=world.tokens["foreign"])}
        else:
            responses = {f"foreign {role}": _call(client, route, world) for role, client in world.foreign.items()
                         if role in ALLOWED[route.access]}
        for who, response in responses.items():
            if response.status_code != 404:
                problems.append(f"{who} {route.method} {route.path}: {response.status_code}")
    for role, client in world.foreign.items():
        listing = client.get("/orders?q=Brightfield").get_data(as_text=True)
        if world.order in listing or "Alpha" in listing:
            problems.append(f"foreign {role} sees Alpha's order in the list")
        csv = client.get("/orders.csv").get_data(as_text=True)  # the header and their own one order
        if len(csv.strip().splitlines()) != 2:
            problems.append(f"foreign {role} CSV has {len(csv.strip().splitlines())} lines")
    found = _call(world.clients["anonymous"], ROUTES[[r.endpoint for r in ROUTES].index("api.search_orders")],
                  world, token=world.tokens["foreign"]).get_json()
    if found["totalCount"] != 1 or any(item["id"] == world.order for item in found["items"]):
        problems.append("the foreign token's search sees Alpha's order")
    assert problems == [], "\n".join(problems)


def _who_may(route: Route) -> str:
    if route.access == "public":
        return "anonymous"
    if route.access == "token":
        return "admin"
    return "admin" if route.access == "admin" else "manager"


def test_no_bad_input_to_any_parameter_is_a_500(world):
    problems = []
    for route in ROUTES:
        client = world.clients[_who_may(route)]
        token = world.tokens["own"] if route.access == "token" else None
        for name in (*route.query, *route.form):
            for value in BAD_VALUES:
                if name in route.query:
                    response = _call(client, route, world, token=token, query={name: value})
                else:
                    response = _call(client, route, world, token=token, form={name: value, "line": "k1"})
                if response.status_code >= 500:
                    problems.append(f"{route.method} {route.path} {name}={value[:40]!r}: {response.status_code}")
                if "\r\nX-Injected" in value and "X-Injected" in response.headers:
                    problems.append(f"{route.method} {route.path} {name}: header injected")
    assert problems == [], "\n".join(problems)


BAD_BODIES = [
    "", "{", "[]", "null", "0", '"text"', '{"a": 1, "a": 2}', "[" * 100_000, '{"x": "\\ud800"}',
    '{"customer": {"customerNumber": "\\u0000"}}', '{"orders": []}', '{"orders": [' + "{}," * 1000 + "{}]}",
    '{"emailAddresses": ["a@b.example", "\\u202e"]}', '{"total": 1e999}', '{"total": -0.0}',
    '{"method": "x", "total": "12,50"}', '{"customerNumber": "ЗАК\\u200b"}',
]


def test_no_bad_json_body_to_any_api_write_is_a_500(world):
    problems = []
    for route in (r for r in ROUTES if r.json):
        for body in BAD_BODIES:
            response = _call(world.clients["anonymous"], route, world, token=world.tokens["own"], json_body=body)
            if response.status_code >= 500 or not re.match(r"application/(problem\+)?json", response.content_type):
                problems.append(f"{route.path} {body[:60]!r}: {response.status_code} {response.content_type}")
    assert problems == [], "\n".join(problems)
