"""Rolling back a batch withdraws its records and recomputes the colours it caused."""

from __future__ import annotations

import pytest

from healthcode.domain.colour import Colour
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.records.batches import (
    AlreadyRolledBack,
    BatchNotFound,
    list_batches,
    roll_back_batch,
)
from healthcode.services.records.recolouring import recolour_batch
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.units import SameUnit
from tests.services.conftest import new_account
from tests.services.records.helpers import (
    colour_of,
    csv_bytes,
    green_resident,
    history_of,
    later,
    run_import,
)

HEADER = ("source_id", "id_number", "start")


_phones = iter(range(20_000_000, 29_999_999))


def operator(uow: UnitOfWork, env: Env, scope: str = "") -> Principal:
    account = new_account(uow, env, f"137{next(_phones)}")
    return Principal(account.id, "staff", None, frozenset({(Role.DATA_OPERATOR, scope)}))  # type: ignore[arg-type]


def test_rollback_restores_the_colours(uow: UnitOfWork, env: Env) -> None:
    listed, number = green_resident(uow, env)
    report = run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-22")]))
    assert colour_of(uow, listed) is Colour.RED
    later(env)
    summary = roll_back_batch(uow, env, operator(uow, env), batch_id=report.batch_id)
    recolour_batch(SameUnit(uow), env, batch_id=report.batch_id)  # type: ignore[arg-type]
    assert summary.status == "rolled_back"
    assert colour_of(uow, listed) is Colour.GREEN
    assert [c.to_colour for c in history_of(uow, listed)][-2:] == ["red", "green"]
    with pytest.raises(AlreadyRolledBack):
        roll_back_batch(uow, env, operator(uow, env), batch_id=report.batch_id)


def test_a_batch_outside_the_operators_region_is_not_found(uow: UnitOfWork, env: Env) -> None:
    _, number = green_resident(uow, env)
    report = run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-22")]))
    # an import with no region (sent by a command-centre account) is outside any region
    with pytest.raises(BatchNotFound):
        roll_back_batch(uow, env, operator(uow, env, "region:371600"), batch_id=report.batch_id)
    assert report.batch_id not in {
        b.id for b in list_batches(uow, operator(uow, env, "region:371600"))
    }
    assert report.batch_id in {b.id for b in list_batches(uow, operator(uow, env))}
