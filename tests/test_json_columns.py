"""JSON columns are read by orjson (``store/db.py:make_engine``): a resident's facts
and states must come back exactly as they were written, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Engine, Integer, MetaData, Table, insert, select
from sqlalchemy.dialects.postgresql import JSONB

VALUES: list[Any] = [
    {"temperature": 37.3, "symptoms": ["fever", "respiratory"], "trips": []},
    {"name": "欧阳*锋", "note": "居家隔离 14 天\n", "emoji": "😷", "quote": '"\\'},
    [36.1, 36.6, 38.25, 0.1 + 0.2, 1e-7, -0.0, 2**53, -(2**31)],
    {"nested": {"deep": [{"a": None, "b": True, "c": False}]}, "empty": {}, "list": []},
    "a plain string",
    12,
]


def test_json_values_come_back_as_written(engine: Engine) -> None:
    probe = Table(
        "json_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("value", JSON().with_variant(JSONB(), "postgresql")),
    )
    probe.create(engine)
    try:
        with engine.begin() as connection:
            connection.execute(insert(probe), [{"id": i, "value": v} for i, v in enumerate(VALUES)])
        with engine.connect() as connection:
            read = connection.execute(select(probe.c.value).order_by(probe.c.id)).scalars().all()
        assert read == VALUES
        assert [type(v) for v in read[2]] == [type(v) for v in VALUES[2]]  # ints stay ints
    finally:
        probe.drop(engine)
