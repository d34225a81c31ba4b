"""A guardian appeals what is behind a family member's colour (stop 43, an outside
probe: the dependant's code said ``appealable: true`` and nothing took the appeal).
The appeal is the dependant's own, sent from the guardian's account, who is named in
the audit log; the record's department decides it as any other."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.errors import NotFound
from healthcode.services.appeals.appeals import list_appeals, list_disputable, submit_appeal
from healthcode.services.appeals.decisions import decide_appeal, list_waiting_appeals
from healthcode.services.residents.dependants import dependant_of
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import POLICY, REASON, close_contact, colour, health_officer
from tests.factories.inputs import id_number
from tests.services.conftest import new_account
from tests.services.residents.test_dependants import for_dependant

UPHOLD = "经核查该儿童当日不在通报场所，撤销密接记录"


class TestGuardiansAppeal:
    def test_upheld_the_child_is_green_again_and_the_guardian_is_named(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        child = for_dependant(uow, env, account, id_number(date(2015, 6, 1)))
        record = close_contact(uow, env, child)
        assert colour(uow, env, child) is Colour.RED
        member = dependant_of(uow, account_id=account.id, resident_id=child)
        [item] = list_disputable(uow, env, resident_id=member.resident_id, policy_id=POLICY)
        assert (item.id, item.behind_colour) == (record, True)
        made = submit_appeal(
            uow, env, resident_id=member.resident_id, policy_id=POLICY, record_id=record,
            reason=REASON, actor_id=account.id,
        )  # fmt: skip
        query = select(t.AuditEvent).where(t.AuditEvent.action == "appeal.submitted")
        [audit] = uow.session.scalars(query).all()
        assert (audit.actor_id, audit.resident_id) == (account.id, child)
        officer = health_officer(uow, env)
        assert [a.id for a in list_waiting_appeals(uow, env, officer)] == [made.id]
        decide_appeal(uow, env, officer, appeal_id=made.id, uphold=True, note=UPHOLD)
        assert colour(uow, env, child) is Colour.GREEN
        [shown] = list_appeals(uow, env, resident_id=child)
        assert shown.status == "upheld"

    def test_another_account_reaches_no_family_member_of_theirs(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        child = for_dependant(uow, env, account, id_number(date(2015, 6, 1)))
        stranger = new_account(uow, env, "13700004444")
        with pytest.raises(NotFound):
            dependant_of(uow, account_id=stranger.id, resident_id=child)
