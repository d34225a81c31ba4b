"""Fixtures the residents' page tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.web.conftest import new_context
from tests.web.live import LiveServer


@pytest.fixture
def no_js(browser: Browser, server: LiveServer) -> Iterator[BrowserContext]:
    """A browser with JavaScript off: every form must still work."""
    context = new_context(browser, server, java_script_enabled=False)
    yield context
    context.close()
