"""A counter application (现场办理): entered by an issuer for a person without a phone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.signing import MilderThanRules
from healthcode.domain.tokens import Refusal
from healthcode.services.codes.health_codes import verify_code
from healthcode.services.codes.recolour import current_state
from healthcode.services.organisations.counter import (
    CounterInput,
    enter_counter_application,
    find_current,
    report_at_counter,
)
from healthcode.services.organisations.paper_passes import issue_paper_pass
from healthcode.services.residents.daily_reports import AlreadyReported
from healthcode.services.residents.declarations import PassStillValid
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import daily_report, declaration_data, id_number
from tests.services.conftest import declare, new_account
from tests.services.organisations.review import community


def counter_input(**fields: Any) -> CounterInput:
    data = declaration_data("shandong-pass", id_number=id_number(), id_card_checked=True)
    return CounterInput.model_validate(data | {"colour": "green"} | fields)


class TestCounter:
    def test_entered_checked_and_signed_at_once(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        signed = enter_counter_application(uow, env, home.issuer, data=counter_input())
        assert signed.state.colour is Colour.GREEN
        assert signed.state.valid_until is not None
        assert signed.name_masked.startswith("张")
        row = uow.declarations.by_id(signed.application_id)
        assert row is not None
        assert row.account_id is None  # no phone, no account
        assert (row.entered_by, row.organisation_id) == (
            home.issuer.account_id,
            home.organisation.id,
        )
        assert row.paper_pledge_at is not None
        assert row.checked_at is not None
        assert uow.session.scalar(select(t.Signature.authorisation_id)) is not None
        actions = uow.session.scalars(select(t.AuditEvent.action)).all()
        assert {"application.counter", "pass.signed"} <= set(actions)
        told = uow.session.scalars(select(t.Notification.kind)).all()
        assert "applications_waiting" not in told  # the queue it never entered

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"id_card_checked": False}, "id_card_checked"),
            ({"pledge": False}, "pledge"),
            ({"id_number": "370102199001011234"}, "id_number"),
        ],
        ids=["ID card not checked", "no paper pledge", "bad ID number"],
    )
    def test_refused_with_a_field_error(
        self, uow: UnitOfWork, env: Env, fields: dict[str, Any], field: str
    ) -> None:
        home = community(uow, env)
        with pytest.raises(InvalidInput) as refused:
            enter_counter_application(uow, env, home.issuer, data=counter_input(**fields))
        assert field in [e.field for e in refused.value.errors]

    def test_never_milder_than_the_rules(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        with pytest.raises(MilderThanRules):
            enter_counter_application(uow, env, home.issuer, data=counter_input(temperature=38.0))

    def test_a_person_whose_pass_is_still_green_is_named_to_the_officer(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        home = community(uow, env)
        data = counter_input()
        signed = enter_counter_application(uow, env, home.issuer, data=data)
        with pytest.raises(PassStillValid) as refused:
            enter_counter_application(uow, env, home.issuer, data=data)
        # was "您的通行卡为绿色，有效期至 2026-12-06T00:00:00+08:00" to the officer
        assert refused.value.message.startswith("This person's pass is green")
        for day in range(24, 29):  # reported at the counter every day
            clock.set(datetime(2020, 2, day, 9, 0, tzinfo=TZ))
            report_at_counter(
                uow, env, home.issuer, application_id=signed.application_id, data=daily_report()
            )
        found = find_current(uow, env, home.issuer, id_number=data.id_number)
        assert found == signed.application_id
        clock.set(datetime(2020, 2, 28, 20, 0, tzinfo=TZ))  # the last day: a new pass,
        renewed = enter_counter_application(uow, env, home.issuer, data=data)  # at once
        assert renewed.state.valid_until == datetime(2020, 3, 5, tzinfo=TZ)
        assert find_current(uow, env, home.issuer, id_number=data.id_number) == (
            renewed.application_id
        )
        assert refused.value.params["until"] == "2020-02-29 00:00"  # Asia/Shanghai, in words

    def test_only_for_an_organisation_one_signs_for(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        elsewhere = community(uow, env, region="370102")
        data = counter_input(organisation_id=str(elsewhere.organisation.id))
        with pytest.raises(NotFound):
            enter_counter_application(uow, env, home.issuer, data=data)

    def test_a_registered_persons_name_is_not_written_over(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        """Their ID number with any name renamed them (an outside probe, stop 43)."""
        home, number = community(uow, env), id_number()
        account = new_account(uow, env, "13800004001")
        declare(uow, env, account, "shandong-pass", id_number=number)
        assert account.resident_id is not None
        clock.advance(timedelta(hours=1))
        with pytest.raises(InvalidInput) as refused:
            enter_counter_application(
                uow, env, home.issuer, data=counter_input(id_number=number, name="冒名顶替")
            )
        assert [(e.field, e.code) for e in refused.value.errors] == [("name", "name_mismatch")]
        resident = uow.residents.by_id(account.resident_id)
        assert resident is not None
        assert (resident.name, resident.name_masked) == ("张三", "张*")
        signed = enter_counter_application(
            uow, env, home.issuer, data=counter_input(id_number=number, colour="green")
        )  # under their own name, as before
        assert signed.name_masked == "张*"


@pytest.mark.usefixtures("signing_key")
class TestReportAtCounter:
    """A person without a phone keeps their pass green by reporting at the counter or by
    phone (seed 000 §四.一); before, the printed card was revoked on the second day."""

    def test_keeps_the_pass_and_its_paper_card_green(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        home = community(uow, env)
        signed = enter_counter_application(uow, env, home.issuer, data=counter_input())
        printed = issue_paper_pass(uow, env, home.issuer, application_id=signed.application_id)
        for _ in range(2):
            clock.advance(timedelta(days=1))
            state = report_at_counter(
                uow, env, home.issuer, application_id=signed.application_id, data=daily_report()
            )
            assert state.colour is Colour.GREEN
        row = uow.declarations.by_id(signed.application_id)
        assert row is not None
        assert row.resident_id is not None
        assert (
            current_state(uow, env, resident_id=row.resident_id, policy=signed.policy).colour
            is Colour.GREEN
        )
        assert verify_code(uow, env, text=printed.token).reason is None
        entered = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "daily_report.counter")
        ).all()
        assert [(e.actor_id, e.resident_id) for e in entered] == [
            (home.issuer.account_id, row.resident_id)
        ] * 2
        # A day without a report turns it yellow, and the card is withdrawn, as before.
        clock.advance(timedelta(days=2))
        assert (
            current_state(uow, env, resident_id=row.resident_id, policy=signed.policy).colour
            is Colour.YELLOW
        )
        assert verify_code(uow, env, text=printed.token).reason is Refusal.REVOKED

    def test_the_rules_of_a_report_from_the_app(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        home = community(uow, env)
        signed = enter_counter_application(uow, env, home.issuer, data=counter_input())
        clock.advance(timedelta(hours=1))
        with pytest.raises(InvalidInput) as refused:
            report_at_counter(
                uow,
                env,
                home.issuer,
                application_id=signed.application_id,
                data=daily_report(temperature=None),
            )
        assert [e.field for e in refused.value.errors] == ["temperature"]
        report_at_counter(
            uow, env, home.issuer, application_id=signed.application_id, data=daily_report()
        )
        with pytest.raises(AlreadyReported):
            report_at_counter(
                uow, env, home.issuer, application_id=signed.application_id, data=daily_report()
            )

    def test_only_on_the_application_the_pass_stands_on(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        """An old application let its issuer report for a person whose pass another
        organisation had signed since (a fever report turned that pass red)."""
        home, jinan = community(uow, env), community(uow, env, region="370102")
        number = id_number()
        first = enter_counter_application(
            uow,
            env,
            home.issuer,
            data=counter_input(
                id_number=number, colour="yellow", note="体温计读数不清", requested=["temperature"]
            ),
        )
        clock.advance(timedelta(hours=2))  # the person travels and applies in Jinan
        now = enter_counter_application(
            uow, env, jinan.issuer, data=counter_input(id_number=number, region="370102")
        )
        with pytest.raises(NotFound):
            report_at_counter(
                uow,
                env,
                home.issuer,
                application_id=first.application_id,
                data=daily_report(temperature=38.6),
            )
        with pytest.raises(NotFound):  # nor is it found there by the ID number
            find_current(uow, env, home.issuer, id_number=number)
        assert find_current(uow, env, jinan.issuer, id_number=number) == now.application_id
        state = report_at_counter(
            uow, env, jinan.issuer, application_id=now.application_id, data=daily_report()
        )
        assert state.colour is Colour.GREEN

    def test_only_by_an_issuer_of_the_organisation(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        elsewhere = community(uow, env, region="370102")
        signed = enter_counter_application(uow, env, home.issuer, data=counter_input())
        with pytest.raises(NotFound):
            report_at_counter(
                uow,
                env,
                elsewhere.issuer,
                application_id=signed.application_id,
                data=daily_report(),
            )
