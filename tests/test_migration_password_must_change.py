"""Migration 0036_password_must_change on a database with staff: an account whose last
password event in the audit log was set by someone else (made by an administrator or
at the console, reset) must change it; one its owner changed since, or with no such
event (the demo's, which ``make run`` signs in with), need not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine

from healthcode.store.migrate import downgrade, upgrade

NOW = datetime(2020, 2, 23, 1, 0, tzinfo=UTC)
BEFORE = "0035_client_name_reuse"


def test_staff_take_the_mark_from_their_last_password_event(bare: Engine) -> None:
    upgrade(bare, BEFORE)
    accounts = sa.table(
        "accounts", sa.column("id", sa.Uuid()), sa.column("kind"), sa.column("username"),
        sa.column("display_name"), sa.column("language"),
        sa.column("created_at", sa.DateTime(True)),
    )  # fmt: skip
    audit = sa.table(
        "audit_log", sa.column("id", sa.Uuid()), sa.column("at", sa.DateTime(True)),
        sa.column("action"), sa.column("detail", sa.JSON()), sa.column("client"),
    )  # fmt: skip
    made, changed, reset, demo = (uuid.uuid4() for _ in range(4))
    with bare.begin() as conn:
        for n, account_id in enumerate((made, changed, reset, demo)):
            conn.execute(
                accounts.insert().values(
                    id=account_id, kind="staff", username=f"s{n}", display_name="李敏",
                    language="zh", created_at=NOW,
                )
            )  # fmt: skip
        events = [
            ("staff.account.create", made),
            ("staff.account.create", changed),
            ("staff.account.create", reset),
            ("staff.password.changed", changed),
            ("staff.password.changed", reset),
            ("staff.password.reset", reset),
        ]
        for n, (action, account_id) in enumerate(events):
            conn.execute(
                audit.insert().values(
                    id=uuid.uuid4(), at=NOW + timedelta(seconds=n), action=action,
                    detail={"account_id": str(account_id)}, client="",
                )
            )  # fmt: skip
    upgrade(bare)
    query = sa.text("SELECT id, must_change_password FROM accounts")
    with bare.connect() as conn:
        found = {uuid.UUID(str(i)): bool(mark) for i, mark in conn.execute(query)}
    assert found == {made: True, changed: False, reset: True, demo: False}
    downgrade(bare, BEFORE)
