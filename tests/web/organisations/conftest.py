"""A Chromium with fake camera and microphone, for the video call tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright

from tests.conftest import missing_service
from tests.web.conftest import ARGS, CHROMIUM
from tests.web.organisations.calls import MEDIA_ARGS


@pytest.fixture(scope="session")
def media_browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        missing_service("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + MEDIA_ARGS)
    yield chromium
    chromium.close()
