"""Migration 0029_staff_deactivation on a database with deactivated staff: an account
deactivated by its last role's removal gets those roles back from the audit log (its
administrators see it again); one deactivated by hand, its reason."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine

from healthcode.store.migrate import downgrade, upgrade

NOW = datetime(2020, 2, 23, 1, 0, tzinfo=UTC)
ISSUER = ["issuer", f"org:{uuid.uuid4()}"]


def test_deactivated_staff_take_their_reason_and_lost_roles_from_the_audit_log(
    bare: Engine,
) -> None:
    upgrade(bare, "0028_amendments")
    accounts = sa.table(
        "accounts", sa.column("id", sa.Uuid()), sa.column("kind"), sa.column("username"),
        sa.column("display_name"), sa.column("language"),
        sa.column("created_at", sa.DateTime(True)), sa.column("disabled_at", sa.DateTime(True)),
    )  # fmt: skip
    roles = sa.table(
        "account_roles", sa.column("account_id", sa.Uuid()), sa.column("role"), sa.column("scope")
    )
    audit = sa.table(
        "audit_log", sa.column("id", sa.Uuid()), sa.column("at", sa.DateTime(True)),
        sa.column("action"), sa.column("detail", sa.JSON()), sa.column("client"),
    )  # fmt: skip
    bare_one, by_hand, active = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with bare.begin() as conn:
        for n, (account_id, off) in enumerate(((bare_one, NOW), (by_hand, NOW), (active, None))):
            conn.execute(
                accounts.insert().values(
                    id=account_id, kind="staff", username=f"s{n}", display_name="李敏",
                    language="zh", created_at=NOW, disabled_at=off,
                )
            )  # fmt: skip
        conn.execute(roles.insert().values(account_id=by_hand, role="issuer", scope=ISSUER[1]))
        automatic = {"account_id": str(bare_one), "reason": "last role taken away"}
        events = [
            ("staff.account.roles", {"account_id": str(bare_one), "removed": [ISSUER]}),
            ("staff.account.deactivate", automatic),
            ("staff.account.deactivate", {"account_id": str(by_hand), "reason": "调离岗位"}),
            ("staff.account.roles", {"account_id": "not an id", "removed": [ISSUER]}),
        ]
        for n, (action, detail) in enumerate(events):
            conn.execute(
                audit.insert().values(
                    id=uuid.uuid4(), at=NOW + timedelta(seconds=n), action=action,
                    detail=detail, client="",
                )
            )  # fmt: skip
    upgrade(bare)
    query = sa.text("SELECT id, disabled_reason, former_roles FROM accounts")
    with bare.connect() as conn:
        found = {uuid.UUID(str(i)): (why, _json(lost)) for i, why, lost in conn.execute(query)}
    assert found == {
        bare_one: ("", [ISSUER]),  # the automatic reason is the roles', in words on the page
        by_hand: ("调离岗位", None),
        active: ("", None),
    }
    downgrade(bare, "0028_amendments")


def _json(value: object) -> object:
    """A JSON column read by plain SQL: parsed on PostgreSQL, text on SQLite."""
    return json.loads(value) if isinstance(value, str) else value
