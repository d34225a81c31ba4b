"""Where an issuer reads and signs pass applications: one rule for the queue, each
application and the signature. The organisations the role is held for, never a whole
region or the deployment (an issuer signs in an organisation's name, seed 000 §三);
a suspended organisation's applications refused by name, back on reactivation."""

from __future__ import annotations

import pytest

from healthcode.domain.colour import Colour
from healthcode.domain.errors import NotFound
from healthcode.domain.scope import org_scope
from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.applications import (
    list_pending_applications,
    open_application,
    summarise_queue,
)
from healthcode.services.organisations.registry import OrganisationSuspended
from healthcode.services.organisations.signing import sign_pass
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.roster import set_suspended
from tests.services.organisations.review import apply, community
from tests.services.organisations.test_registry import staff


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
        both = staff(uow, env, (Role.ISSUER, ""), (Role.ISSUER, org_scope(home.organisation.id)))
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
        both = staff(
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
