"""Signing in through the real form, and reading CSRF tokens from pages."""

from __future__ import annotations

import copy
import re

from app.services import accounts
from app.services.orders import create_order
from tests.seed_examples import SINGLE_CREATE

PASSWORD = "correct-horse-9"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def make_user(session, org, role: str, email: str, rep_number: str | None = None):
    user = accounts.create_user(session, org, email=email, password=PASSWORD, role=role,
                                rep_number=rep_number, first_name=role.title(), last_name="Tester")
    session.commit()
    return user


def login(client, email: str, password: str = PASSWORD, next_url: str | None = None,
          headers: dict | None = None, **extra):
    page = client.get("/login")
    data = {"email": email, "password": password, "csrf_token": csrf_from(page.get_data(as_text=True)), **extra}
    return client.post("/login" + (f"?next={next_url}" if next_url else ""), data=data, headers=headers or {})


def order_for(session, actor, rep: str, external_id: str, **changes):
    payload = copy.deepcopy(SINGLE_CREATE)
    payload["externalId"] = external_id
    payload["primarySalesRep"] = {"repNumber": rep, "firstName": "R", "lastName": rep}
    payload.update(changes)
    return create_order(session, actor, payload).id
