"""What the officer reads after deciding an appeal, on the pages: true of what was
appealed (a record, a manual colour, a fraud finding) and of what became of the code.
Every confirmation said "the record", and an upheld one "recoloured" even when the code
kept its colour (the department's rollback had recoloured it already, or other
reasons hold it: the step ``unchanged``)."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts.permissions import Role
from healthcode.services.appeals.appeals import submit_appeal
from healthcode.services.appeals.withdrawals import tell_withdrawn
from healthcode.services.codes.recolour import Cause, recolour_resident
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.api.appeals.test_rejected_after_rollback import appealed
from tests.api.helpers import in_tx
from tests.api.pages import HTML, page_token
from tests.factories.appeals import (
    PASSWORD,
    POLICY,
    REASON,
    close_contact,
    fraud_finding,
    listed,
    officer,
    resident,
)
from tests.services.appeals.test_override_appeals import painted
from tests.services.organisations.review import community

NOTE = "复核材料后作出决定，理由已告知居民"
REGION_ADMIN = "region.admin"


def decide_on_the_page(
    client: TestClient,
    appeal_id: uuid.UUID,
    *,
    uphold: bool,
    username: str = "health.officer",
    language: str = "en",
) -> str:
    """Sign in as the officer, decide, follow to the queue: its text."""
    token = page_token(client, "/staff/login")
    client.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        headers=HTML,
    )
    token = page_token(client, f"/staff/appeals/{appeal_id}")
    done = client.post(
        f"/staff/appeals/{appeal_id}/decision",
        data={"decision": "uphold" if uphold else "reject", "note": NOTE, "csrf_token": token},
        headers=HTML | {"accept-language": language},
    )
    assert done.status_code == 200, done.text[:500]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", done.text)))


def rolled_back(app: FastAPI, sessions: sessionmaker[Session]) -> uuid.UUID:
    """An appeal against a health record the department's rollback then withdrew, the
    code recoloured without it (as the rollback's recolouring does) and the resident
    told: upholding it changes no colour."""

    def work(uow: UnitOfWork, env: Env) -> uuid.UUID:
        officer(uow, env, "health.officer", (Role.DATA_OPERATOR, "dept:health"))
        person = listed(uow, env)
        made = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason=REASON,
        )  # fmt: skip
        record = uow.appeals.record(person.record_id)
        assert record is not None
        record.withdrawn_at, record.withdrawn_reason = env.clock.now(), "batch rolled back"
        uow.flush()
        recolour_resident(uow, env, resident_id=person.resident_id, cause=Cause.DATA)
        assert tell_withdrawn(uow, env, resident_ids=[person.resident_id]) == 1
        return made.id

    found: uuid.UUID = in_tx(app, sessions, work)
    return found


def override_appeal(app: FastAPI, sessions: sessionmaker[Session]) -> uuid.UUID:
    """An appeal against a manual red colour two issuers gave, and the region's
    administrator (who took no part in it) to decide it."""

    def work(uow: UnitOfWork, env: Env) -> uuid.UUID:
        home = community(uow, env)
        officer(uow, env, REGION_ADMIN, (Role.ADMIN, f"region:{home.organisation.region_code}"))
        person, override = painted(uow, env, home)
        made = submit_appeal(
            uow, env, resident_id=person, policy_id="shandong-pass",
            override_id=override, reason=REASON,
        )  # fmt: skip
        return made.id

    found: uuid.UUID = in_tx(app, sessions, work)
    return found


def fraud_appeal(
    app: FastAPI, sessions: sessionmaker[Session], *, also_listed: bool = False
) -> uuid.UUID:
    """An appeal against a fraud finding (a credit record), the resident also a close
    contact or not, and the region's administrator (who reviews fraud) to decide it."""

    def work(uow: UnitOfWork, env: Env) -> uuid.UUID:
        _account, person = resident(uow, env)
        if also_listed:  # keeps the code red whatever becomes of the finding
            close_contact(uow, env, person)
        found = uow.residents.by_id(person)
        assert found is not None
        officer(uow, env, REGION_ADMIN, (Role.ADMIN, f"region:{found.region_code}"))
        credit = fraud_finding(uow, env, person)
        made = submit_appeal(
            uow, env, resident_id=person, policy_id=POLICY, credit_record_id=credit,
            reason=REASON,
        )  # fmt: skip
        return made.id

    found: uuid.UUID = in_tx(app, sessions, work)
    return found


class TestARecord:
    @pytest.mark.parametrize(
        ("language", "said"),
        [
            ("en", "Upheld: the record is withdrawn; the resident's code keeps its colour"),
            ("zh", "申诉成立：记录已撤销；居民的码颜色未变"),
        ],
    )
    def test_upheld_after_the_rollback_says_the_code_keeps_its_colour(
        self,
        client: TestClient,
        app: FastAPI,
        sessions: sessionmaker[Session],
        language: str,
        said: str,
    ) -> None:
        appeal = rolled_back(app, sessions)
        shown = decide_on_the_page(client, appeal, uphold=True, language=language)
        assert said in shown
        assert "code recoloured" not in shown
        assert "居民已重新赋码" not in shown

    def test_upheld_in_force_says_the_code_is_recoloured(
        self, client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
    ) -> None:
        shown = decide_on_the_page(client, appealed(app, sessions, rolled_back=False), uphold=True)
        assert "Upheld: the record is withdrawn and the resident's code recoloured." in shown


class TestAManualColour:
    @pytest.mark.parametrize(
        ("uphold", "language", "said"),
        [
            (False, "en", "Rejected: the manual colour stands; the resident has been told why."),
            (False, "zh", "已驳回：人工赋码保留，已告知居民原因。"),
            (True, "en", "Upheld: the manual colour is set aside and the resident's code"),
            (True, "zh", "申诉成立：人工赋码已撤销，居民已重新赋码。"),
        ],
    )  # fmt: skip
    def test_the_confirmation_names_the_manual_colour(
        self,
        client: TestClient,
        app: FastAPI,
        sessions: sessionmaker[Session],
        uphold: bool,
        language: str,
        said: str,
    ) -> None:
        appeal = override_appeal(app, sessions)
        shown = decide_on_the_page(
            client, appeal, uphold=uphold, username=REGION_ADMIN, language=language
        )
        assert said in shown
        assert "the record" not in shown
        assert "记录保留" not in shown
        assert "记录已撤销" not in shown


class TestAFraudFinding:
    @pytest.mark.parametrize(
        ("uphold", "also_listed", "said"),
        [
            (False, False, "Rejected: the fraud finding stands; the resident has been told why."),
            (True, False, "Upheld: the fraud finding is revoked and the resident's code"),
            (True, True, "Upheld: the fraud finding is revoked; the resident's code keeps"),
        ],
    )  # fmt: skip
    def test_the_confirmation_names_the_fraud_finding(
        self,
        client: TestClient,
        app: FastAPI,
        sessions: sessionmaker[Session],
        uphold: bool,
        also_listed: bool,
        said: str,
    ) -> None:
        appeal = fraud_appeal(app, sessions, also_listed=also_listed)
        shown = decide_on_the_page(client, appeal, uphold=uphold, username=REGION_ADMIN)
        assert said in shown
        assert "the record" not in shown

    def test_in_chinese(
        self, client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
    ) -> None:
        appeal = fraud_appeal(app, sessions, also_listed=True)
        shown = decide_on_the_page(
            client, appeal, uphold=True, username=REGION_ADMIN, language="zh"
        )
        assert "申诉成立：失信认定已撤销；居民的码颜色未变" in shown
