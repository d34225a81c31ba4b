"""The seeds' stories run over HTTP against the same app fixtures as tests/api."""

from tests.api.conftest import add_staff, app, client, community, settings, sms

__all__ = ["add_staff", "app", "client", "community", "settings", "sms"]
