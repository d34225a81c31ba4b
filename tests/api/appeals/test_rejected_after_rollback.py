"""An appeal rejected after the department's rollback withdrew its record: the
officer's confirmation said "the record stands", which was untrue (it no longer
counts; a re-sent record would count again)."""

from __future__ import annotations

import html
import re
import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts.permissions import Role
from healthcode.services.appeals.appeals import submit_appeal
from healthcode.services.appeals.withdrawals import tell_withdrawn
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import in_tx
from tests.api.pages import HTML, page_token
from tests.factories.appeals import PASSWORD, POLICY, REASON, listed, officer

NOTE = "记录来源核实无误，驳回申诉"


def appealed(app: FastAPI, sessions: sessionmaker[Session], *, rolled_back: bool) -> uuid.UUID:
    """An appeal against a health record, that record withdrawn meanwhile (as the
    rollback's recolouring leaves it) or not, and a health officer to decide it."""

    def work(uow: UnitOfWork, env: Env) -> uuid.UUID:
        officer(uow, env, "health.officer", (Role.DATA_OPERATOR, "dept:health"))
        person = listed(uow, env)
        made = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason=REASON,
        )  # fmt: skip
        if rolled_back:
            record = uow.appeals.record(person.record_id)
            assert record is not None
            record.withdrawn_at, record.withdrawn_reason = env.clock.now(), "batch rolled back"
            uow.flush()
            assert tell_withdrawn(uow, env, resident_ids=[person.resident_id]) == 1
        return made.id

    found: uuid.UUID = in_tx(app, sessions, work)
    return found


def reject_on_the_page(client: TestClient, appeal_id: uuid.UUID) -> str:
    """Sign in as the officer, reject, follow to the queue: its text."""
    token = page_token(client, "/staff/login")
    client.post(
        "/staff/login",
        data={"username": "health.officer", "password": PASSWORD, "csrf_token": token},
        headers=HTML,
    )
    token = page_token(client, f"/staff/appeals/{appeal_id}")
    done = client.post(
        f"/staff/appeals/{appeal_id}/decision",
        data={"decision": "reject", "note": NOTE, "csrf_token": token},
        headers=HTML | {"accept-language": "en"},
    )
    assert done.status_code == 200, done.text[:500]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", done.text)))


def test_a_rejection_after_the_rollback_says_the_record_is_withdrawn(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    shown = reject_on_the_page(client, appealed(app, sessions, rolled_back=True))
    assert "the record stands" not in shown
    assert "already withdrawn by the department's rollback" in shown
    assert "a re-sent record will count again" in shown


def test_a_rejection_of_a_record_in_force_says_it_stands(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    shown = reject_on_the_page(client, appealed(app, sessions, rolled_back=False))
    assert "Rejected: the record stands" in shown
