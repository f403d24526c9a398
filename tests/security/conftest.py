"""Fixtures the hardening tests share with the API and builder suites, and a signed-in
manager."""

import pytest

from tests.api.conftest import api, auth  # noqa: F401
from tests.builder.conftest import catalog, rep_client, rep_user  # noqa: F401
from tests.web.helpers import login, make_user


@pytest.fixture()
def manager(app, db_session, org):
    make_user(db_session, org, "manager", "boss@acme.example")
    client = app.test_client()
    login(client, "boss@acme.example")
    return client
