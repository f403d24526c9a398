"""Fixtures for the operations tests: real processes, a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mail.conftest import Inbox, free_port  # noqa: F401  (shared SMTP helpers)
from tests.ops.procs import Processes


@pytest.fixture()
def procs(tmp_path) -> Iterator[Processes]:
    processes = Processes(tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()


@pytest.fixture()
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
