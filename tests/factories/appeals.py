"""Appeals' test data: a resident a department lists wrongly, and the officers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from healthcode.domain.colour import Colour
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.codes.recolour import Cause, current_state, recolour
from healthcode.services.residents.declarations import confirm_declaration, submit_declaration
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import declaration

POLICY = "binzhou-code"
PASSWORD = "correct horse battery"
REASON = "我2月20日全天在家办公，从未到过通报的场所，行程卡可以证明"


@dataclass(frozen=True)
class Listed:
    """A resident made red by a department's close-contact record."""

    account_id: uuid.UUID
    resident_id: uuid.UUID
    record_id: uuid.UUID


def resident(uow: UnitOfWork, env: Env, phone: str = "13800002222") -> tuple[uuid.UUID, uuid.UUID]:
    """A resident with a green Binzhou code: (account id, resident id)."""
    account = t.Account(
        id=uuid.uuid4(),
        kind="resident",
        phone_hash=env.protector.keyed_hash(phone, kind="phone"),
        phone_cipher=env.protector.encrypt(phone.encode(), context="phone"),
        phone_masked=phone[:3] + "****" + phone[-4:],
        created_at=env.clock.now(),
    )
    uow.add(account)
    uow.flush()
    row = submit_declaration(uow, env, account_id=account.id, data=declaration(POLICY)).declaration
    state = confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)
    assert state.colour is Colour.GREEN
    refreshed = uow.accounts.by_id(account.id)
    assert refreshed is not None
    assert refreshed.resident_id is not None
    return account.id, refreshed.resident_id


def close_contact(
    uow: UnitOfWork, env: Env, resident_id: uuid.UUID, *, department: str = "health"
) -> uuid.UUID:
    """A close-contact record from a department, and the recolouring it causes."""
    row = t.DataRecord(
        id=uuid.uuid4(),
        resident_id=resident_id,
        kind="close_contact",
        start=date(2020, 2, 20),
        end=None,
        region="371602",
        source="密切接触者名单",
        department=department,
        source_id=f"CC-{uuid.uuid4().hex[:8]}",
        received_at=env.clock.now(),
    )
    uow.add(row)
    uow.flush()
    recolour(uow, env, resident_id=resident_id, policy=env.policies.find(POLICY), cause=Cause.DATA)
    return row.id


def fraud_finding(uow: UnitOfWork, env: Env, resident_id: uuid.UUID) -> uuid.UUID:
    """A confirmed "another person's code" case in the resident's region, its credit
    record, and the recolouring it causes: the credit record's id."""
    now = env.clock.now()
    resident = uow.residents.by_id(resident_id)
    assert resident is not None
    case = t.FraudCase(
        id=uuid.uuid4(), resident_id=resident_id, at=now, status="confirmed",
        source="duplicate_token", cause="distant_venues", region_code=resident.region_code,
        proposed_outcome="confirm", decided_at=now,
    )  # fmt: skip
    credit = t.CreditRecord(
        id=uuid.uuid4(), resident_id=resident_id, at=now, reason="another_persons_code",
        case_id=case.id,
    )  # fmt: skip
    uow.add(case)
    uow.flush()
    uow.add(credit)
    uow.flush()
    recolour(
        uow, env, resident_id=resident_id, policy=env.policies.find(POLICY), cause=Cause.CREDIT
    )
    return credit.id


def listed(uow: UnitOfWork, env: Env, phone: str = "13800002222") -> Listed:
    account_id, resident_id = resident(uow, env, phone)
    record_id = close_contact(uow, env, resident_id)
    assert colour(uow, env, resident_id) is Colour.RED
    return Listed(account_id, resident_id, record_id)


def colour(uow: UnitOfWork, env: Env, resident_id: uuid.UUID) -> Colour:
    policy = env.policies.find(POLICY)
    return current_state(uow, env, resident_id=resident_id, policy=policy).colour


def officer(uow: UnitOfWork, env: Env, username: str, *roles: tuple[Role, str]) -> Principal:
    made = accounts.create_staff(
        uow, env, username=username, password=PASSWORD, display_name="数据专员", roles=roles
    )
    return principal_of(uow, account_id=made.id)


def health_officer(uow: UnitOfWork, env: Env, scope: str = "dept:health") -> Principal:
    return officer(uow, env, f"health.{uuid.uuid4().hex[:6]}", (Role.DATA_OPERATOR, scope))
