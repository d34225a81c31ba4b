"""Staff accounts made by administrators within their own scope: who may give which role
where, who sees whom, and deactivation that keeps the history."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.scope import org_scope, region_scope
from healthcode.services.accounts import login, sessions
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.organisations import staff_accounts
from healthcode.services.organisations.staff_accounts import (
    AccountDeactivated,
    AlreadyActive,
    CannotDeactivateSelf,
    GrantRefused,
    StaffAccount,
)
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.organisations import organisation
from tests.factories.roster import employer, region_admin

PASSWORD = "correct horse battery"


def make(
    uow: UnitOfWork, env: Env, who: Principal, username: str, *roles: tuple[Role, str]
) -> StaffAccount:
    return staff_accounts.create_staff_account(
        uow, env, who, username=username, password=PASSWORD, display_name="李敏", roles=roles
    )


class TestCreate:
    def test_an_org_admin_creates_an_issuer_of_its_organisation_who_may_sign(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        made = make(uow, env, org_admin, "issuer.new", (Role.ISSUER, org_scope(community.id)))
        assert made.roles == ((Role.ISSUER, org_scope(community.id)),)
        assert uow.authorisations.active(made.id, community.id, Role.ISSUER.value) is not None
        assert made.id in {a.id for a in staff_accounts.list_staff_accounts(uow, org_admin)}

    def test_a_role_given_in_capitals_is_the_one_taken_away(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        """Given as org:C9D8… it was stored beside the canonical spelling; taking the
        role away as org:c9d8… left the capitals, and the issuer went on signing."""
        shouted = f"org:{str(community.id).upper()}"
        made = make(uow, env, org_admin, "issuer.caps", (Role.ISSUER, shouted))
        assert made.roles == ((Role.ISSUER, org_scope(community.id)),)
        after = staff_accounts.change_roles(
            uow, env, org_admin, account_id=made.id,
            remove=[(Role.ISSUER, org_scope(community.id))],
        )  # fmt: skip
        assert after.roles == ()

    @pytest.mark.parametrize(
        ("role", "scope"),
        [
            (Role.ADMIN, "org"),  # a role it could not give
            (Role.CHECKPOINT, "venue-1"),
            (Role.ORG_ADMIN, ""),  # wider than its own (an issuer: TestOrganisationScope)
            (Role.ORG_ADMIN, "region:371602"),
        ],
    )
    def test_an_org_admin_cannot_give_more_than_it_holds(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation,
        role: Role, scope: str,
    ) -> None:  # fmt: skip
        scope = org_scope(community.id) if scope == "org" else scope
        with pytest.raises(GrantRefused):
            make(uow, env, org_admin, "too.much", (role, scope))
        assert uow.accounts.by_username("too.much") is None

    def test_another_organisation_is_out_of_reach(
        self, uow: UnitOfWork, env: Env, org_admin: Principal
    ) -> None:
        other = organisation(uow, env, name="另一社区")
        with pytest.raises(GrantRefused):
            make(uow, env, org_admin, "elsewhere", (Role.ISSUER, org_scope(other.id)))
        with pytest.raises(InvalidInput):
            make(uow, env, org_admin, "nowhere", (Role.ISSUER, org_scope(uuid.uuid4())))

    def test_a_region_admin_gives_within_its_region_only(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        binzhou = region_admin(uow, env, "371600")
        county = make(uow, env, binzhou, "county.admin", (Role.ADMIN, region_scope("371602")))
        assert county.roles == ((Role.ADMIN, "region:371602"),)
        make(uow, env, binzhou, "issuer.hh", (Role.ISSUER, org_scope(community.id)))
        for scope in ("region:370000", "region:370100", ""):
            with pytest.raises(GrantRefused):
                make(uow, env, binzhou, "too.wide", (Role.ADMIN, scope))

    def test_the_usual_account_checks_still_apply(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        with pytest.raises(InvalidInput) as weak:
            staff_accounts.create_staff_account(
                uow, env, org_admin, username="x", password="123", display_name="", roles=[]
            )
        assert {e.field for e in weak.value.errors} >= {"username", "password", "roles"}


class TestListAndRoles:
    def test_each_admin_sees_only_the_staff_within_its_scope(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        other = organisation(uow, env, region="370102", name="济南某社区")
        jinan = region_admin(uow, env, "370100", username="admin.jinan")
        theirs = make(uow, env, jinan, "issuer.jinan", (Role.ISSUER, org_scope(other.id)))
        ours = make(uow, env, org_admin, "issuer.ours", (Role.ISSUER, org_scope(community.id)))
        seen = {a.username for a in staff_accounts.list_staff_accounts(uow, org_admin)}
        assert "issuer.ours" in seen
        assert "issuer.jinan" not in seen
        assert "admin.jinan" not in seen
        with pytest.raises(NotFound):
            staff_accounts.show_staff_account(uow, org_admin, account_id=theirs.id)
        with pytest.raises(NotFound):
            staff_accounts.show_staff_account(uow, jinan, account_id=ours.id)

    def test_removing_an_issuer_role_revokes_its_authorisation(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        grant = (Role.ISSUER, org_scope(community.id))
        made = make(uow, env, org_admin, "issuer.gone", grant)
        both = staff_accounts.change_roles(
            uow, env, org_admin, account_id=made.id, add=[(Role.ORG_ADMIN, grant[1])]
        )
        assert {r for r, _ in both.roles} == {Role.ISSUER, Role.ORG_ADMIN}
        left = staff_accounts.change_roles(uow, env, org_admin, account_id=made.id, remove=[grant])
        assert left.roles == ((Role.ORG_ADMIN, grant[1]),)
        assert uow.authorisations.active(made.id, community.id, Role.ISSUER.value) is None
        with pytest.raises(GrantRefused):
            staff_accounts.change_roles(
                uow, env, org_admin, account_id=made.id, add=[(Role.ADMIN, "")]
            )

    def test_ones_own_roles_are_not_taken_away(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        with pytest.raises(CannotDeactivateSelf):
            staff_accounts.change_roles(
                uow, env, org_admin, account_id=org_admin.account_id,
                remove=[(Role.ORG_ADMIN, org_scope(community.id))],
            )  # fmt: skip

    def test_an_issuers_only_role_taken_away_by_its_org_admin(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        """Was 404 "no such staff account", rolled back: the issuer went on signing."""
        grant = (Role.ISSUER, org_scope(community.id))
        made = make(uow, env, org_admin, "issuer.only", grant)
        issued = login.staff_login(
            uow, env, username="issuer.only", password=PASSWORD, client="t", user_agent=""
        )
        left = staff_accounts.change_roles(uow, env, org_admin, account_id=made.id, remove=[grant])
        assert left.roles == ()
        assert not left.active  # no role left: it could still sign in, and no one saw it
        assert sessions.authenticate(uow, env, token=issued.token) is None
        assert uow.accounts.roles_of(made.id) == []
        assert uow.authorisations.active(made.id, community.id, Role.ISSUER.value) is None
        # still the org admin's to see and give back (test_last_role.py)
        assert staff_accounts.manages(uow, org_admin, left)


class TestDeactivate:
    def test_deactivated_staff_cannot_sign_in_and_their_history_remains(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        made = make(uow, env, org_admin, "issuer.leaving", (Role.ISSUER, org_scope(community.id)))
        issued = login.staff_login(
            uow, env, username="issuer.leaving", password=PASSWORD, client="t", user_agent=""
        )
        done = staff_accounts.deactivate_staff_account(
            uow, env, org_admin, account_id=made.id, reason="调离岗位"
        )
        assert not done.active
        assert done.disabled_at == env.clock.now()
        assert sessions.authenticate(uow, env, token=issued.token) is None
        with pytest.raises(login.AccountDisabled):
            login.staff_login(
                uow, env, username="issuer.leaving", password=PASSWORD, client="t", user_agent=""
            )
        listed = staff_accounts.list_staff_accounts(uow, org_admin)
        assert [a.username for a in listed if not a.active] == ["issuer.leaving"]
        assert listed[-1].username == "issuer.leaving"  # after the active ones
        events = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "staff.account.deactivate")
        ).all()
        assert [e.detail["reason"] for e in events] == ["调离岗位"]
        assert uow.accounts.by_id(made.id) is not None  # kept

    def test_not_oneself_and_not_someone_holding_more(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        with pytest.raises(CannotDeactivateSelf):
            staff_accounts.deactivate_staff_account(
                uow, env, org_admin, account_id=org_admin.account_id, reason="x"
            )
        binzhou = region_admin(uow, env, "371600")
        boss = make(
            uow, env, binzhou, "boss", (Role.ADMIN, "region:371602"),
            (Role.ORG_ADMIN, org_scope(community.id)),
        )  # fmt: skip
        with pytest.raises(GrantRefused) as refused:
            staff_accounts.deactivate_staff_account(
                uow, env, org_admin, account_id=boss.id, reason="越权"
            )
        assert "outside your organisations" in refused.value.message  # not "cannot give"
        # the organisation's administrator sees the role held in its organisation only
        seen = staff_accounts.show_staff_account(uow, org_admin, account_id=boss.id)
        assert seen.roles == ((Role.ORG_ADMIN, org_scope(community.id)),)
        with pytest.raises(InvalidInput):
            staff_accounts.deactivate_staff_account(
                uow, env, binzhou, account_id=boss.id, reason=" "
            )


class TestReactivate:
    """A deactivated account could not be given back: the API answered 200 to roles
    given to it (granted, and nobody could use them) and no page or endpoint undid
    the deactivation."""

    def test_a_role_given_to_a_deactivated_account_is_refused(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        scope = org_scope(community.id)
        made = make(uow, env, org_admin, "issuer.off", (Role.ISSUER, scope))
        staff_accounts.deactivate_staff_account(
            uow, env, org_admin, account_id=made.id, reason="调离岗位"
        )
        with pytest.raises(AccountDeactivated) as refused:
            staff_accounts.change_roles(
                uow, env, org_admin, account_id=made.id, add=[(Role.ORG_ADMIN, scope)]
            )
        assert refused.value.status == 409
        assert "reactivate it first" in refused.value.message
        assert staff_accounts.show_staff_account(uow, org_admin, account_id=made.id).roles == (
            (Role.ISSUER, scope),
        )

    def test_reactivated_with_its_roles_and_its_old_sessions_stay_ended(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        scope = org_scope(community.id)
        made = make(uow, env, org_admin, "issuer.back", (Role.ISSUER, scope))
        issued = login.staff_login(
            uow, env, username="issuer.back", password=PASSWORD, client="t", user_agent=""
        )
        staff_accounts.deactivate_staff_account(
            uow, env, org_admin, account_id=made.id, reason="误停用"
        )
        back = staff_accounts.reactivate_staff_account(
            uow, env, org_admin, account_id=made.id, reason="停错了人"
        )
        assert back.active
        assert back.roles == ((Role.ISSUER, scope),)  # deactivation took none away
        assert uow.authorisations.active(made.id, community.id, Role.ISSUER.value) is not None
        assert sessions.authenticate(uow, env, token=issued.token) is None  # signs in again
        again = login.staff_login(
            uow, env, username="issuer.back", password=PASSWORD, client="t", user_agent=""
        )
        with pytest.raises(sessions.PasswordChangeRequired):  # signed in, to change the
            sessions.authenticate(uow, env, token=again.token)  # administrator's password
        events = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "staff.account.reactivate")
        ).all()
        assert [(e.actor_id, e.detail) for e in events] == [
            (org_admin.account_id, {"account_id": str(made.id), "reason": "停错了人"})
        ]
        with pytest.raises(AlreadyActive) as twice:
            staff_accounts.reactivate_staff_account(
                uow, env, org_admin, account_id=made.id, reason="again"
            )
        assert twice.value.status == 409

    def test_only_within_scope_and_with_a_reason(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        binzhou = region_admin(uow, env, "371600")
        boss = make(
            uow, env, binzhou, "boss.off", (Role.ADMIN, "region:371602"),
            (Role.ORG_ADMIN, org_scope(community.id)),
        )  # fmt: skip
        staff_accounts.deactivate_staff_account(uow, env, binzhou, account_id=boss.id, reason="x")
        with pytest.raises(GrantRefused):  # holds a role the org admin could not give
            staff_accounts.reactivate_staff_account(
                uow, env, org_admin, account_id=boss.id, reason="越权"
            )
        other = organisation(uow, env, region="370102", name="济南某社区")
        jinan = region_admin(uow, env, "370100", username="admin.jinan")
        with pytest.raises(NotFound):
            staff_accounts.reactivate_staff_account(uow, env, jinan, account_id=boss.id, reason="x")
        del other
        with pytest.raises(InvalidInput):
            staff_accounts.reactivate_staff_account(
                uow, env, binzhou, account_id=boss.id, reason="  "
            )
        assert not staff_accounts.show_staff_account(uow, binzhou, account_id=boss.id).active

    def test_an_account_left_with_no_role_a_deployment_admin_gives_back_too(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        """Its last role taken away by mistake: a deployment administrator, as its
        organisation's (test_last_role.py), reactivates it with the role it lost."""
        grant = (Role.ISSUER, org_scope(community.id))
        made = make(uow, env, org_admin, "issuer.bare", grant)
        staff_accounts.change_roles(uow, env, org_admin, account_id=made.id, remove=[grant])
        everywhere = region_admin(uow, env, "371600", username="admin.all")
        everywhere = Principal(everywhere.account_id, "staff", None, frozenset({(Role.ADMIN, "")}))  # type: ignore[arg-type]
        back = staff_accounts.reactivate_staff_account(
            uow, env, everywhere, account_id=made.id, reason="收回错了"
        )
        assert back.active
        assert back.roles == (grant,)
        assert staff_accounts.manages(uow, org_admin, back)


