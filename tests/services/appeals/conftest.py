"""The appeals tests' racing sessions (real commits on their own connections)."""

from tests.services.organisations.conftest import committed, racing  # noqa: F401 - fixtures
