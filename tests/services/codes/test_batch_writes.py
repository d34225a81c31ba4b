"""A batch writes its history, notifications and outbox messages with COPY
(``bulk.write_dicts``): every column must read back as the ORM's ``INSERT`` of the
same rows writes it, defaults and JSON included, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.bulk import write_dicts
from healthcode.store.uow import UnitOfWork
from tests.services.conftest import declare


def _rows(
    uow: UnitOfWork, env: Env, account: t.Account
) -> dict[type[t.Base], list[dict[str, Any]]]:
    declare(uow, env, account)
    code = uow.session.scalars(
        select(t.Code).where(t.Code.resident_id == account.resident_id)
    ).one()
    now = env.clock.now()
    notice: dict[str, Any] = {
        "id": uuid.uuid4(),
        "resident_id": account.resident_id,
        "account_id": None,
        "at": now,
        "kind": "colour_changed",
        "payload": {"from": "green", "to": "红", "rules": ["BZ-1"]},
        "dedup_key": None,
    }  # fmt: skip  (no read_at: its default)
    message: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": "colour_changed",
        "notification_id": notice["id"],
        "organisation_id": None,
        "phone_cipher": b"\x00\x01",
        "phone_masked": "139****9999",
        "language": "zh",
        "params": {"n": 3, "t": 37.3, "none": None},
        "created_at": now,
        "due_at": now + timedelta(seconds=1),
        "attempts": 0,
    }  # fmt: skip  (no sent_at, failed_at, last_error: their defaults)
    change: dict[str, Any] = {
        "id": uuid.uuid4(),
        "code_id": code.id,
        "resident_id": account.resident_id,
        "seq": 9,
        "at": now,
        "from_colour": "green",
        "to_colour": "red",
        "rule_ids": [],
        "policy_version": "2020-02-23.1",
        "cause": "data",
        "actor_id": None,
    }  # fmt: skip  (no note: its default)
    return {t.Notification: [notice], t.OutboxMessage: [message], t.ColourChange: [change]}


def _read(uow: UnitOfWork, table: type[t.Base], ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    columns = [c for c in table.__table__.columns if c.name != "id"]
    query = select(*columns).where(table.__table__.c.id.in_(ids))
    return [dict(row._mapping) for row in uow.session.execute(query)]


def test_copied_rows_read_back_as_inserted_ones(
    uow: UnitOfWork, env: Env, account: t.Account, signing_key: None
) -> None:
    rows = _rows(uow, env, account)
    for table, written in rows.items():  # the notification first: the message points at it
        uow.session.execute(insert(table), written)
        inserted = _read(uow, table, [r["id"] for r in written])
        copies = [{**r, "id": uuid.uuid4(), **_apart(table, r)} for r in written]
        write_dicts(uow.session, table.__table__, copies)  # type: ignore[arg-type]
        copied = _read(uow, table, [r["id"] for r in copies])
        assert copied == [{**row, **_apart(table, row)} for row in inserted]


def _apart(table: type[t.Base], row: dict[str, Any]) -> dict[str, Any]:
    """What a copy of ``row`` changes: a history row's sequence number is unique."""
    return {"seq": row["seq"] + 1} if table is t.ColourChange else {}


def test_a_computed_default_left_out_is_an_error_not_a_null(uow: UnitOfWork) -> None:
    with pytest.raises(ValueError, match=r"notifications\.id"):
        write_dicts(uow.session, t.Notification.__table__, [{"kind": "x"}])  # type: ignore[arg-type]
