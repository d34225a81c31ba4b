"""axe-core (npm, vendored under tests/web/vendor for tests only) run on a page."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
}"""


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Page) -> list[str]:
    """axe's violations on the page as it stands, by rule id and the elements at fault.
    Evaluated through the browser's debugging protocol, so the page's CSP (no inline
    scripts) stays as it is."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(f"() => {{ {_source()}\n }}")
    result: list[str] = page.evaluate(RUN)
    return result
