"""A pass application made in a county with no active community or village goes to no
organisation, and no issuer can reach it: it goes to the county's community when one
becomes active (registered, or reactivated), whose issuers are told; the region's
administrators see how many wait (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.organisations import registry, routing
from healthcode.services.organisations.applications import list_pending_applications
from healthcode.services.organisations.registry import OrganisationKind
from healthcode.services.residents.declarations import confirm_declaration, submit_declaration
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.identity import make_uscc
from tests.factories.inputs import declaration, id_number
from tests.factories.organisations import authorised_issuer, organisation
from tests.services.conftest import new_account
from tests.services.notices.helpers import notes
from tests.services.organisations.conftest import race
from tests.services.organisations.test_registry import fields, org_admin, region_admin

HUIMIN, YANGXIN = "371621", "371622"  # two counties of Binzhou with no community yet
_phones = itertools.count(13700000001)
_bodies = itertools.count(1)


def apply_in(uow: UnitOfWork, env: Env, county: str) -> uuid.UUID:
    """A resident of ``county`` applies for a pass, choosing no community."""
    account = new_account(uow, env, str(next(_phones)))
    data = declaration("shandong-pass", id_number=id_number(), region=county)
    row = submit_declaration(uow, env, account_id=account.id, data=data).declaration
    confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)
    return row.id


def sent_to(uow: UnitOfWork, application_id: uuid.UUID) -> uuid.UUID | None:
    row = uow.declarations.by_id(application_id)
    assert row is not None
    uow.session.refresh(row)
    return row.organisation_id


def community_in(uow: UnitOfWork, env: Env, county: str) -> uuid.UUID:
    """The county's community, registered by the prefecture's administrator."""
    code = make_uscc(authority="5", kind="1", region=county, org_body=f"R{next(_bodies):07d}")
    made = registry.register_organisation(
        uow,
        env,
        region_admin(uow, env, "371600"),
        **fields(region_code=county, credit_code=code, name=f"{county}社区"),  # type: ignore[arg-type]
    )
    return made.id


def queue_of(uow: UnitOfWork, env: Env, organisation_id: uuid.UUID) -> list[uuid.UUID]:
    issuer = authorised_issuer(uow, env, organisation_id)
    _, items = list_pending_applications(uow, env, issuer)
    return [i.application_id for i in items]


class TestRegistered:
    def test_the_first_community_registered_takes_the_countys_waiting_applications(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        here, there = apply_in(uow, env, HUIMIN), apply_in(uow, env, YANGXIN)
        assert (sent_to(uow, here), sent_to(uow, there)) == (None, None)

        community = community_in(uow, env, HUIMIN)

        assert sent_to(uow, here) == community
        assert sent_to(uow, there) is None  # another county's waits for its own
        assert queue_of(uow, env, community) == [here]

    def test_the_first_issuer_authorised_there_is_told_how_many_wait(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """A community just registered has no issuer to tell: whoever is authorised
        first learns of the applications routed to it (granted, or approved)."""
        waiting = [apply_in(uow, env, HUIMIN), apply_in(uow, env, HUIMIN)]
        community = community_in(uow, env, HUIMIN)
        assert notes(uow, "applications_waiting") == []

        first = authorised_issuer(uow, env, community)

        [note] = notes(uow, "applications_waiting")
        assert (note.account_id, note.payload["count"]) == (first.account_id, len(waiting))
        assert note.payload["organisation"] == str(community)

    def test_an_application_submitted_before_and_confirmed_after_goes_to_it(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        account = new_account(uow, env, str(next(_phones)))
        data = declaration("shandong-pass", id_number=id_number(), region=HUIMIN)
        row = submit_declaration(uow, env, account_id=account.id, data=data).declaration
        community = community_in(uow, env, HUIMIN)
        issuer = authorised_issuer(uow, env, community)

        confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)

        assert sent_to(uow, row.id) == community
        [note] = notes(uow, "applications_waiting")
        assert note.account_id == issuer.account_id

    def test_an_employer_approved_takes_none(self, uow: UnitOfWork, env: Env) -> None:
        waiting = apply_in(uow, env, HUIMIN)
        parent = organisation(uow, env, region=HUIMIN, status=registry.OrganisationStatus.ACTIVE)
        employer = organisation(
            uow,
            env,
            region=HUIMIN,
            kind=OrganisationKind.EMPLOYER,
            status=registry.OrganisationStatus.PENDING,
            parent_id=parent.id,
        )
        registry.approve_employer(
            uow, env, region_admin(uow, env, "371600"), organisation_id=employer.id
        )
        assert sent_to(uow, waiting) is None  # an employer reviews its own staff only


class TestReactivated:
    def test_a_reactivated_community_takes_them_and_its_issuers_are_told(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        community = community_in(uow, env, HUIMIN)
        issuer = authorised_issuer(uow, env, community)
        admin = region_admin(uow, env, "371600")
        registry.set_suspended(
            uow, env, admin, organisation_id=community, suspended=True, reason="整改"
        )
        waiting = apply_in(uow, env, HUIMIN)
        assert sent_to(uow, waiting) is None
        assert notes(uow, "applications_waiting") == []

        registry.set_suspended(uow, env, admin, organisation_id=community, suspended=False)

        assert sent_to(uow, waiting) == community
        [note] = notes(uow, "applications_waiting")
        assert (note.account_id, note.payload["count"]) == (issuer.account_id, 1)
        _, items = list_pending_applications(uow, env, issuer)
        assert [i.application_id for i in items] == [waiting]


class TestCount:
    def test_the_regions_administrator_sees_how_many_wait_per_county(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        apply_in(uow, env, HUIMIN)
        apply_in(uow, env, HUIMIN)
        apply_in(uow, env, YANGXIN)
        apply_in(uow, env, "370102")  # Jinan: not this administrator's

        found = routing.unrouted_in_reach(uow, env, region_admin(uow, env, "371600"))

        assert [(c.region_code, c.count) for c in found] == [(HUIMIN, 2), (YANGXIN, 1)]
        assert found[0].region_name == "山东省滨州市惠民县"
        assert found[0].oldest_since == env.clock.now()
        community_in(uow, env, HUIMIN)
        found = routing.unrouted_in_reach(uow, env, region_admin(uow, env, "371600"))
        assert [(c.region_code, c.count) for c in found] == [(YANGXIN, 1)]

    def test_an_organisations_own_administrator_sees_none(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        apply_in(uow, env, HUIMIN)
        assert routing.unrouted_in_reach(uow, env, org_admin(uow, env, community.id)) == ()


def test_two_communities_made_active_at_once_do_not_both_take_one(
    racing: sessionmaker[Session], env: Env
) -> None:
    """The first registration holds the rows it routed; the second waits, then finds
    them taken: each application goes to exactly one community (committed data)."""
    units = UnitOfWorkFactory(racing)
    try:
        with units() as uow:
            waiting = [apply_in(uow, env, HUIMIN), apply_in(uow, env, HUIMIN)]
        made: list[uuid.UUID] = []
        race(
            units,
            lambda uow: made.append(community_in(uow, env, HUIMIN)),
            lambda uow: made.append(community_in(uow, env, HUIMIN)),
            RuntimeError,
        )
        with units() as uow:
            assert len(made) == 2
            assert [sent_to(uow, a) for a in waiting] == [made[0], made[0]]
    finally:
        with racing.begin() as session:  # the accounts that approved them go next
            session.execute(update(t.Organisation).values(approved_by=None))
