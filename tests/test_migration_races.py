"""Migration 0002_races on a database with history: each code's changes are numbered
in the order they happened, and the tables match the models (both databases)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine

from healthcode.domain.clock import TZ
from healthcode.store import tables as t
from healthcode.store.migrate import downgrade, schema_diff, upgrade

T0 = datetime(2020, 2, 23, 9, tzinfo=TZ)
CODES = sa.table(
    "codes",
    sa.column("id", sa.Uuid),
    sa.column("resident_id", sa.Uuid),
    *(sa.column(c) for c in ("policy_id", "policy_version", "colour")),
    sa.column("state", sa.JSON),
    sa.column("evaluated_at", t.Code.evaluated_at.type),
    sa.column("application_id", sa.Uuid),
)
CHANGES = sa.table(
    "colour_changes",
    sa.column("id", sa.Uuid),
    sa.column("code_id", sa.Uuid),
    *(sa.column(c) for c in ("from_colour", "to_colour", "policy_version")),
    sa.column("at", t.ColourChange.at.type),
    sa.column("rule_ids", sa.JSON),
    sa.column("cause"),
)


def test_history_is_numbered_and_the_queue_keeps_its_pending_codes(bare: Engine) -> None:
    upgrade(bare, "0001")
    resident, signed, pending, app = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with bare.begin() as conn:
        conn.execute(
            sa.insert(t.Resident),
            [
                {
                    "id": resident,
                    "ref": "r1",
                    "name": "张三",
                    "name_masked": "张*",
                    "id_type": "resident_id",
                    "id_hash": b"h" * 32,
                    "id_cipher": b"c",
                    "id_masked": "3716**",
                    "sex": "M",
                    "birth_date": date(1990, 3, 7),
                    "nationality": "CHN",
                    "region_code": "371602",
                    "address": "",
                    "created_at": T0,
                }
            ],
        )
        code = {"resident_id": resident, "policy_version": "1", "state": {}, "evaluated_at": T0}
        conn.execute(
            sa.insert(CODES),
            [
                {**code, "id": signed, "policy_id": "a", "colour": "yellow", "application_id": app},
                {
                    **code,
                    "id": pending,
                    "policy_id": "b",
                    "colour": "pending",
                    "application_id": app,
                },
            ],
        )
        change = {"code_id": signed, "policy_version": "1", "rule_ids": [], "cause": "time"}
        conn.execute(
            sa.insert(CHANGES),
            [  # inserted out of order; two at the same instant
                {
                    **change,
                    "id": uuid.uuid4(),
                    "at": T0 + timedelta(days=2),
                    "from_colour": "green",
                    "to_colour": "yellow",
                },
                {
                    **change,
                    "id": uuid.uuid4(),
                    "at": T0,
                    "from_colour": "none",
                    "to_colour": "pending",
                },
                {
                    **change,
                    "id": uuid.uuid4(),
                    "at": T0 + timedelta(days=1),
                    "from_colour": "pending",
                    "to_colour": "green",
                },
            ],
        )

    upgrade(bare)

    with bare.connect() as conn:
        rows = conn.execute(
            sa.select(t.ColourChange.seq, t.ColourChange.to_colour).order_by(t.ColourChange.at)
        ).all()
        assert [tuple(r) for r in rows] == [(1, "pending"), (2, "green"), (3, "yellow")]
        codes = dict(conn.execute(sa.select(t.Code.id, t.Code.awaiting_id)).all())
        assert codes == {signed: None, pending: app}
        seqs = dict(conn.execute(sa.select(t.Code.id, t.Code.history_seq)).all())
        assert seqs == {signed: 3, pending: 0}
        diff = schema_diff(conn)
        assert diff == []

    downgrade(bare, "0001")  # and back, keeping every change (SQLite rebuilds no parent)
    with bare.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(CHANGES)) == 3
