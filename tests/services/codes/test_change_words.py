"""A code's next change in words names the day in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime

from healthcode.domain.colour import Colour
from healthcode.domain.state import Change
from healthcode.http.views import change_text
from healthcode.i18n import set_language
from healthcode.services.shared.env import Env


def test_a_change_at_midnight_given_in_utc_names_that_day(env: Env) -> None:
    """An override's end stored in UTC (16:00Z, midnight in Shanghai) was told as the
    day before ("2026-12-05 起" for an end at 2026-12-06 00:00)."""
    set_language("zh")
    change = Change(datetime(2026, 12, 5, 16, 0, tzinfo=UTC), Colour.GREEN, False)
    assert "2026-12-06" in change_text(env.policies["binzhou-code"], change)
