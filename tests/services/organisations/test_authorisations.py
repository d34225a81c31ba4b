"""Issuer authorisation (签发人员维护): the automatic checks, decisions within scope, and
what a suspended or revoked issuer can still do (nothing), on SQLite and PostgreSQL;
a revocation racing a signature on PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.services.accounts.permissions import Permission, Principal, Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.organisations import authorisations, registry
from healthcode.services.organisations.applications import (
    NotAuthorised,
    list_pending_applications,
    open_application,
)
from healthcode.services.organisations.authorisations import (
    AlreadyApplied,
    AuthorisationStatus,
    Decision,
    OwnApplication,
    WrongStatus,
)
from healthcode.services.organisations.registry import OrganisationStatus, OrganisationSuspended
from healthcode.services.organisations.signing import sign_pass
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.organisations import authorised_issuer, organisation
from tests.services.conftest import declare, new_account
from tests.services.organisations.test_registry import field_codes, org_admin, region_admin


def applicant(uow: UnitOfWork, env: Env, phone: str = "13700001111") -> Principal:
    """A person signed in by SMS (a resident-kind account) who applies."""
    return principal_of(uow, account_id=new_account(uow, env, phone).id)


def apply(
    uow: UnitOfWork, env: Env, who: Principal, org: t.Organisation, **over: object
) -> authorisations.AuthorisationSummary:
    form: dict[str, object] = {
        "credit_code": org.credit_code,
        "organisation_name": org.name,
        "unit": "社区疫情防控办公室",
        "name": "李娜",
        "position": "网格员",
        "phone": "13912340000",
        "region_code": "371602",
    }
    form.update(over)
    return authorisations.apply(uow, env, who, **form)  # type: ignore[arg-type]


def decide(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    found: uuid.UUID,
    decision: Decision,
    reason: str = "",
) -> authorisations.AuthorisationSummary:
    return authorisations.decide(
        uow, env, who, authorisation_id=found, decision=decision, reason=reason
    )


class TestApplying:
    def test_a_wrong_credit_code(self, uow: UnitOfWork, env: Env) -> None:
        """Its check character changed (a code ending in "0" was left unchanged, and
        valid: one run in 31 did not raise)."""
        org = organisation(uow, env)
        wrong = org.credit_code[:-1] + ("1" if org.credit_code.endswith("0") else "0")
        with pytest.raises(InvalidInput) as caught:
            apply(uow, env, applicant(uow, env), org, credit_code=wrong)
        assert "credit_code" in field_codes(caught.value)

    def test_a_name_not_matching_the_credit_code(self, uow: UnitOfWork, env: Env) -> None:
        org = organisation(uow, env)
        with pytest.raises(InvalidInput) as caught:
            apply(uow, env, applicant(uow, env), org, organisation_name="别的社区")
        assert field_codes(caught.value) == {"organisation_name": "name_mismatch"}

    @pytest.mark.parametrize("status", [OrganisationStatus.PENDING, OrganisationStatus.SUSPENDED])
    def test_an_inactive_organisation(
        self, uow: UnitOfWork, env: Env, status: OrganisationStatus
    ) -> None:
        org = organisation(uow, env, status=status)
        with pytest.raises(InvalidInput) as caught:
            apply(uow, env, applicant(uow, env), org)
        assert field_codes(caught.value) == {"credit_code": "inactive"}

    def test_a_region_mismatch(self, uow: UnitOfWork, env: Env) -> None:
        org = organisation(uow, env)
        with pytest.raises(InvalidInput) as caught:
            apply(uow, env, applicant(uow, env), org, region_code="370102")
        assert field_codes(caught.value) == {"region": "region_mismatch"}

    def test_applying_twice_is_refused_and_nothing_is_granted_yet(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        org = organisation(uow, env)
        who = applicant(uow, env)
        made = apply(uow, env, who, org)
        assert made.status is AuthorisationStatus.APPLIED
        assert made.phone_masked == "139****0000"
        with pytest.raises(AlreadyApplied):
            apply(uow, env, who, org)
        assert not principal_of(uow, account_id=who.account_id).can(Permission.PASS_SIGN)


class TestDeciding:
    def test_approval_grants_signing_within_the_organisation(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        org = organisation(uow, env)
        who = applicant(uow, env)
        made = apply(uow, env, who, org)
        decided = decide(
            uow,
            env,
            authorised_issuer(uow, env, org.id, role=Role.ORG_ADMIN),
            made.id,
            Decision.APPROVE,
        )
        assert decided.status is AuthorisationStatus.ACTIVE
        now = principal_of(uow, account_id=who.account_id)
        assert now.scope(Permission.PASS_SIGN).organisations == {org.id}

    def test_an_admin_of_another_region_or_community_finds_nothing(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        org = organisation(uow, env)
        made = apply(uow, env, applicant(uow, env), org)
        other = organisation(uow, env).id
        for outsider in (region_admin(uow, env, "370102"), org_admin(uow, env, other)):
            with pytest.raises(NotFound):
                decide(uow, env, outsider, made.id, Decision.APPROVE)
            assert authorisations.list_authorisations(uow, outsider) == []
        assert [
            a.id for a in authorisations.list_authorisations(uow, region_admin(uow, env, "371600"))
        ] == [made.id]

    def test_an_org_admin_authorisation_is_decided_by_the_region_only(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        org = organisation(uow, env)
        made = apply(uow, env, applicant(uow, env), org, role=Role.ORG_ADMIN)
        with pytest.raises(NotFound):
            decide(uow, env, org_admin(uow, env, org.id), made.id, Decision.APPROVE)
        assert (
            decide(uow, env, region_admin(uow, env), made.id, Decision.APPROVE).role
            is Role.ORG_ADMIN
        )

    def test_nobody_approves_their_own_application(self, uow: UnitOfWork, env: Env) -> None:
        org = organisation(uow, env)
        admin = authorised_issuer(uow, env, org.id, role=Role.ORG_ADMIN)
        made = apply(uow, env, admin, org)
        with pytest.raises(OwnApplication):
            decide(uow, env, admin, made.id, Decision.APPROVE)

    def test_refusal_suspension_revocation_need_a_reason_and_are_logged(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        org = organisation(uow, env)
        admin = region_admin(uow, env)
        made = apply(uow, env, applicant(uow, env), org)
        with pytest.raises(InvalidInput):
            decide(uow, env, admin, made.id, Decision.REFUSE)
        refused = decide(uow, env, admin, made.id, Decision.REFUSE, "非本社区工作人员")
        assert (refused.status, refused.reason) == (AuthorisationStatus.REFUSED, "非本社区工作人员")
        with pytest.raises(WrongStatus):
            decide(uow, env, admin, made.id, Decision.APPROVE)
        actions = uow.session.scalars(select(t.AuditEvent.action)).all()
        assert "authorisation.refuse" in actions


class TestWithdrawn:
    """A suspended or revoked issuer lists, reads and signs nothing more."""

    @pytest.mark.parametrize("decision", [Decision.SUSPEND, Decision.REVOKE])
    def test_loses_the_queue_and_the_signature(
        self, uow: UnitOfWork, env: Env, decision: Decision
    ) -> None:
        org = organisation(uow, env)
        account = new_account(uow, env, "13800001111")
        state = declare(uow, env, account, "shandong-pass", organisation_id=str(org.id))
        assert state.application_id is not None
        application = uuid.UUID(state.application_id)
        issuer = authorised_issuer(uow, env, org.id)
        assert list_pending_applications(uow, env, issuer)[0] == 1
        [grant] = uow.authorisations.of_account(issuer.account_id)
        decide(uow, env, region_admin(uow, env), grant.id, decision, "调离")
        after = principal_of(uow, account_id=issuer.account_id)
        assert not after.can(Permission.APPLICATION_READ)
        assert list_pending_applications(uow, env, after) == (0, [])
        with pytest.raises(NotFound):
            open_application(uow, env, after, application_id=application)
        with pytest.raises(NotAuthorised):  # even with the stale principal of before
            sign_pass(uow, env, issuer, application_id=application, colour=Colour.GREEN)

    def test_a_suspended_organisations_issuers_cannot_sign(self, uow: UnitOfWork, env: Env) -> None:
        org = organisation(uow, env)
        account = new_account(uow, env, "13800001111")
        state = declare(uow, env, account, "shandong-pass", organisation_id=str(org.id))
        assert state.application_id is not None
        issuer = authorised_issuer(uow, env, org.id)
        registry.set_suspended(
            uow, env, region_admin(uow, env), organisation_id=org.id, suspended=True, reason="整改"
        )
        with pytest.raises(OrganisationSuspended):  # by name (tests/services/.../test_reach.py)
            sign_pass(
                uow,
                env,
                issuer,
                application_id=uuid.UUID(state.application_id),
                colour=Colour.GREEN,
            )

    def test_a_signature_stays_explained_after_revocation(self, uow: UnitOfWork, env: Env) -> None:
        org = organisation(uow, env)
        account = new_account(uow, env, "13800001111")
        state = declare(uow, env, account, "shandong-pass", organisation_id=str(org.id))
        assert state.application_id is not None
        application = uuid.UUID(state.application_id)
        issuer = authorised_issuer(uow, env, org.id)
        sign_pass(uow, env, issuer, application_id=application, colour=Colour.GREEN)
        [grant] = uow.authorisations.of_account(issuer.account_id)
        decide(uow, env, region_admin(uow, env), grant.id, Decision.REVOKE, "离职")
        detail = open_application(uow, env, org_admin(uow, env, org.id), application_id=application)
        [signed] = detail.signatures
        assert (signed.authorisation_id, signed.signer_name, signed.position) == (
            grant.id,
            "签发人",
            "社区干部",
        )
        assert (signed.organisation_name, signed.authorisation_status) == (org.name, "revoked")


@pytest.fixture
def committed_pg(postgresql_engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    yield factory
    with factory.begin() as session:
        session.execute(delete(t.AuditEvent))
        session.execute(delete(t.Resident))
        session.execute(delete(t.Account))
        session.execute(delete(t.Organisation))


class TestRevocationRace:
    """PostgreSQL: the signature holds the authorisation's row lock."""

    def setup_world(
        self, units: UnitOfWorkFactory, env: Env
    ) -> tuple[uuid.UUID, Principal, uuid.UUID, Principal]:
        with units() as uow:
            org = organisation(uow, env)
            account = new_account(uow, env, "13800001111")
            state = declare(uow, env, account, "shandong-pass", organisation_id=str(org.id))
            assert state.application_id is not None
            issuer = authorised_issuer(uow, env, org.id)
            [grant] = uow.authorisations.of_account(issuer.account_id)
            return uuid.UUID(state.application_id), issuer, grant.id, region_admin(uow, env)

    def test_a_signature_first_keeps_its_authorisation(
        self, committed_pg: sessionmaker[Session], env: Env
    ) -> None:
        units = UnitOfWorkFactory(committed_pg)
        application, issuer, grant, admin = self.setup_world(units, env)
        done: list[object] = []

        def revoke() -> None:
            with units() as other:
                done.append(decide(other, env, admin, grant, Decision.REVOKE, "离职"))

        with units() as uow:
            sign_pass(uow, env, issuer, application_id=application, colour=Colour.GREEN)
            racer = threading.Thread(target=revoke)
            racer.start()
            time.sleep(0.3)
            assert racer.is_alive(), "the revocation should wait for the signature's lock"
        racer.join(timeout=30)
        assert len(done) == 1
        with committed_pg() as session:
            [signature] = session.scalars(select(t.Signature)).all()
            assert signature.authorisation_id == grant
            assert session.get(t.Authorisation, grant).status == "revoked"  # type: ignore[union-attr]

    def test_a_revocation_first_refuses_the_signature(
        self, committed_pg: sessionmaker[Session], env: Env
    ) -> None:
        units = UnitOfWorkFactory(committed_pg)
        application, issuer, grant, admin = self.setup_world(units, env)
        outcome: list[object] = []

        def sign() -> None:
            with units() as other:
                try:
                    sign_pass(other, env, issuer, application_id=application, colour=Colour.GREEN)
                except NotAuthorised as error:
                    outcome.append(error)

        with units() as uow:
            decide(uow, env, admin, grant, Decision.REVOKE, "离职")
            racer = threading.Thread(target=sign)
            racer.start()
            time.sleep(0.3)
            assert racer.is_alive(), "the signature should wait for the revocation's lock"
        racer.join(timeout=30)
        assert len(outcome) == 1
        assert isinstance(outcome[0], NotAuthorised)
        with committed_pg() as session:
            assert session.scalars(select(t.Signature)).all() == []
