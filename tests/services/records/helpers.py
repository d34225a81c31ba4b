"""Residents with known ID numbers, files as departments write them, and an import
committed the way the edges do it (import, then recolour the batch)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.records import Department, ImportKind
from healthcode.services.records.imports import ImportReport, Sender, import_records
from healthcode.services.records.recolouring import recolour_batch
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.units import SameUnit
from tests.services.conftest import declare, new_account

_phones = iter(range(10_000_000, 99_999_999))


def green_resident(uow: UnitOfWork, env: Env) -> tuple[t.Account, str]:
    """A resident with a green binzhou code, and their ID number."""
    number = id_number()
    account = new_account(uow, env, f"139{next(_phones)}")
    assert declare(uow, env, account, id_number=number).colour is Colour.GREEN
    return account, number


def csv_bytes(rows: Sequence[Sequence[str]], encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(",".join(cells) for cells in rows) + "\r\n"
    return text.encode(encoding)


def table_bytes(rows: Sequence[Sequence[str]], file_name: str, folder: Path) -> bytes:
    """The rows as a CSV file or an XLSX workbook, by the file name's extension."""
    if file_name.endswith(".csv"):
        return csv_bytes(rows)
    import xlsxwriter

    path = folder / file_name
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for number, row in enumerate(rows):
        sheet.write_row(number, 0, row)
    book.close()
    return path.read_bytes()


def run_import(
    uow: UnitOfWork,
    env: Env,
    data: bytes,
    *,
    kind: ImportKind = ImportKind.CLOSE_CONTACT,
    department: Department = Department.HEALTH,
    file_name: str = "contacts.csv",
    encoding: str | None = None,
    file_format: str | None = None,
    recolour: bool = True,
    sender: Sender | None = None,
) -> ImportReport:
    """Without ``recolour``: committed, and the process gone before it recoloured."""
    report = import_records(
        uow,
        env,
        sender=sender or Sender(),
        department=department,
        kind=kind,
        stream=io.BytesIO(data),
        file_name=file_name,
        file_format=file_format,
        encoding=encoding,
    )
    uow.flush()
    if recolour:
        recolour_batch(SameUnit(uow), env, batch_id=report.batch_id)  # type: ignore[arg-type]
    return report


def colour_of(uow: UnitOfWork, account: t.Account, policy: str = "binzhou-code") -> Colour:
    assert account.resident_id is not None
    code = uow.codes.of_resident(account.resident_id, policy)
    assert code is not None
    return Colour(code.colour)


def history_of(uow: UnitOfWork, account: t.Account) -> list[t.ColourChange]:
    assert account.resident_id is not None
    code = uow.codes.of_resident(account.resident_id, "binzhou-code")
    assert code is not None
    return list(reversed(uow.codes.history(code.id)))  # oldest first


def later(env: Env, minutes: int = 5) -> None:
    clock = env.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=minutes))


def new_id() -> uuid.UUID:
    return uuid.uuid4()
