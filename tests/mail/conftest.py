"""Orders, a real SMTP server (aiosmtpd) and PDF helpers for the confirmation tests."""

from __future__ import annotations

import copy
import email
import email.policy
import socket
import subprocess
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from app.db.models import Order
from app.services import orders as order_service
from tests.seed_examples import SINGLE_CREATE


def make_order(session, actor, *, lines: int = 2, **changes) -> Order:
    """The seed's example order (or one with ``lines`` generated lines) with ``changes``."""
    body = copy.deepcopy(SINGLE_CREATE)
    body.pop("externalId", None)
    if lines != 2:
        body["items"] = [
            {"sku": f"SKU-{n:03d}", "productName": f"Product number {n} with a longer descriptive name",
             "quantity": n, "price": Decimal("1.25") + n}
            for n in range(1, lines + 1)
        ]
        body.pop("tax", None)
    for key, value in changes.items():
        if key == "companyName":
            body["customer"]["companyName"] = value
        else:
            body[key] = value
    result = order_service.create_order(session, actor, body)
    return order_service.get_order(session, actor, result.id)


@pytest.fixture()
def order(db_session, actor) -> Order:
    return make_order(db_session, actor)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """Collects every message the SMTP server accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture()
def smtp_server(app) -> Iterator[Inbox]:
    """A real SMTP server on a free port, configured as the app's SMTP host."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        yield inbox
    finally:
        controller.stop()
        app.config.update(saved)


@pytest.fixture()
def smtp_down(app) -> Iterator[int]:
    """SMTP configured on a port where nothing listens."""
    port = free_port()
    saved = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        yield port
    finally:
        app.config.update(saved)


def pdf_text(content: bytes, tmp_path: Path, first: int | None = None, last: int | None = None) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    args = ["pdftotext", "-layout"]
    if first is not None:
        args += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*args, str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_pages(content: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


PASSWORD = "mail-pass-1"


def make_user(session, org, role: str, email: str, rep_number: str | None = None):
    from app.services import accounts

    user = accounts.create_user(session, org, email=email, password=PASSWORD, role=role, rep_number=rep_number,
                                first_name="Pat", last_name=role.title())
    session.commit()
    return user


def sign_in(client, user) -> None:
    """Sign ``user`` in through the sign-in page (with its CSRF token)."""
    from flask import g

    # Requests share the test's app context, where Flask-Login caches the last user.
    g.pop("_login_user", None)
    client.delete_cookie("session")  # whoever was signed in before
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    g.pop("_login_user", None)


def csrf_from(html: str) -> str:
    import re

    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)
