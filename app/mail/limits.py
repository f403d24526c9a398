"""Run a function in a separate process, within a time and a memory budget.

For work whose cost the application does not control (an organization's email
template): the function runs in a child forked from a clean single-threaded server
process (multiprocessing's ``forkserver``, which has this package imported already, so a
child starts in milliseconds), with its address space capped. The caller waits at most
the given seconds, then kills the child. A runaway template therefore costs one
short-lived process, never a web worker (a big-integer computation would otherwise hold
the interpreter lock and stall every thread of the server)."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from typing import Any

try:
    import resource
except ImportError:  # pragma: no cover - not on Linux
    resource = None  # type: ignore[assignment]

Report = Callable[[str], None]
"""Given to the function: call it with the name of the stage it starts (for messages)."""

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["app.mail.templates"])
_CPU_SECONDS = 10  # a backstop should the parent die before it can kill the child


class OverBudget(Exception):
    def __init__(self, stage: str | None):
        super().__init__(stage)
        self.stage = stage


class TooSlow(OverBudget):
    """The function did not finish within its time."""


class TooBig(OverBudget):
    """The function ran out of its memory (or its process died)."""


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(extra: int) -> None:
    if resource is None:  # pragma: no cover
        return
    try:
        limit = _address_space() + extra
    except OSError:  # pragma: no cover - no /proc
        return
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (_CPU_SECONDS, _CPU_SECONDS))


def _child(conn, fn: Callable[..., Any], args: tuple, memory: int, passes: tuple[type[BaseException], ...]) -> None:
    def report(stage: str) -> None:
        conn.send(("stage", stage))

    try:
        _limit_memory(memory)
        result: tuple[str, Any] = ("ok", fn(*args, report))
    except MemoryError:
        result = ("memory", None)
    except passes as exc:
        result = ("raise", exc)
    except Exception as exc:  # noqa: BLE001 - handed to the parent as a plain message
        result = ("error", f"{exc.__class__.__name__}: {exc}")
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("memory", None))
    finally:
        conn.close()


def run(fn: Callable[..., Any], args: tuple, *, seconds: float, memory: int,
        passes: tuple[type[BaseException], ...] = ()) -> Any:
    """``fn(*args, report)`` in a child process. Exceptions of the ``passes`` types (which
    must pickle) are raised here as they were raised there; running out of time raises
    ``TooSlow`` and out of memory ``TooBig``, each naming the last reported stage."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=_child, args=(sender, fn, args, memory, passes), daemon=True)
    process.start()
    sender.close()
    deadline = time.monotonic() + seconds
    stage: str | None = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receiver.poll(remaining):
                raise TooSlow(stage)
            try:
                kind, value = receiver.recv()
            except EOFError:
                raise TooBig(stage) from None
            if kind == "stage":
                stage = value
            elif kind == "ok":
                return value
            elif kind == "memory":
                raise TooBig(stage)
            elif kind == "raise":
                raise value
            else:
                raise RuntimeError(f"limited process failed: {value}")
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
        process.close()
