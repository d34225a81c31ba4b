"""The big-data check (seed 000 §一.二, 四.一): an application is matched with the
records before it reaches the issuer, whose queue names each finding's department;
a record that arrives while a pass is valid changes the code at once."""

from __future__ import annotations

import uuid

from healthcode.domain.colour import Colour
from healthcode.services.organisations.applications import Source, list_pending_applications
from healthcode.services.residents.declarations import confirm_declaration, submit_declaration
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import declaration, id_number
from tests.factories.organisations import sign_as_issuer
from tests.services.conftest import declare, new_account
from tests.services.organisations.review import community
from tests.services.records.helpers import colour_of, csv_bytes, later, run_import

HEADER = ("source_id", "id_number", "start")


def test_the_queue_names_the_department_behind_a_finding(uow: UnitOfWork, env: Env) -> None:
    home = community(uow, env)
    number = id_number()
    account = new_account(uow, env, "13700001234")
    run = submit_declaration(
        uow,
        env,
        account_id=account.id,
        data=declaration(
            "shandong-pass",
            id_number=number,
            organisation_id=str(home.organisation.id),
            region=home.organisation.region_code,
        ),
    )
    confirm_declaration(uow, env, account_id=account.id, declaration_id=run.declaration.id)
    later(env)
    run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-22")]))

    [item] = list_pending_applications(uow, env, home.issuer)[1]
    [finding] = item.findings
    assert (finding.rule_id, finding.colour) == ("SD-DATA-CONTACT", Colour.RED)
    assert (finding.sources, finding.departments) == ((Source.DEPARTMENT_DATA,), ("health",))


def test_a_record_during_a_valid_pass_changes_it_at_once(uow: UnitOfWork, env: Env) -> None:
    number = id_number()
    account = new_account(uow, env, "13700005678")
    pending = declare(uow, env, account, "shandong-pass", id_number=number)
    assert pending.application_id is not None
    state = sign_as_issuer(uow, env, uuid.UUID(pending.application_id), Colour.GREEN)
    assert state.colour is Colour.GREEN
    later(env)
    run_import(uow, env, csv_bytes([HEADER, ("CC-2", number, "2020-02-22")]))
    assert colour_of(uow, account, "shandong-pass") is Colour.RED
