"""Scanning pages: ``camera_browser(text)`` gives a Chromium whose camera shows the QR
code of ``text`` (tests/web/scanning/camera.py); each is closed after the test.
``checkpoint`` is a venue with its guard, ``scanner_context`` a browser context for
the offline scanner (tests/web/scanning/offline.py)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright

from tests.conftest import missing_service
from tests.web.conftest import CHROMIUM, new_context
from tests.web.live import LiveServer
from tests.web.scanning import camera
from tests.web.scanning.offline import Checkpoint, new_checkpoint

CameraBrowser = Callable[[str], Browser]


@pytest.fixture
def camera_browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CameraBrowser]:
    if not os.path.exists(CHROMIUM):
        missing_service("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    launched: list[Browser] = []
    numbers = itertools.count(1)
    directory = tmp_path_factory.mktemp("camera")

    def showing(text: str) -> Browser:
        video = camera.qr_video(text, directory / f"qr-{next(numbers)}.y4m")
        browser = camera.camera_browser(playwright, video)
        launched.append(browser)
        return browser

    yield showing
    for browser in launched:
        browser.close()


@pytest.fixture
def checkpoint(server: LiveServer) -> Checkpoint:
    return new_checkpoint(server)


@pytest.fixture
def scanner_context(browser: Browser, server: LiveServer) -> Iterator[BrowserContext]:
    made = new_context(browser, server)
    yield made
    made.close()