class TestOrganisationScope:
    """An issuer signs in an organisation's name (seed 000 §三): held for a region or the
    whole deployment it reached no application (``applications.reach``), yet it was
    granted, and its queue stayed empty with nobody knowing why."""

    @pytest.mark.parametrize(
        ("role", "scope"),
        [
            (Role.ISSUER, "region:371602"),
            (Role.ISSUER, "region:371600"),
            (Role.ISSUER, ""),
            (Role.EMPLOYER_ADMIN, "region:371602"),
        ],
    )
    def test_a_role_that_acts_for_an_organisation_is_refused_anywhere_else(
        self, uow: UnitOfWork, env: Env, role: Role, scope: str
    ) -> None:
        root = deployment_admin(uow, env)
        with pytest.raises(InvalidInput) as refused:
            make(uow, env, root, "issuer.nowhere", (role, scope))
        [error] = refused.value.errors
        assert (error.field, error.code) == ("scope", "organisation_scope_required")
        assert uow.accounts.by_username("issuer.nowhere") is None

    def test_nor_given_later_and_an_organisation_still_is(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        binzhou = region_admin(uow, env, "371600")
        made = make(uow, env, binzhou, "issuer.hh", (Role.ISSUER, org_scope(community.id)))
        assert uow.authorisations.active(made.id, community.id, Role.ISSUER.value) is not None
        with pytest.raises(InvalidInput) as refused:
            staff_accounts.change_roles(
                uow, env, binzhou, account_id=made.id, add=[(Role.ISSUER, "region:371602")]
            )
        assert refused.value.errors[0].code == "organisation_scope_required"
        # an organisation's administrator for the region does reach it (its staff,
        # organisations, authorisations): still given
        both = staff_accounts.change_roles(
            uow, env, binzhou, account_id=made.id, add=[(Role.ORG_ADMIN, "region:371602")]
        )
        assert both.roles == (
            (Role.ISSUER, org_scope(community.id)),
            (Role.ORG_ADMIN, "region:371602"),
        )
        assert both.reaching_nothing == ()

    def test_not_at_the_console_either(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(InvalidInput) as refused:
            staff_accounts.create_staff_at_console(
                uow, env, username="issuer.console", password=PASSWORD, display_name="李敏",
                roles=[(Role.ISSUER, "")],
            )  # fmt: skip
        assert refused.value.errors[0].field == "scope"
        assert uow.accounts.by_username("issuer.console") is None

    def test_an_issuer_made_before_is_kept_and_listed_as_reaching_nothing(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        binzhou = region_admin(uow, env, "371600")
        old = login.create_staff(
            uow, env, username="issuer.county", password=PASSWORD, display_name="王芳",
            roles=[(Role.ISSUER, "region:371602")],
        )  # fmt: skip
        [seen] = [a for a in staff_accounts.list_staff_accounts(uow, binzhou) if a.id == old.id]
        assert seen.active
        assert seen.roles == ((Role.ISSUER, "region:371602"),)  # not changed
        assert seen.reaching_nothing == ((Role.ISSUER, "region:371602"),)
        # put right as the warning says: given for the community, the old one taken away
        right = staff_accounts.change_roles(
            uow, env, binzhou, account_id=old.id,
            add=[(Role.ISSUER, org_scope(community.id))],
            remove=[(Role.ISSUER, "region:371602")],
        )  # fmt: skip
        assert (right.roles, right.reaching_nothing) == (
            ((Role.ISSUER, org_scope(community.id)),),
            (),
        )


class TestAnEmployersIssuer:
    """Given for a community (an outside probe, stop 43), it read the community's queue,
    printed its paper passes and entered its daily reports; only its signature was
    refused. It is an employer's role (seed 000 §三: 企事业单位的主管人员)."""

    def test_is_refused_for_a_community_by_the_service_and_at_the_console(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        with pytest.raises(InvalidInput) as refused:
            make(uow, env, org_admin, "ea.huanghe", (Role.EMPLOYER_ADMIN, org_scope(community.id)))
        [error] = refused.value.errors
        assert (error.field, error.code) == ("scope", "employer_required")
        assert uow.accounts.by_username("ea.huanghe") is None
        with pytest.raises(InvalidInput):
            staff_accounts.create_staff_at_console(
                uow, env, username="ea.console", password=PASSWORD, display_name="李敏",
                roles=[(Role.EMPLOYER_ADMIN, org_scope(community.id))],
            )  # fmt: skip
        made = make(uow, env, org_admin, "issuer.hh", (Role.ISSUER, org_scope(community.id)))
        with pytest.raises(InvalidInput):
            staff_accounts.change_roles(
                uow, env, org_admin, account_id=made.id,
                add=[(Role.EMPLOYER_ADMIN, org_scope(community.id))],
            )  # fmt: skip

    def test_is_given_for_an_employer(self, uow: UnitOfWork, env: Env) -> None:
        firm = employer(uow, env)
        made = make(
            uow,
            env,
            deployment_admin(uow, env),
            "ea.firm",
            (Role.EMPLOYER_ADMIN, org_scope(firm.id)),
        )
        assert made.roles == ((Role.EMPLOYER_ADMIN, org_scope(firm.id)),)


def deployment_admin(uow: UnitOfWork, env: Env) -> Principal:
    made = login.create_staff(
        uow, env, username="admin.root", password=PASSWORD, display_name="指挥部",
        roles=[(Role.ADMIN, "")],
    )  # fmt: skip
    return sessions.principal_of(uow, account_id=made.id)
