"""Scanning pages: ``camera_browser(text)`` gives a Chromium whose camera shows the QR
code of ``text`` (tests/web/scanning/camera.py); each is closed after the test."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Playwright

from tests.conftest import missing_service
from tests.web.conftest import CHROMIUM
from tests.web.scanning import camera

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
