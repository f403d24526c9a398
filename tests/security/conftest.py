"""Fixtures the hardening tests share with the API and builder suites."""

from tests.api.conftest import api, auth  # noqa: F401
from tests.builder.conftest import catalog, rep_client, rep_user  # noqa: F401
