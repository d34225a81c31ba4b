"""Organisations: who registers which kind, the employer approved by its own community,
suspension, scoped listing and routing (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import uuid

import pytest

from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import AccountKind, Principal, Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.organisations import registry
from healthcode.services.organisations.registry import (
    OrganisationKind,
    OrganisationStatus,
    reviewer_of,
)
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.identity import make_uscc
from tests.factories.organisations import organisation

_serial = itertools.count(1)


def staff(uow: UnitOfWork, env: Env, *roles: tuple[Role, str]) -> Principal:
    account = create_staff(
        uow,
        env,
        username=f"admin.{next(_serial)}",
        password="correct horse battery",
        display_name="管理员",
        roles=list(roles),
    )
    return principal_of(uow, account_id=account.id)


def region_admin(uow: UnitOfWork, env: Env, code: str = "371602") -> Principal:
    return staff(uow, env, (Role.ADMIN, f"region:{code}"))


def org_admin(uow: UnitOfWork, env: Env, org_id: uuid.UUID) -> Principal:
    return staff(uow, env, (Role.ORG_ADMIN, f"org:{org_id}"))


def fields(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": OrganisationKind.COMMUNITY,
        "credit_code": make_uscc(authority="5", kind="1", region="371602", org_body="C0000001"),
        "name": "黄河八路社区居民委员会",
        "responsible_person": "王秀兰",
        "region_code": "371602",
        "address": "黄河八路 8 号",
        "contact_phone": "13912345678",
    }
    base.update(over)
    return base


def field_codes(error: InvalidInput) -> dict[str, str]:
    return {e.field: e.code for e in error.errors}


class TestRegister:
    def test_a_region_admin_registers_a_community_active_with_a_masked_phone(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        made = registry.register_organisation(uow, env, region_admin(uow, env), **fields())  # type: ignore[arg-type]
        assert made.status is OrganisationStatus.ACTIVE
        assert made.contact_phone_masked == "139****5678"
        row = uow.organisations.by_id(made.id)
        assert row is not None
        assert row.contact_phone_cipher is not None
        assert b"13912345678" not in row.contact_phone_cipher

    def test_a_wrong_credit_code_is_a_field_error(self, uow: UnitOfWork, env: Env) -> None:
        code = make_uscc(authority="5", kind="1", org_body="C0000002")
        wrong = code[:-1] + ("1" if code[-1] != "1" else "2")
        with pytest.raises(InvalidInput) as caught:
            registry.register_organisation(
                uow,
                env,
                region_admin(uow, env),
                **fields(credit_code=wrong),  # type: ignore[arg-type]
            )
        assert "credit_code" in field_codes(caught.value)

    def test_another_regions_admin_cannot_register_here(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(InvalidInput) as caught:
            registry.register_organisation(uow, env, region_admin(uow, env, "370102"), **fields())  # type: ignore[arg-type]
        assert field_codes(caught.value)["region"] == "not_your_region"

    def test_a_prefecture_code_is_not_a_county(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(InvalidInput) as caught:
            registry.register_organisation(
                uow,
                env,
                region_admin(uow, env, "371600"),
                **fields(region_code="371600"),  # type: ignore[arg-type]
            )
        assert field_codes(caught.value)["region"] == "not_county"


class TestEmployer:
    def employer(self, uow: UnitOfWork, env: Env, parent: uuid.UUID) -> uuid.UUID:
        anyone = Principal(uuid.uuid4(), AccountKind.RESIDENT, None, frozenset())
        made = registry.register_organisation(
            uow,
            env,
            anyone,
            **fields(  # type: ignore[arg-type]
                kind=OrganisationKind.EMPLOYER,
                credit_code=make_uscc(org_body="E0000001"),
                name="滨州示例食品有限公司",
                parent_id=parent,
            ),
        )
        assert made.status is OrganisationStatus.PENDING
        return made.id

    def test_approved_only_by_its_own_community(self, uow: UnitOfWork, env: Env) -> None:
        home = organisation(uow, env).id
        other = organisation(uow, env).id  # same county, another community
        employer = self.employer(uow, env, home)
        with pytest.raises(NotFound):
            registry.approve_employer(
                uow, env, org_admin(uow, env, other), organisation_id=employer
            )
        approved = registry.approve_employer(
            uow, env, org_admin(uow, env, home), organisation_id=employer
        )
        assert approved.status is OrganisationStatus.ACTIVE
        assert [o.id for o in registry.list_organisations(uow, org_admin(uow, env, other))] == [
            other
        ]

    def test_must_sit_in_an_active_community_of_its_county(self, uow: UnitOfWork, env: Env) -> None:
        jinan = organisation(uow, env, region="370102").id
        with pytest.raises(InvalidInput) as caught:
            self.employer(uow, env, jinan)
        assert field_codes(caught.value)["parent_id"] == "unknown_community"

    def test_a_community_admin_cannot_suspend_its_own_community(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        home = organisation(uow, env).id
        with pytest.raises(NotFound):
            registry.set_suspended(
                uow,
                env,
                org_admin(uow, env, home),
                organisation_id=home,
                suspended=True,
                reason="x",
            )


class TestSuspension:
    def test_no_application_goes_to_a_suspended_community(self, uow: UnitOfWork, env: Env) -> None:
        home = organisation(uow, env).id
        assert reviewer_of(uow, None, region_code="371602") == home
        registry.set_suspended(
            uow, env, region_admin(uow, env), organisation_id=home, suspended=True, reason="整改"
        )
        with pytest.raises(InvalidInput):
            reviewer_of(uow, home, region_code="371602")
        assert reviewer_of(uow, None, region_code="371602") is None  # waits unrouted
        registry.set_suspended(
            uow, env, region_admin(uow, env), organisation_id=home, suspended=False
        )
        assert reviewer_of(uow, None, region_code="371602") == home

    def test_suspension_needs_a_reason(self, uow: UnitOfWork, env: Env) -> None:
        home = organisation(uow, env).id
        with pytest.raises(InvalidInput):
            registry.set_suspended(
                uow, env, region_admin(uow, env), organisation_id=home, suspended=True
            )


class TestRouting:
    def test_with_several_communities_the_resident_must_choose(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        first, _second = organisation(uow, env), organisation(uow, env)
        with pytest.raises(InvalidInput) as caught:
            reviewer_of(uow, None, region_code="371602")
        assert field_codes(caught.value) == {"organisation_id": "choose_community"}
        assert reviewer_of(uow, first.id, region_code="371602") == first.id

    def test_an_employer_only_once_approved_and_only_for_its_staff(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        home = organisation(uow, env)
        employer = organisation(
            uow,
            env,
            kind=OrganisationKind.EMPLOYER,
            parent_id=home.id,
            status=OrganisationStatus.PENDING,
        )
        with pytest.raises(InvalidInput) as caught:
            reviewer_of(uow, employer.id, region_code="371602")
        assert field_codes(caught.value) == {"organisation_id": "unknown_organisation"}
        employer.status = "active"
        with pytest.raises(InvalidInput) as caught:  # the roster is the staff helper's test
            reviewer_of(uow, employer.id, region_code="371602", id_hash=b"\0" * 32)
        assert field_codes(caught.value) == {"organisation_id": "not_on_roster"}

    def test_the_public_list_shows_the_active_communities_of_a_county(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        here = organisation(uow, env, name="甲社区")
        organisation(uow, env, name="乙社区", status=OrganisationStatus.SUSPENDED)
        organisation(uow, env, region="370102", name="济南社区")
        assert [o.name for o in registry.communities_of(uow, "371602")] == [here.name]
