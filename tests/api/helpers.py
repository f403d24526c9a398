"""Helpers for the API tests: a JSON client with the bearer token, seed-based bodies
and problem+json assertions."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select

from app import jsonutil
from app.db.models import Order
from tests.seed_examples import SINGLE_CREATE


class Api:
    """The test client with the bearer token and JSON bodies (exact decimals)."""

    def __init__(self, client, headers: dict[str, str]):
        self.client = client
        self.headers = headers

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None,
             content_type: str = "application/json", headers: dict[str, str] | None = None,
             **kwargs):
        data = raw if raw is not None else (None if body is None else jsonutil.dumps(body))
        return self.client.open(
            path, method=method, data=data,
            content_type=content_type if data is not None else None,
            headers={**self.headers, **(headers or {})}, **kwargs,
        )

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs):
        return self.call("PUT", path, body, **kwargs)


def order_body(**changes: Any) -> dict[str, Any]:
    """The seed's create example with some fields changed."""
    body = copy.deepcopy(SINGLE_CREATE)
    body.update(changes)
    return body


def order_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Order))


def data(response) -> Any:
    """The response body parsed with exact decimals."""
    return jsonutil.loads(response.get_data())


def assert_problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = data(response)
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body
