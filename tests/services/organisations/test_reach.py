"""Where an issuer reads and signs pass applications: one rule for the queue, each
application and the signature. The organisations the role is held for, never a whole
region or the deployment (an issuer signs in an organisation's name, seed 000 §三);
a suspended organisation's applications refused by name, back on reactivation."""

from __future__ import annotations

import uuid

import pytest

from healthcode.domain.colour import Colour
from healthcode.domain.errors import NotFound
from healthcode.domain.scope import Scope, org_scope
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.organisations.applications import (
    NotAuthorised,
    list_pending_applications,
    open_application,
    summarise_queue,
)
from healthcode.services.organisations.authorisations import grant
from healthcode.services.organisations.counter import enter_counter_application, report_at_counter
from healthcode.services.organisations.paper_passes import issue_paper_pass
from healthcode.services.organisations.registry import OrganisationSuspended
from healthcode.services.organisations.signing import sign_pass
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import daily_report
from tests.factories.roster import set_suspended
from tests.services.organisations.review import apply, community
from tests.services.organisations.test_counter import counter_input
from tests.services.organisations.test_registry import staff


def issuer(uow: UnitOfWork, env: Env, *roles: tuple[Role, str]) -> Principal:
    """A staff account holding ``roles``, each organisation's authorised as its issuer."""
    who = staff(uow, env, *roles)
    for _role, scope in roles:
        for organisation_id in Scope.of([scope]).organisations:
            grant(
                uow, env, account_id=who.account_id, organisation_id=organisation_id,
                role=Role.ISSUER, name="签发人",
            )  # fmt: skip
    return who


