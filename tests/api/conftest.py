"""Fixtures for calling the JSON API through the Flask test client."""

from __future__ import annotations

import pytest

from tests.api.helpers import Api


@pytest.fixture()
def auth(api_token) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}"}


@pytest.fixture()
def api(client, auth) -> Api:
    return Api(client, auth)
