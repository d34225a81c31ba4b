"""An account's last role taken away (at 2 a.m., by mistake): it is deactivated, and its
organisation's administrator still sees it, says why and when, and can give it back.

It used to vanish from everyone's list but a deployment administrator's: with no role
left, nothing tied it to the organisation any more."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from healthcode.domain.errors import NotFound
from healthcode.domain.scope import org_scope
from healthcode.services.accounts import login, sessions
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.organisations import staff_accounts
from healthcode.services.organisations.staff_accounts import AccountDeactivated, GrantRefused
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin, region_admin
from tests.services.organisations.test_staff_accounts import PASSWORD, make

Grant = tuple[Role, str]


def taken_away(
    uow: UnitOfWork, env: Env, who: Principal, community: t.Organisation, username: str
) -> tuple[staff_accounts.StaffAccount, Grant]:
    """An issuer of the community whose only role ``who`` takes away; that role."""
    grant = (Role.ISSUER, org_scope(community.id))
    made = make(uow, env, who, username, grant)
    left = staff_accounts.change_roles(uow, env, who, account_id=made.id, remove=[grant])
    return left, grant


class TestStillSeen:
    def test_listed_deactivated_with_when_and_the_role_it_lost(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        left, grant = taken_away(uow, env, org_admin, community, "issuer.night")
        assert (left.active, left.roles, left.former_roles) == (False, (), (grant,))
        assert left.disabled_at == env.clock.now()
        assert staff_accounts.manages(uow, org_admin, left)
        listed = staff_accounts.list_staff_accounts(uow, org_admin)
        [seen] = [a for a in listed if a.username == "issuer.night"]
        assert (seen.active, seen.former_roles) == (False, (grant,))
        assert seen.disabled_at == left.disabled_at
        shown = staff_accounts.show_staff_account(uow, org_admin, account_id=left.id)
        assert shown.former_roles == (grant,)

    def test_a_typed_reason_is_kept_to_show(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        made = make(uow, env, org_admin, "issuer.why", (Role.ISSUER, org_scope(community.id)))
        staff_accounts.deactivate_staff_account(
            uow, env, org_admin, account_id=made.id, reason="调离岗位"
        )
        shown = staff_accounts.show_staff_account(uow, org_admin, account_id=made.id)
        assert (shown.disabled_reason, shown.former_roles) == ("调离岗位", ())
        left = staff_accounts.change_roles(
            uow, env, org_admin, account_id=made.id,
            remove=[(Role.ISSUER, org_scope(community.id))],
        )  # fmt: skip
        assert left.disabled_reason == "调离岗位"  # deactivated first, then its role taken
        assert staff_accounts.manages(uow, org_admin, left)

    def test_out_of_scope_it_is_still_not_found(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        left, _ = taken_away(uow, env, org_admin, community, "issuer.hidden")
        other = organisation(uow, env, region="370102", name="济南某社区")
        strangers = [
            employer_admin(uow, env, other.id),
            region_admin(uow, env, "370100", username="admin.jinan"),
        ]
        for stranger in strangers:
            listed = staff_accounts.list_staff_accounts(uow, stranger)
            assert "issuer.hidden" not in {a.username for a in listed}
            with pytest.raises(NotFound):
                staff_accounts.show_staff_account(uow, stranger, account_id=left.id)
            with pytest.raises(NotFound):
                staff_accounts.reactivate_staff_account(
                    uow, env, stranger, account_id=left.id, reason="不是我们的人"
                )
        binzhou = region_admin(uow, env, "371600", username="admin.binzhou")  # its region's
        assert staff_accounts.show_staff_account(uow, binzhou, account_id=left.id).former_roles

    def test_removing_a_role_it_no_longer_holds_forgets_nothing(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        left, grant = taken_away(uow, env, org_admin, community, "issuer.twice")
        again = staff_accounts.change_roles(uow, env, org_admin, account_id=left.id, remove=[grant])
        assert again.former_roles == (grant,)  # the form sent twice
        assert staff_accounts.manages(uow, org_admin, again)


class TestGivenBack:
    def test_reactivated_by_its_org_admin_with_the_role_back(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        left, grant = taken_away(uow, env, org_admin, community, "issuer.back")
        back = staff_accounts.reactivate_staff_account(
            uow, env, org_admin, account_id=left.id, reason="凌晨误收回角色"
        )
        assert (back.active, back.roles, back.former_roles) == (True, (grant,), ())
        assert uow.authorisations.active(left.id, community.id, Role.ISSUER.value) is not None
        signed = login.staff_login(
            uow, env, username="issuer.back", password=PASSWORD, client="t", user_agent=""
        )
        with pytest.raises(sessions.PasswordChangeRequired):  # signed in, to change the
            sessions.authenticate(uow, env, token=signed.token)  # administrator's password
        events = uow.session.scalars(
            select(t.AuditEvent)
            .where(t.AuditEvent.action.startswith("staff.account."))
            .order_by(t.AuditEvent.at, t.AuditEvent.id)
        ).all()
        reactivated = [e.detail for e in events if e.action == "staff.account.reactivate"]
        assert reactivated == [
            {
                "account_id": str(left.id),
                "reason": "凌晨误收回角色",
                "roles_given_back": [["issuer", grant[1]]],
            }
        ]
        assert {"staff.account.roles", "staff.account.deactivate"} <= {e.action for e in events}

    def test_a_role_is_given_after_reactivating_not_before(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        left, _ = taken_away(uow, env, org_admin, community, "issuer.admin")
        admin = (Role.ORG_ADMIN, org_scope(community.id))
        with pytest.raises(AccountDeactivated):
            staff_accounts.change_roles(uow, env, org_admin, account_id=left.id, add=[admin])
        staff_accounts.reactivate_staff_account(
            uow, env, org_admin, account_id=left.id, reason="误收回，应改为管理员"
        )
        changed = staff_accounts.change_roles(
            uow, env, org_admin, account_id=left.id, add=[admin],
            remove=[(Role.ISSUER, org_scope(community.id))],
        )  # fmt: skip
        assert (changed.active, changed.roles) == (True, (admin,))

    def test_given_back_only_by_who_could_give_every_role_it_lost(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        binzhou = region_admin(uow, env, "371600", username="admin.bz")
        grants = ((Role.ADMIN, "region:371602"), (Role.ORG_ADMIN, org_scope(community.id)))
        boss = make(uow, env, binzhou, "boss.night", *grants)
        staff_accounts.change_roles(uow, env, binzhou, account_id=boss.id, remove=list(grants))
        seen = staff_accounts.show_staff_account(uow, org_admin, account_id=boss.id)
        assert seen.former_roles == (grants[1],)  # only what lay in its organisation
        with pytest.raises(GrantRefused):
            staff_accounts.reactivate_staff_account(
                uow, env, org_admin, account_id=boss.id, reason="越权恢复"
            )
        back = staff_accounts.reactivate_staff_account(
            uow, env, binzhou, account_id=boss.id, reason="误收回"
        )
        assert set(back.roles) == set(grants)
