"""Applying for a pass as an employer's staff (seed 003 §二 企业复工): the application
goes to the employer when the applicant's ID number is on its roster, else a field error."""

from __future__ import annotations

import pytest

from healthcode.domain.errors import InvalidInput
from healthcode.services.organisations.registry import OrganisationStatus
from healthcode.services.organisations.roster import employers_of, import_staff
from healthcode.services.residents.declarations import submit_declaration
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import declaration
from tests.factories.organisations import organisation
from tests.factories.roster import employer, employer_admin, staff_csv, staff_id
from tests.services.conftest import declare

ON_ROSTER = staff_id(7)


@pytest.fixture
def company(uow: UnitOfWork, env: Env) -> t.Organisation:
    found = employer(uow, env)
    admin = employer_admin(uow, env, found.id)
    rows = [("张三", ON_ROSTER, "13812340007", "生产部")]
    import_staff(uow, env, admin, organisation_id=found.id, content=staff_csv(rows))
    return found


def apply(
    uow: UnitOfWork, env: Env, account: t.Account, id_number: str, **fields: object
) -> t.Declaration:
    data = declaration("shandong-pass", id_number=id_number, **fields)
    row = submit_declaration(uow, env, account_id=account.id, data=data).declaration
    found = uow.declarations.by_id(row.id)
    assert found is not None
    return found


def refused_field(error: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str]:
    (only,) = error.value.errors
    return only.field, only.code


class TestApplyAsStaff:
    def test_by_credit_code_goes_to_the_employer(
        self, uow: UnitOfWork, env: Env, account: t.Account, company: t.Organisation
    ) -> None:
        organisation(uow, env)  # the county's community, where it would go otherwise
        row = apply(uow, env, account, ON_ROSTER, employer_code=company.credit_code.lower())
        assert row.organisation_id == company.id

    def test_by_choosing_the_employer_goes_to_it(
        self, uow: UnitOfWork, env: Env, account: t.Account, company: t.Organisation
    ) -> None:
        row = apply(uow, env, account, ON_ROSTER, organisation_id=str(company.id))
        assert row.organisation_id == company.id

    def test_an_id_number_not_on_the_roster_is_refused(
        self, uow: UnitOfWork, env: Env, account: t.Account, company: t.Organisation
    ) -> None:
        with pytest.raises(InvalidInput) as by_code:
            apply(uow, env, account, staff_id(8), employer_code=company.credit_code)
        assert refused_field(by_code) == ("employer_code", "not_on_roster")
        with pytest.raises(InvalidInput) as by_choice:
            apply(uow, env, account, staff_id(8), organisation_id=str(company.id))
        assert refused_field(by_choice) == ("organisation_id", "not_on_roster")
        assert "渤海示范机械有限公司" in by_choice.value.errors[0].render()

    def test_an_unknown_or_suspended_employer_is_refused(
        self, uow: UnitOfWork, env: Env, account: t.Account, company: t.Organisation
    ) -> None:
        community = organisation(uow, env)
        with pytest.raises(InvalidInput) as not_employer:
            apply(uow, env, account, ON_ROSTER, employer_code=community.credit_code)
        assert refused_field(not_employer) == ("employer_code", "unknown_employer")
        company.status = OrganisationStatus.SUSPENDED.value
        with pytest.raises(InvalidInput) as suspended:
            apply(uow, env, account, ON_ROSTER, employer_code=company.credit_code)
        assert refused_field(suspended) == ("employer_code", "unknown_employer")
        with pytest.raises(InvalidInput) as bad_code:
            apply(uow, env, account, ON_ROSTER, employer_code="91371602XXXXXXXX")
        assert refused_field(bad_code)[0] == "employer_code"

    def test_the_form_offers_the_employers_whose_roster_holds_the_resident(
        self, uow: UnitOfWork, env: Env, account: t.Account, company: t.Organisation
    ) -> None:
        assert employers_of(uow, env, account_id=account.id) == ()  # not yet bound
        declare(uow, env, account, id_number=ON_ROSTER)
        (offered,) = employers_of(uow, env, account_id=account.id)
        assert (offered.id, offered.name) == (company.id, company.name)
