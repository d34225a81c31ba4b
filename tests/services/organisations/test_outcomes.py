"""What the resident and the community are told after a yellow or red signature."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.domain.signing import InfoNeeded
from healthcode.services.organisations.outcomes import decision_of
from healthcode.services.organisations.signing import sign_pass
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.services.organisations.review import Community, apply, community


def resident_of(uow: UnitOfWork, application: object) -> t.Resident:
    row = uow.declarations.by_id(application)  # type: ignore[arg-type]
    assert row is not None
    assert row.resident_id is not None
    resident = uow.residents.by_id(row.resident_id)
    assert resident is not None
    return resident


def messages(uow: UnitOfWork, resident: t.Resident, kind: str) -> list[dict[str, object]]:
    rows = uow.session.scalars(
        select(t.Notification).where(
            t.Notification.resident_id == resident.id, t.Notification.kind == kind
        )
    )
    return [dict(r.payload) for r in rows]


def sign_yellow(
    uow: UnitOfWork, env: Env, home: Community, note: str, requested: list[InfoNeeded]
) -> uuid.UUID:
    """A new application to the community, signed yellow; its id."""
    application = apply(uow, env, home.organisation)
    sign_pass(
        uow,
        env,
        home.issuer,
        application_id=application,
        colour=Colour.YELLOW,
        note=note,
        requested=requested,
    )
    return application


class TestYellow:
    def test_the_resident_is_told_exactly_what_is_needed(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        application = sign_yellow(
            uow, env, home, "请补充租房合同", [InfoNeeded.TEMPERATURE, InfoNeeded.OTHER]
        )
        resident = resident_of(uow, application)
        [told] = messages(uow, resident, "more_information")
        assert told["items"] == ["A temperature reading", "请补充租房合同"]  # ids, then the note
        shown = decision_of(
            uow, env, resident_id=resident.id, policy=env.policies.find("shandong-pass")
        )
        assert shown is not None
        assert (shown.colour, shown.requested, shown.note) == (
            Colour.YELLOW,
            (InfoNeeded.TEMPERATURE, InfoNeeded.OTHER),
            "请补充租房合同",
        )
        assert not messages(uow, resident, "not_eligible")

    @pytest.mark.parametrize(
        ("requested", "note", "field"),
        [([], "", "requested"), ([InfoNeeded.OTHER], "", "note")],
    )
    def test_yellow_must_say_what(
        self, uow: UnitOfWork, env: Env, requested: list[InfoNeeded], note: str, field: str
    ) -> None:
        home = community(uow, env)
        with pytest.raises(InvalidInput) as refused:
            sign_yellow(uow, env, home, note, requested)
        assert [e.field for e in refused.value.errors] == [field]

    def test_only_yellow_asks(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        application = apply(uow, env, home.organisation)
        with pytest.raises(InvalidInput):
            sign_pass(
                uow,
                env,
                home.issuer,
                application_id=application,
                colour=Colour.GREEN,
                requested=[InfoNeeded.TEMPERATURE],
            )


class TestRed:
    def test_the_resident_is_told_to_report_and_the_contact_is_notified(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        home = community(uow, env)
        application = apply(uow, env, home.organisation, temperature=37.9)
        sign_pass(uow, env, home.issuer, application_id=application, colour=Colour.RED)
        resident = resident_of(uow, application)

        [told] = messages(uow, resident, "pass_signed")
        assert told["colour"] == "red"
        notices = uow.prevention_notices.of_organisation(home.organisation.id)
        assert [(n.resident_id, n.sent_at) for n in notices] == [(resident.id, None)]
        audited = uow.session.scalars(
            select(t.AuditEvent.action).where(t.AuditEvent.resident_id == resident.id)
        ).all()
        assert "prevention.notified" in audited
        shown = decision_of(
            uow, env, resident_id=resident.id, policy=env.policies.find("shandong-pass")
        )
        assert shown is not None
        assert shown.colour is Colour.RED
        assert shown.next_step is not None
        assert "社区" in shown.next_step["zh"]  # the policy's words: report to your community

    def test_green_tells_no_contact(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        application = apply(uow, env, home.organisation)
        sign_pass(uow, env, home.issuer, application_id=application, colour=Colour.GREEN)
        assert uow.prevention_notices.of_organisation(home.organisation.id) == []
        resident = resident_of(uow, application)
        assert (
            decision_of(
                uow, env, resident_id=resident.id, policy=env.policies.find("shandong-pass")
            )
            is None
        )
