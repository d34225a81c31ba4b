"""A row lock is taken once per transaction (``store/repositories/base.py:held``): a
write path that locks a resident or an account again later (every recolour does)
sends nothing more; the next transaction locks afresh; SQLite, where a writer holds
the whole database, sends no lock statement at all."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.services.conftest import statements

AT = datetime(2020, 2, 23, tzinfo=UTC)


def person(uow: UnitOfWork) -> t.Resident:
    row = t.Resident(
        id=uuid.uuid4(), ref=uuid.uuid4().hex[:12], name="李四", name_masked="*四",
        id_hash=uuid.uuid4().bytes * 2, id_cipher=b"x", id_masked="3716**********0011",
        sex="M", birth_date=date(1988, 5, 17), region_code="371602", created_at=AT,
    )  # fmt: skip
    uow.add(row)
    uow.flush()
    return row


def test_a_resident_is_locked_once_per_transaction(sessions: sessionmaker[Session]) -> None:
    uow = UnitOfWork(sessions())
    try:
        resident = person(uow)
        uow.commit()
        sqlite = uow.session.get_bind().dialect.name == "sqlite"
        for _ in range(2):  # two transactions
            with statements(uow) as sent:
                uow.residents.lock(resident.id)
                uow.residents.lock(resident.id)
            assert len(sent) == (0 if sqlite else 1)
            uow.commit()
    finally:
        uow.close()


def test_an_account_locked_with_its_declaration_is_not_read_again(
    sessions: sessionmaker[Session],
) -> None:
    uow = UnitOfWork(sessions())
    try:
        account = t.Account(id=uuid.uuid4(), kind="resident", created_at=AT)
        declaration = t.Declaration(
            id=uuid.uuid4(), account_id=account.id, policy_id="binzhou-code",
            policy_version="1", submitted_at=AT, symptoms=[], exposures=[], trips=[],
            pledge="p",
        )  # fmt: skip
        uow.add(account)
        uow.flush()
        uow.add(declaration)
        uow.commit()
        with statements(uow) as sent:
            assert uow.declarations.of_account(account.id, declaration.id, lock=True)
            locked = uow.accounts.by_id(account.id, lock=True)
        assert locked is not None
        assert locked.id == account.id
        assert len(sent) == 1  # the declaration with its account
        assert uow.declarations.of_account(uuid.uuid4(), declaration.id, lock=True) is None
        uow.commit()
        with statements(uow) as sent:  # a new transaction reads and locks it afresh
            uow.accounts.by_id(account.id, lock=True)
        assert len(sent) == 1
    finally:
        uow.close()
