"""Browser tests: one live server and one headless Chromium for the whole session.

Chromium is Debian's (its headless shell, else /usr/bin/chromium), never a Playwright
download; without it the tests are skipped, or fail in CI (HEALTHCODE_TEST_REQUIRE_ALL=1).
Each test gets a fresh browser context (cookies, storage) at a phone's size, and the
server's clock is put back to the start before each test.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from tests.conftest import missing_service
from tests.web import live
from tests.web.live import LiveServer

# Debian's Chromium. Its headless shell (package chromium-headless-shell, the same
# build; Playwright's own choice for headless runs) first: it renders the same pages
# for a third of the CPU of the full browser, and the browser tests share two cores.
BUILDS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
CHROMIUM = next((path for path in BUILDS if os.path.exists(path)), BUILDS[-1])
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
_phones = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/web/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    running = live.start(tmp_path_factory.mktemp("web"))
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _clock_at_start(server: LiveServer) -> None:
    server.clock.set(live.START)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        missing_service("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield chromium
    chromium.close()


def new_context(browser: Browser, server: LiveServer, **options: object) -> BrowserContext:
    """A phone's context. ``locale`` sets Accept-Language for every request, those
    the service worker sends included (extra HTTP headers do not reach those). Reduced
    motion: the tests check behaviour, not motion, and every frame of an animation
    costs CPU the whole suite shares."""
    defaults = {"locale": "zh-CN", "reduced_motion": "reduce"}
    context = browser.new_context(
        base_url=server.url,
        viewport=PHONE,
        **{**defaults, **options},  # type: ignore[arg-type]
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser: Browser, server: LiveServer) -> Iterator[BrowserContext]:
    made = new_context(browser, server)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def new_phone() -> str:
    """A mobile number no other test has used (the server lives for the session)."""
    return f"139{os.getpid() % 10000:04d}{next(_phones):04d}"
