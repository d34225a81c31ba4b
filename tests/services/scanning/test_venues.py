"""Venues: registered by an organisation's or a region's administrator, operated by the
staff assigned to them; everyone else is told "not found"."""

from __future__ import annotations

import pytest

from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.scope import org_scope
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.organisations import staff_accounts
from healthcode.services.organisations.registry import OrganisationStatus
from healthcode.services.scanning import venues
from healthcode.services.scanning.venues import OrganisationNotActive, VenueKind
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.organisations import organisation
from tests.factories.roster import employer, employer_admin, region_admin
from tests.factories.scanning import operator, venue


class TestRegister:
    def test_an_organisations_admin_registers_a_venue_in_its_region_with_a_printable_code(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        made = venue(uow, env, admin, community.id, kind=VenueKind.COMMUNITY_GATE, name="东门")
        assert made.region_code == community.region_code
        assert made.kind is VenueKind.COMMUNITY_GATE
        assert len(made.code) >= 16
        other = venue(uow, env, admin, community.id)
        assert other.code != made.code
        assert {v.id for v in venues.list_venues(uow, admin)} == {made.id, other.id}

    def test_a_region_admin_registers_a_venue_for_an_employer_in_the_region(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        firm = employer(uow, env)
        made = venue(
            uow,
            env,
            region_admin(uow, env, "371600"),
            firm.id,
            kind=VenueKind.EMPLOYER_GATE,
            gate_mode=True,
        )
        assert made.gate_mode

    def test_another_regions_admin_finds_no_such_organisation(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        with pytest.raises(NotFound):
            venue(uow, env, region_admin(uow, env, "370102"), community.id)

    def test_a_suspended_organisation_registers_nothing(self, uow: UnitOfWork, env: Env) -> None:
        closed = organisation(uow, env, status=OrganisationStatus.SUSPENDED)
        with pytest.raises(OrganisationNotActive):
            venue(uow, env, region_admin(uow, env, "371602"), closed.id)

    def test_every_bad_field_is_named(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        with pytest.raises(InvalidInput) as caught:
            venues.register_venue(
                uow,
                env,
                admin,
                organisation_id=community.id,
                kind=VenueKind.MARKET,
                name="  ",
                region_code="3716",
                latitude=37.0,
            )
        assert {(e.field, e.code) for e in caught.value.errors} == {
            ("name", "required"),
            ("region", "format"),
            ("latitude", "pair"),
        }

    def test_a_venue_lies_in_its_organisations_province(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        """A Binzhou community registered a gate in Wuhan: its scans answered to no one
        who oversees the community. Elsewhere in Shandong (a branch in Jinan) is taken."""
        with pytest.raises(InvalidInput) as caught:
            venues.register_venue(
                uow, env, admin, organisation_id=community.id, kind=VenueKind.MARKET,
                name="武昌门岗", region_code="420106",
            )  # fmt: skip
        [error] = caught.value.errors
        assert (error.field, error.code, error.params) == (
            "region", "other_province", {"province": "山东省"}
        )  # fmt: skip
        jinan = venues.register_venue(
            uow, env, admin, organisation_id=community.id, kind=VenueKind.MARKET,
            name="济南分厂门岗", region_code="370102",
        )  # fmt: skip
        assert jinan.region_code == "370102"


class TestOperators:
    def test_an_assigned_operator_holds_the_checkpoint_role_and_reaches_only_its_venue(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        gate = venue(uow, env, admin, community.id)
        elsewhere = venue(uow, env, admin, community.id)
        guard = operator(uow, env, admin, gate.id)
        assert (Role.CHECKPOINT, org_scope(community.id)) in guard.roles
        assert venues.operated_venue(uow, guard, gate.id).id == gate.id
        with pytest.raises(NotFound):
            venues.operated_venue(uow, guard, elsewhere.id)
        assert [v.id for v in venues.list_venues(uow, guard)] == [gate.id]
        assert [o.account_id for o in venues.list_operators(uow, admin, gate.id)] == [
            guard.account_id
        ]

    def test_an_operator_of_another_organisation_gets_not_found(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        gate = venue(uow, env, admin, community.id)
        other = organisation(uow, env, name="别的社区居民委员会")
        other_admin = employer_admin(uow, env, other.id)
        stranger = operator(uow, env, other_admin, venue(uow, env, other_admin, other.id).id)
        with pytest.raises(NotFound):
            venues.operated_venue(uow, stranger, gate.id)
        with pytest.raises(NotFound):
            venues.list_operators(uow, other_admin, gate.id)

    def test_removed_from_its_last_venue_an_operator_loses_the_role(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        gate = venue(uow, env, admin, community.id)
        guard = operator(uow, env, admin, gate.id)
        venues.remove_operator(uow, env, admin, venue_id=gate.id, account_id=guard.account_id)
        assert [r.role for r in uow.accounts.roles_of(guard.account_id)] == []
        with pytest.raises(NotFound):
            venues.remove_operator(uow, env, admin, venue_id=gate.id, account_id=guard.account_id)

    def test_with_its_last_role_an_operator_is_deactivated_and_stays_in_view(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        """Removed from the organisation's last venue, a guard stayed active with no
        role: it could sign in, and no administrator of the organisation could see it
        or add it back (an outside probe, stop 43)."""
        gate = venue(uow, env, admin, community.id)
        guard = operator(uow, env, admin, gate.id)
        venues.remove_operator(uow, env, admin, venue_id=gate.id, account_id=guard.account_id)
        shown = staff_accounts.show_staff_account(uow, admin, account_id=guard.account_id)
        assert shown.disabled_at is not None
        assert shown.former_roles == ((Role.CHECKPOINT, org_scope(community.id)),)

    def test_an_operator_of_two_venues_keeps_the_role_and_the_account(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        gate, other = venue(uow, env, admin, community.id), venue(uow, env, admin, community.id)
        guard = operator(uow, env, admin, gate.id)
        venues.assign_operator(uow, env, admin, venue_id=other.id, account_id=guard.account_id)
        venues.remove_operator(uow, env, admin, venue_id=gate.id, account_id=guard.account_id)
        account = uow.accounts.by_id(guard.account_id)
        assert account is not None
        assert account.disabled_at is None

    def test_an_existing_staff_account_the_admin_manages_can_be_assigned(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        gate = venue(uow, env, admin, community.id)
        guard = operator(uow, env, admin, venue(uow, env, admin, community.id).id)
        found = venues.assign_operator(
            uow, env, admin, venue_id=gate.id, account_id=guard.account_id
        )
        assert [o.account_id for o in found] == [guard.account_id]
        assert venues.operated_venue(uow, guard, gate.id).id == gate.id

    def test_an_account_the_admin_does_not_manage_is_not_found(
        self, uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
    ) -> None:
        gate = venue(uow, env, admin, community.id)
        outsider = region_admin(uow, env, "370102")
        with pytest.raises(NotFound):
            venues.assign_operator(
                uow, env, admin, venue_id=gate.id, account_id=outsider.account_id
            )
