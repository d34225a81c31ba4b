"""Migration 0003_accounts on a database that already has declarations: each keeps
its resident and gains the account that declared it; a downgrade goes back."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import Engine, insert, select

from healthcode.store import tables as t
from healthcode.store.migrate import downgrade, upgrade
from tests.factories.old_schema import insert_as_of

NOW = datetime(2020, 2, 23, 1, 0, tzinfo=UTC)


def test_existing_declarations_gain_their_account(bare: Engine) -> None:
    upgrade(bare, "0001")
    resident, account, declaration = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with bare.begin() as conn:
        conn.execute(
            insert(t.Resident).values(
                id=resident,
                ref="r1",
                name="x",
                name_masked="x",
                id_type="resident_id",
                id_hash=b"h" * 32,
                id_cipher=b"c",
                id_masked="m",
                sex="M",
                birth_date=date(1990, 1, 1),
                nationality="CHN",
                region_code="371602",
                address="",
                created_at=NOW,
            )
        )
        insert_as_of(
            conn, t.Account, id=account, kind="resident", display_name="",
            resident_id=resident, language="zh", created_at=NOW,
        )  # fmt: skip
        conn.execute(
            insert(t.Declaration).values(
                id=declaration,
                resident_id=resident,
                policy_id="binzhou-code",
                policy_version="1",
                submitted_at=NOW,
                confirmed_at=NOW,
                symptoms=[],
                exposures=[],
                trips=[],
                destination_detail="",
                employer="",
                pledge="p",
            )
        )
        conn.execute(
            insert(t.Signature).values(
                id=uuid.uuid4(),
                declaration_id=declaration,
                issuer_id=account,
                colour="green",
                note="",
                signed_at=NOW,
            )
        )
    upgrade(bare)
    with bare.connect() as conn:
        query = select(t.Declaration.account_id, t.Declaration.resident_id).where(
            t.Declaration.id == declaration
        )
        assert tuple(conn.execute(query).one()) == (account, resident)
        # a rebuild of declarations on SQLite must not cascade to its signatures
        assert conn.execute(select(t.Signature.declaration_id)).scalars().all() == [declaration]
    downgrade(bare, "0001")
    upgrade(bare)
