"""Many processes, one truth: two gunicorn servers and two workers on one PostgreSQL
database under a mixed load, with one server and one worker killed by SIGKILL mid-way.

The clients behave like a load balancer: a request whose server is gone is sent to the
other one (only requests whose repetition is harmless; an email request that died with
its server is counted as unknown). Afterwards: no duplicate orders or order numbers,
every accepted request's effect present, every email delivered exactly once, and a
session started on either server valid on the other."""

from __future__ import annotations

import asyncio
import copy
import email
import email.policy
import itertools
import re
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests
from sqlalchemy import func, select, text

from app.db.models import Order, OutboxEmail
from tests.conftest import free_port
from tests.mail.conftest import PASSWORD, make_user
from tests.ops.procs import base_env, wait_for
from tests.seed_examples import SINGLE_CREATE

pytestmark = pytest.mark.postgres_only

SHARED_EXTERNAL_IDS = [f"SHARED-{n}" for n in range(8)]
LEASE_SECONDS = 10


class TrapInbox:
    """A real SMTP server's handler: records each accepted message. The first message
    is held in the DATA phase until released and then refused, as a server would when
    its client vanished mid-send (the test kills that client meanwhile)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.sprung = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        if not self.sprung.is_set():
            self.sprung.set()
            self.trapped_to = message["To"]
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture()
def trap_smtp():
    from aiosmtpd.controller import Controller

    inbox = TrapInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        inbox.release.set()
        controller.stop()


@dataclass
class Servers:
    """Round-robin over the servers still alive, failing over like a load balancer."""

    bases: list[str]
    dead: set[str] = field(default_factory=set)
    counter: itertools.count = field(default_factory=itertools.count)

    def pick(self) -> list[str]:
        alive = [b for b in self.bases if b not in self.dead]
        start = next(self.counter) % len(alive)
        return alive[start:] + alive[:start]

    def call(self, session: requests.Session, method: str, path: str, *, retry: bool = True, **kwargs):
        """The response, or None when the request may or may not have been applied."""
        for base in self.pick():
            try:
                return session.request(method, base + path, timeout=30, **kwargs)
            except requests.ConnectionError:
                if not retry:
                    return None
        raise AssertionError("no server answered")


def order_body(external_id: str | None = None, po: str = "PO-1", **changes) -> dict:
    body = copy.deepcopy(SINGLE_CREATE)
    body.pop("externalId", None)
    if external_id:
        body["externalId"] = external_id
    body["poNumber"] = po
    body.update(changes)
    return body


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


def sign_in(base: str, user_email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    response = session.post(f"{base}/login", data={"csrf_token": csrf_token(page), "email": user_email,
                                                   "password": PASSWORD}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:300]
    return session


def signed_in_on(base: str, session: requests.Session, user_email: str) -> bool:
    response = session.get(f"{base}/orders", allow_redirects=False, timeout=10)
    return response.status_code == 200 and "Sign out" in response.text


def test_two_servers_and_two_workers_survive_sigkill_without_duplicates_or_lost_work(
        db_session, org, api_token, database_url, procs, trap_smtp):
    inbox, smtp_port = trap_smtp
    manager = make_user(db_session, org, "manager", "ops-manager@example.com")
    env = base_env(database_url, MAIL_DELIVERY="worker", SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port),
                   SMTP_TIMEOUT="30", OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS), API_RATE_LIMIT="100000/minute",
                   JOB_LEASE_SECONDS="5")
    ports = [free_port(), free_port()]
    web = [procs.gunicorn(f"web-{n}", port, env, workers=2) for n, port in enumerate(ports)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    workers = [procs.worker(f"worker-{n}", env) for n in range(2)]
    servers = Servers(bases)
    auth = {"Authorization": f"Bearer {api_token}"}

    # Sessions: each server accepts the other's.
    on_a, on_b = sign_in(bases[0], manager.email), sign_in(bases[1], manager.email)
    assert signed_in_on(bases[1], on_a, manager.email) and signed_in_on(bases[0], on_b, manager.email)

    setup = requests.Session()
    edited = [servers.call(setup, "POST", "/api/orders", json=order_body(f"EDIT-{n}"), headers=auth).json()
              ["data"]["id"] for n in range(4)]
    stepped = [servers.call(setup, "POST", "/api/orders", json=order_body(f"STEP-{n}"), headers=auth).json()
               ["data"]["id"] for n in range(3)]

    errors: list[str] = []
    creates: dict[str, set[str]] = {key: set() for key in SHARED_EXTERNAL_IDS}
    imported_numbers: set[str] = set()
    last_shipping: dict[str, str] = {}
    last_status: dict[str, str] = {}
    emails_accepted: list[str] = []
    emails_unknown: list[str] = []
    lock = threading.Lock()
    progress = Counter()

    def creator(thread: int) -> None:
        session = requests.Session()
        for n in range(24):
            key = SHARED_EXTERNAL_IDS[(n + thread) % len(SHARED_EXTERNAL_IDS)]
            response = servers.call(session, "POST", "/api/orders", headers=auth,
                                    json=order_body(key, po=f"PO-{thread}-{n}"))
            if response.status_code not in (200, 201):
                errors.append(f"create {key}: {response.status_code} {response.text[:200]}")
                continue
            with lock:
                creates[key].add(response.json()["data"]["id"])
                progress["requests"] += 1

    def importer(thread: int) -> None:
        session = requests.Session()
        for n in range(10):
            start = n * 3 + thread * 2  # the two importers' ranges overlap
            numbers = [f"IMP-{k:05d}" for k in range(start, start + 4)]
            orders = [order_body(None, po=f"PO-IMP-{k}", orderNumber=k) for k in numbers]
            response = servers.call(session, "POST", "/api/orders/bulk", headers=auth, json={"orders": orders})
            if response.status_code != 201:
                errors.append(f"import {numbers}: {response.status_code} {response.text[:300]}")
                continue
            with lock:
                imported_numbers.update(r["data"]["orderNumber"] for r in response.json())
                progress["requests"] += 1

    def editor() -> None:
        session = requests.Session()
        for n in range(12):
            order_id = edited[n % len(edited)]
            method = f"Courier round {n}"
            response = servers.call(session, "PUT", f"/api/orders/{order_id}/shipping", headers=auth,
                                    json={"method": method, "total": n})
            if response.status_code != 200:
                errors.append(f"edit {order_id}: {response.status_code} {response.text[:200]}")
                continue
            with lock:
                last_shipping[order_id] = method
                progress["requests"] += 1

    def status_changer() -> None:
        web_session = on_a  # signed in on server A; used on whichever server answers
        api_session = requests.Session()
        for target in ("Processing", "Shipped", "Complete"):
            for order_id in stepped:
                for _ in range(5):
                    page = servers.call(web_session, "GET", f"/orders/{order_id}")
                    response = servers.call(web_session, "POST", f"/orders/{order_id}/status",
                                            data={"csrf_token": csrf_token(page.text), "status": target},
                                            headers={"HX-Request": "true"}, retry=False)
                    if response is not None and response.status_code == 200:
                        break
                    # Lost with its server, or refused because that lost attempt had applied it.
                    now = servers.call(api_session, "GET", f"/api/orders/{order_id}", headers=auth).json()
                    if now["orderStatus"] == target:
                        break
                else:
                    errors.append(f"status {order_id} -> {target} never applied")
                with lock:
                    last_status[order_id] = target
                    progress["requests"] += 1

    def emailer() -> None:
        session = requests.Session()
        for n in range(16):
            address = f"buyer{n}@example.com"
            response = servers.call(session, "POST", f"/api/orders/{edited[n % len(edited)]}/email",
                                    headers=auth, json={"emailAddresses": [address]}, retry=False)
            with lock:
                if response is None:
                    emails_unknown.append(address)
                elif response.status_code == 200 and response.json()["data"]["status"] == "queued":
                    emails_accepted.append(address)
                else:
                    errors.append(f"email {address}: {response.status_code} {response.text[:200]}")
                progress["requests"] += 1
            time.sleep(0.05)

    threads = [threading.Thread(target=creator, args=(t,)) for t in range(2)]
    threads += [threading.Thread(target=importer, args=(t,)) for t in range(2)]
    threads += [threading.Thread(target=editor), threading.Thread(target=status_changer),
                threading.Thread(target=emailer)]
    killed_at: list[int] = []

    def kill_server_a_half_way() -> None:
        wait_for(lambda: progress["requests"] >= 35, timeout=120, interval=0.01, message="a third of the load")
        servers.dead.add(bases[0])
        procs.kill(web[0], signal.SIGKILL)
        web[0].wait(timeout=10)
        killed_at.append(progress["requests"])

    chaos = threading.Thread(target=kill_server_a_half_way)
    chaos.start()
    for thread in threads:
        thread.start()

    # A worker is caught in the middle of sending an email: kill it there.
    assert inbox.sprung.wait(timeout=60), "no email reached the SMTP server"
    def trapped_claim() -> str | None:
        db_session.expire_all()
        claims = db_session.execute(select(OutboxEmail.recipients, OutboxEmail.claimed_by).where(
            OutboxEmail.claimed_until.is_not(None), OutboxEmail.status == "queued")).all()
        db_session.commit()
        return next((by for recipients, by in claims if inbox.trapped_to in recipients), None)

    victim_pid = int(wait_for(trapped_claim, timeout=10, message="the trapped email's claim").rsplit(":", 1)[1])
    [victim] = [w for w in workers if w.pid == victim_pid]
    procs.kill(victim, signal.SIGKILL)
    victim.wait(timeout=10)
    inbox.release.set()

    # Meanwhile, a third of the way through, server A died with its workers.
    chaos.join(timeout=150)
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors[:5]
    assert killed_at and progress["requests"] > killed_at[0] + 20  # the load went on after the server died

    # Every email the outbox holds is delivered, once (the trapped one after its lease lapsed).
    def all_sent() -> bool:
        db_session.expire_all()
        pending = db_session.scalar(select(func.count()).select_from(OutboxEmail)
                                    .where(OutboxEmail.status != "sent"))
        db_session.commit()
        return pending == 0

    wait_for(all_sent, timeout=90, message="every queued email to be delivered")
    delivered = Counter(str(m["To"]) for m in inbox.messages)
    assert set(delivered.values()) == {1}, delivered
    outbox_recipients = [r[0] for r in db_session.scalars(select(OutboxEmail.recipients))]
    assert sorted(delivered) == sorted(outbox_recipients)
    assert set(emails_accepted) <= set(delivered)
    assert inbox.trapped_to in delivered
    survivor = workers[1 - workers.index(victim)]
    assert survivor.poll() is None
    trapped_by = [by for recipients, by in db_session.execute(select(OutboxEmail.recipients, OutboxEmail.claimed_by))
                  if inbox.trapped_to in recipients]
    assert trapped_by == [f"{trapped_by[0].rsplit(':', 1)[0]}:{survivor.pid}"]  # finished by the other worker

    # No duplicate orders, numbers or external ids; every accepted write is there.
    dupes = db_session.execute(text(
        "SELECT order_number FROM orders GROUP BY organization_id, order_number HAVING count(*) > 1 "
        "UNION ALL SELECT external_id FROM orders WHERE external_id IS NOT NULL "
        "GROUP BY organization_id, external_id HAVING count(*) > 1")).all()
    assert dupes == []
    for key, ids in creates.items():
        assert len(ids) == 1, (key, ids)
        stored = db_session.scalars(select(Order.id).where(Order.external_id == key)).all()
        assert stored == list(ids)
    numbers = set(db_session.scalars(select(Order.order_number).where(Order.order_number.like("IMP-%"))))
    assert imported_numbers and imported_numbers <= numbers
    for order_id, method in last_shipping.items():
        assert db_session.get(Order, order_id).shipping_method == method
    for order_id, status in last_status.items():
        assert db_session.get(Order, order_id).order_status == status == "Complete"

    # The session started on the dead server still works on the survivor.
    assert signed_in_on(bases[1], on_a, manager.email)
    assert requests.get(f"{bases[1]}/readyz", timeout=10).status_code == 200
