"""Issue 13 item 4: when a department record recolours a resident, the issuers of the
organisation that signed their pass are told too, and nobody else."""

from __future__ import annotations

import uuid

from healthcode.domain.colour import Colour
from healthcode.domain.records import Department, ImportKind
from healthcode.services.notices.texts import describe
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.organisations import authorised_issuer, organisation, sign_as_issuer
from tests.services.conftest import declare, new_account
from tests.services.notices.helpers import notes, recipients
from tests.services.records.helpers import csv_bytes, later, run_import


def test_a_close_contact_record_tells_the_resident_and_the_signing_organisations_issuers(
    uow: UnitOfWork, env: Env
) -> None:
    ours, theirs = organisation(uow, env), organisation(uow, env)
    issuer, colleague = authorised_issuer(uow, env, ours.id), authorised_issuer(uow, env, ours.id)
    other = authorised_issuer(uow, env, theirs.id)
    number = id_number()
    account = new_account(uow, env, "13800003333")
    state = declare(
        uow, env, account, "shandong-pass", organisation_id=str(ours.id), id_number=number
    )
    assert state.application_id is not None
    signed = sign_as_issuer(uow, env, uuid.UUID(state.application_id), Colour.GREEN, issuer=issuer)
    assert signed.colour is Colour.GREEN
    assert notes(uow, "resident_recoloured") == []  # a signature is no department record
    later(env)  # the record comes after the signature (at one instant, their order was chance)
    rows = [["source_id", "id_number", "start"], ["CC-9", number, "2020-02-22"]]
    run_import(
        uow, env, csv_bytes(rows), kind=ImportKind.CLOSE_CONTACT, department=Department.HEALTH
    )
    told = notes(uow, "resident_recoloured")
    assert recipients(told) == {issuer.account_id, colleague.account_id}
    assert other.account_id not in recipients(told)
    assert {n.payload["to"] for n in told} == {"red"}
    assert {n.payload["application"] for n in told} == {state.application_id}
    text = describe("resident_recoloured", told[0].payload, env.policies)
    assert text.link == f"/staff/applications/{state.application_id}"
    assert "红" in text.title or "red" in text.title
    to_resident = [n for n in notes(uow, "colour_changed") if n.resident_id == account.resident_id]
    assert to_resident[-1].payload["cause"] == "data"  # the resident is told as before
