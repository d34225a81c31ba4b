"""The review queue: only checked applications, within scope, filtered, counted."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from healthcode.domain.clock import FixedClock, day_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import NotFound
from healthcode.services.organisations.applications import (
    QueueFilter,
    Source,
    list_pending_applications,
    open_application,
    summarise_queue,
)
from healthcode.services.organisations.signing import NotChecked, sign_pass
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.services.organisations.review import apply, community


class TestScope:
    def test_an_issuer_of_another_community_sees_nothing(self, uow: UnitOfWork, env: Env) -> None:
        binzhou = community(uow, env, region="371602")
        jinan = community(uow, env, region="370102")
        application = apply(uow, env, binzhou.organisation)

        summary = summarise_queue(uow, env, jinan.issuer)
        assert (summary.total, dict(summary.by_suggested), summary.oldest_since) == (0, {}, None)
        assert list_pending_applications(uow, env, jinan.issuer) == (0, [])
        with pytest.raises(NotFound):
            open_application(uow, env, jinan.issuer, application_id=application)

        total, items = list_pending_applications(uow, env, binzhou.issuer)
        assert (total, [i.application_id for i in items]) == (1, [application])


class TestFiltersAndCounts:
    def test_counts_per_suggested_colour_and_the_oldest_wait(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        home = community(uow, env)
        first = apply(uow, env, home.organisation)
        clock.advance(timedelta(hours=5))
        fever = apply(uow, env, home.organisation, temperature=37.8)
        clock.advance(timedelta(hours=1))
        leisure = apply(uow, env, home.organisation, purpose="other")

        summary = summarise_queue(uow, env, home.issuer)
        assert summary.total == 3
        assert dict(summary.by_suggested) == {Colour.GREEN: 2, Colour.RED: 1}
        assert summary.oldest_since == clock.now() - timedelta(hours=6)

        def ids(**f: Any) -> list[uuid.UUID]:
            _total, items = list_pending_applications(
                uow, env, home.issuer, filters=QueueFilter(**f)
            )
            return [i.application_id for i in items]

        assert ids() == [first, fever, leisure]  # oldest first
        assert ids(suggested=Colour.RED) == [fever]
        assert ids(suggested=Colour.GREEN) == [first, leisure]
        assert ids(waiting_hours=2) == [first]
        assert ids(purpose="other") == [leisure]
        assert ids(region="3716") == [first, fever, leisure]
        assert ids(region="3701") == []

    def test_an_item_shows_its_findings_and_todays_temperature(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        home = community(uow, env)
        application = apply(uow, env, home.organisation, temperature=37.8)
        row = uow.declarations.by_id(application)
        assert row is not None
        assert row.resident_id is not None
        for temperature, at in (
            (37.0, env.clock.now() - timedelta(days=1)),
            (36.9, env.clock.now()),
        ):
            uow.add(  # yesterday's does not count; today's latest does
                t.DailyReport(
                    resident_id=row.resident_id,
                    policy_id="binzhou-code",
                    reported_at=at,
                    day=day_of(at),
                    temperature=temperature,
                    symptoms=[],
                    exposures=[],
                    trips=[],
                )
            )
        uow.flush()

        [item] = list_pending_applications(uow, env, home.issuer)[1]
        assert item.temperature_today == 36.9
        assert [(f.colour, f.sources) for f in item.findings] == [
            (Colour.RED, (Source.DECLARATION,))
        ]
        assert item.findings[0].text["zh"]  # in words, not only the rule id


class TestDataCheck:
    def test_an_application_not_yet_checked_is_neither_queued_nor_signable(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        home = community(uow, env)
        application = apply(uow, env, home.organisation)
        row = uow.declarations.by_id(application)
        assert row is not None
        row.checked_at = None  # the data check has not run yet
        uow.flush()

        assert list_pending_applications(uow, env, home.issuer) == (0, [])
        assert summarise_queue(uow, env, home.issuer).total == 0
        with pytest.raises(NotChecked) as refused:
            sign_pass(uow, env, home.issuer, application_id=application, colour=Colour.GREEN)
        assert refused.value.code == "not_checked"
        assert "data check" in str(refused.value)
