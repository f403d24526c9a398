"""This process's name in leases and logs: ``host:pid`` (unique across hosts sharing a database)."""

from __future__ import annotations

import os
import socket


def identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
