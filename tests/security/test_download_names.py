"""Files whose names are not Latin (an order numbered ЗАК-0001 or ORD-日本-1) download
with an RFC 6266/5987 Content-Disposition instead of a broken response."""

from __future__ import annotations

import copy
import http.client
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import select

from app.db.models import OutboxEmail
from app.mail.service import send_confirmation
from app.services.orders import import_orders
from app.web.download import content_disposition
from tests.mail.conftest import make_user, sign_in
from tests.seed_examples import SINGLE_CREATE


def _real_name(header: str) -> str:
    assert header.encode("latin-1")  # a header can carry it at all
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "filename*":
            assert value.startswith("UTF-8''")
            return unquote(value[len("UTF-8''"):])
    return header.split('filename="')[1].split('"')[0]


@pytest.mark.parametrize("name", ["orders.csv", "ЗАК-0001-confirmation.pdf", "ORD-日本-1.pdf", 'a"b\r\n.pdf'])
def test_every_file_name_round_trips_through_the_header(name):
    header = content_disposition(name)
    assert header.isascii() and "\r" not in header and "\n" not in header
    assert _real_name(header) == name
    assert header.split('filename="')[1].split('"')[0].isascii()


@pytest.mark.parametrize("number", ["ЗАК-0001", "ORD-日本-1"])
def test_a_non_latin_order_number_downloads_its_pdf_and_outbox_attachment(
        app, client, db_session, org, actor, live_server, number):
    body = copy.deepcopy(SINGLE_CREATE)
    body.update(orderNumber=number)
    body.pop("externalId", None)
    order_id = import_orders(db_session, actor, [body])[0].result.id
    send_confirmation(db_session, actor, order_id, ["buyer@example.com"])
    db_session.commit()
    sign_in(client, make_user(db_session, org, "manager", "manager@acme.example"))
    cookie = client.get_cookie("session").value
    email_id = db_session.scalars(select(OutboxEmail.id)).one()
    for path in (f"/orders/{order_id}/confirmation.pdf", f"/orders/{order_id}/confirmation.pdf?download=1",
                 f"/outbox/{email_id}/attachment.pdf"):
        # Over a real HTTP server, where a header that is not Latin-1 cannot be sent at all.
        conn = http.client.HTTPConnection(urlsplit(live_server).netloc, timeout=20)
        conn.request("GET", path, headers={"Cookie": f"session={cookie}"})
        response = conn.getresponse()
        content = response.read()
        conn.close()
        assert response.status == 200, path
        assert content.startswith(b"%PDF")
        disposition = response.getheader("Content-Disposition")
        assert number in _real_name(disposition), disposition
