"""The builder's catalog and signed-in rep, for the hardening tests that go through it."""

from tests.builder.conftest import catalog, rep_client, rep_user  # noqa: F401