class TestAWholeRegionOrTheDeployment:
    @pytest.mark.parametrize("scope", ["", "region:370000", "region:371602"])
    def test_reads_nothing_it_could_not_sign(self, uow: UnitOfWork, env: Env, scope: str) -> None:
        """Such an issuer read every application of the region and could sign none."""
        home = community(uow, env, region="371602")
        application = apply(uow, env, home.organisation)
        wide = staff(uow, env, (Role.ISSUER, scope))

        assert list_pending_applications(uow, env, wide) == (0, [])
        summary = summarise_queue(uow, env, wide)
        assert (summary.total, summary.organisations) == (0, ())
        with pytest.raises(NotFound):
            open_application(uow, env, wide, application_id=application)
        with pytest.raises(NotFound):
            sign_pass(uow, env, wide, application_id=application, colour=Colour.GREEN)

    def test_beside_an_organisation_it_reads_that_organisations_only(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        home, other = community(uow, env), community(uow, env)
        mine, theirs = apply(uow, env, home.organisation), apply(uow, env, other.organisation)
        both = issuer(uow, env, (Role.ISSUER, ""), (Role.ISSUER, org_scope(home.organisation.id)))
        summary = summarise_queue(uow, env, both)
        assert [o.name for o in summary.organisations] == [home.organisation.name]
        assert [i.application_id for i in list_pending_applications(uow, env, both)[1]] == [mine]
        with pytest.raises(NotFound):
            open_application(uow, env, both, application_id=theirs)


class TestWhatIsShownIsSignable:
    def test_every_application_in_the_queue_can_be_signed(self, uow: UnitOfWork, env: Env) -> None:
        home, other = community(uow, env), community(uow, env, region="370102")
        for to in (home, home, other):
            apply(uow, env, to.organisation)
        for issuer in (home.issuer, other.issuer):
            total, items = list_pending_applications(uow, env, issuer)
            assert total == len(items) > 0
            for item in items:
                signed = sign_pass(
                    uow, env, issuer, application_id=item.application_id, colour=Colour.GREEN
                )
                assert signed.colour is Colour.GREEN
            assert list_pending_applications(uow, env, issuer) == (0, [])


class TestASuspendedOrganisation:
    def test_its_issuers_queue_and_applications_are_refused_by_name(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        home = community(uow, env)
        application = apply(uow, env, home.organisation)
        set_suspended(uow, env, home.organisation.id)

        for reading in (
            lambda: list_pending_applications(uow, env, home.issuer),
            lambda: summarise_queue(uow, env, home.issuer),
            lambda: open_application(uow, env, home.issuer, application_id=application),
            lambda: sign_pass(
                uow, env, home.issuer, application_id=application, colour=Colour.GREEN
            ),
        ):
            with pytest.raises(OrganisationSuspended) as refused:
                reading()
            assert (refused.value.status, refused.value.code) == (409, "organisation_suspended")

        set_suspended(uow, env, home.organisation.id, False)
        total, items = list_pending_applications(uow, env, home.issuer)
        assert (total, [i.application_id for i in items]) == (1, [application])
        assert open_application(uow, env, home.issuer, application_id=application).item
        signed = sign_pass(uow, env, home.issuer, application_id=application, colour=Colour.GREEN)
        assert signed.colour is Colour.GREEN

    def test_an_issuer_of_two_keeps_the_other_ones_queue(self, uow: UnitOfWork, env: Env) -> None:
        home, other = community(uow, env), community(uow, env)
        mine, theirs = apply(uow, env, home.organisation), apply(uow, env, other.organisation)
        both = issuer(
            uow,
            env,
            (Role.ISSUER, org_scope(home.organisation.id)),
            (Role.ISSUER, org_scope(other.organisation.id)),
        )
        set_suspended(uow, env, other.organisation.id)

        summary = summarise_queue(uow, env, both)
        assert [o.name for o in summary.organisations] == [home.organisation.name]
        assert [o.name for o in summary.suspended] == [other.organisation.name]
        assert [i.application_id for i in list_pending_applications(uow, env, both)[1]] == [mine]
        with pytest.raises(OrganisationSuspended):
            open_application(uow, env, both, application_id=theirs)


@pytest.mark.usefixtures("signing_key")
class TestARoleWithoutAnAuthorisation:
    """An ``employer_admin`` role held for the community with no authorisation (an
    outside probe, stop 43) read its queue with full names and addresses, printed a
    paper pass (revoking the authorised issuer's card as reprinted) and entered daily
    reports; only its signature was refused."""

    @pytest.mark.parametrize("role", [Role.EMPLOYER_ADMIN, Role.ISSUER])
    def test_acts_in_nothing_it_could_not_sign(self, uow: UnitOfWork, env: Env, role: Role) -> None:
        home = community(uow, env)
        waiting = apply(uow, env, home.organisation)
        counted = enter_counter_application(uow, env, home.issuer, data=counter_input())
        card = issue_paper_pass(uow, env, home.issuer, application_id=counted.application_id)
        bare = staff(uow, env, (role, org_scope(home.organisation.id)))

        assert list_pending_applications(uow, env, bare) == (0, [])
        assert summarise_queue(uow, env, bare).organisations == ()
        for acting in (
            lambda: open_application(uow, env, bare, application_id=waiting),
            lambda: sign_pass(uow, env, bare, application_id=waiting, colour=Colour.GREEN),
            lambda: issue_paper_pass(uow, env, bare, application_id=counted.application_id),
            lambda: report_at_counter(
                uow, env, bare, application_id=counted.application_id, data=daily_report()
            ),
        ):
            with pytest.raises(NotAuthorised) as refused:
                acting()
            assert (refused.value.status, refused.value.code) == (403, "not_authorised_to_sign")
        [standing] = uow.paper_passes.standing(
            card_resident(uow, counted.application_id), "shandong-pass", env.clock.now()
        )
        assert standing.id == card.paper_pass_id  # the issuer's card was not reprinted

    def test_an_organisations_administrator_still_reads_its_applications(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        home = community(uow, env)
        waiting = apply(uow, env, home.organisation)
        admin = staff(uow, env, (Role.ORG_ADMIN, org_scope(home.organisation.id)))
        assert open_application(uow, env, admin, application_id=waiting).item
        with pytest.raises(NotFound):  # it signs nothing
            sign_pass(uow, env, admin, application_id=waiting, colour=Colour.GREEN)


def card_resident(uow: UnitOfWork, application_id: uuid.UUID) -> uuid.UUID:
    row = uow.declarations.by_id(application_id)
    assert row is not None
    assert row.resident_id is not None
    return row.resident_id
