"""The ID-card lane: an ID number typed or read from the card, with or without a code.
Every look-up is audit-logged and limited per operator."""

from __future__ import annotations

import pytest

from healthcode.domain.checkpoint import Decision
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.services.accounts.permissions import Principal
from healthcode.services.scanning import lookups
from healthcode.services.scanning.scans import ScanResult
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.scanning import display_token, paper_token, twin_id
from tests.services.conftest import declare

NUMBER = id_number()


@pytest.fixture
def holder(uow: UnitOfWork, env: Env, account: t.Account, signing_key: None) -> t.Account:
    declare(uow, env, account, id_number=NUMBER)
    return account


def check(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    gate: VenueSummary,
    number: str,
    token: str | None = None,
) -> ScanResult:
    return lookups.check_id_card(uow, env, who, venue_id=gate.id, id_number=number, token=token)


class TestWithACode:
    def test_the_holders_card_passes(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, holder: t.Account
    ) -> None:
        result = check(uow, env, guard, gate, NUMBER, display_token(uow, env, holder.resident_id))
        assert (result.decision, result.verdict, result.lane.value) == (
            Decision.RELEASE,
            None,
            "id_card",
        )

    @pytest.mark.parametrize("kind", ["display", "paper"])
    def test_a_card_with_the_same_visible_digits_but_another_number_is_the_wrong_person(
        self,
        uow: UnitOfWork,
        env: Env,
        guard: Principal,
        gate: VenueSummary,
        holder: t.Account,
        kind: str,
    ) -> None:
        twin = twin_id(NUMBER)
        assert (twin[:4], twin[-4:]) == (NUMBER[:4], NUMBER[-4:])
        token = (
            display_token(uow, env, holder.resident_id)
            if kind == "display"
            else paper_token(uow, env, holder.resident_id)
        )
        result = check(uow, env, guard, gate, twin, token)
        assert (result.decision, result.verdict) == (Decision.REFUSED, "wrong_person")

    def test_an_unreadable_number_is_refused_by_field(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, holder: t.Account
    ) -> None:
        with pytest.raises(InvalidInput) as caught:
            check(uow, env, guard, gate, NUMBER[:17] + "Z")
        assert caught.value.errors[0].field == "id_number"


class TestWithoutACode:
    def test_the_person_is_found_by_number_shown_minimally_and_the_look_up_is_logged(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, holder: t.Account
    ) -> None:
        result = check(uow, env, guard, gate, NUMBER)
        assert (result.decision, result.colour, result.masked_name) == (
            Decision.RELEASE,
            Colour.GREEN,
            "张*",
        )
        assert holder.resident_id is not None
        events = [
            e for e in uow.audit.of_resident(holder.resident_id) if e.action == "scan.id_lookup"
        ]
        assert len(events) == 1
        assert events[0].actor_id == guard.account_id
        assert events[0].detail["scan_id"] == str(result.id)

    def test_a_yellow_person_is_stopped_with_the_next_step(
        self,
        uow: UnitOfWork,
        env: Env,
        guard: Principal,
        gate: VenueSummary,
        account: t.Account,
        signing_key: None,
    ) -> None:
        number = id_number()
        declare(uow, env, account, id_number=number, temperature=38.0)
        result = check(uow, env, guard, gate, number)
        assert (result.decision, result.colour) == (Decision.STOP, Colour.YELLOW)

    def test_an_unknown_number_is_refused_and_still_logged(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, holder: t.Account
    ) -> None:
        result = check(uow, env, guard, gate, twin_id(NUMBER))
        assert (result.decision, result.verdict, result.masked_name) == (
            Decision.REFUSED,
            "unknown_person",
            None,
        )
        assert uow.scans.by_id(result.id) is not None

    def test_an_operator_over_the_per_minute_limit_is_refused(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, holder: t.Account
    ) -> None:
        env.limiter.clear(
            f"{env.settings.id_lookups_per_minute}/minute", "id-lookup", str(guard.account_id)
        )
        for _ in range(env.settings.id_lookups_per_minute):
            check(uow, env, guard, gate, NUMBER)
        with pytest.raises(TooManyRequests) as caught:
            check(uow, env, guard, gate, NUMBER)
        assert caught.value.retry_after is not None


class TestABusyGate:
    """A gate takes a person every 2 seconds, 30 a minute, and a bus brings more at
    once: the ID-card lane keeps up; only look-ups count, not numbers mistyped."""

    def test_a_busload_of_forty_cards_within_a_minute_is_not_refused(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, holder: t.Account
    ) -> None:
        for _ in range(40):
            assert check(uow, env, guard, gate, NUMBER).decision == Decision.RELEASE

    def test_a_mistyped_number_is_not_a_look_up(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, holder: t.Account
    ) -> None:
        typo = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")  # the check character fails
        for _ in range(env.settings.id_lookups_per_minute):
            with pytest.raises(InvalidInput):
                check(uow, env, guard, gate, typo)
        assert check(uow, env, guard, gate, NUMBER).decision == Decision.RELEASE
