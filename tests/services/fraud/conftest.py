"""The scanning tests' community, gate, guard and green resident."""

from tests.services.scanning.conftest import admin, gate, green, guard  # noqa: F401 - fixtures
