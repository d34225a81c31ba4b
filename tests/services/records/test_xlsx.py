"""XLSX files as departments save them: dates typed as dates, numbers as numbers,
strings shared; read as a stream, memory flat as the file grows (the sheet's rows
dropped once read, the shared strings beyond a bound kept on disk)."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

from healthcode.domain.colour import Colour
from healthcode.domain.records import Department, ImportKind
from healthcode.services.records.files import UnreadableFile
from healthcode.services.records.imports import Sender, import_records
from healthcode.services.shared import xlsx
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.identity import make_id_number
from tests.services.records.helpers import colour_of, green_resident, run_import

HEADER = ("记录编号", "身份证号码", "开始日期", "结束日期")


def workbook(path: Path, rows: int, *, first: list[object] | None = None) -> Path:
    """A sheet with a Chinese header, dates as dates, one ID number per row."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("密接")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    for row in range(1, rows + 1):
        values = (
            first
            if (row == 1 and first)
            else [
                f"X-{row}",
                make_id_number(birth=date(1980, 1, 1), region="371602", seq=row % 999 + 1),
                date(2020, 2, 22),
            ]
        )
        for col, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_datetime(row, col, value, dates)
            else:
                sheet.write(row, col, value)
    book.close()
    return path


def test_a_close_contact_sheet_turns_the_resident_red(
    uow: UnitOfWork, env: Env, tmp_path: Path
) -> None:
    account, number = green_resident(uow, env)
    path = workbook(tmp_path / "密接.xlsx", 3, first=["CC-1", number, date(2020, 2, 22)])
    report = run_import(uow, env, path.read_bytes(), file_name="密接.xlsx")
    assert (report.rows_read, report.added, report.unmatched) == (3, 1, 2)
    assert [r.line for r in report.refusals] == [3, 4]  # the sheet's own row numbers
    assert colour_of(uow, account) is Colour.RED


def test_numbers_typed_as_numbers_and_bad_dates_are_reported(
    uow: UnitOfWork, env: Env, tmp_path: Path
) -> None:
    _, number = green_resident(uow, env)
    path = workbook(tmp_path / "a.xlsx", 2, first=[20200222, number, "2020-02-30"])
    report = run_import(uow, env, path.read_bytes(), file_name="a.xlsx")
    assert report.refusals[0].line == 2
    assert report.refusals[0].field == "start"


def test_not_a_workbook_is_refused_whole(uow: UnitOfWork, env: Env) -> None:
    with pytest.raises(UnreadableFile):
        run_import(uow, env, b"PK\x03\x04 not really", file_name="x.xlsx")


def peak_while_importing(uow: UnitOfWork, env: Env, path: Path) -> tuple[int, int]:
    with path.open("rb") as stream:
        tracemalloc.start()
        try:
            report = import_records(
                uow, env, sender=Sender(), department=Department.HEALTH,
                kind=ImportKind.CLOSE_CONTACT, stream=stream, file_name=path.name,
            )  # fmt: skip
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    uow.rollback()
    return peak, report.rows_read


def test_memory_stays_flat_as_the_sheet_grows(
    uow: UnitOfWork, env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "STRINGS_IN_MEMORY", 500)  # the rest of the strings on disk
    small, read_small = peak_while_importing(uow, env, workbook(tmp_path / "s.xlsx", 3000))
    large, read_large = peak_while_importing(uow, env, workbook(tmp_path / "l.xlsx", 12000))
    assert (read_small, read_large) == (3000, 12000)
    assert large < small * 2, (small, large)  # four times the rows, not four times the memory


def test_shared_strings_beyond_the_bound_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "STRINGS_IN_MEMORY", 10)
    path = workbook(tmp_path / "w.xlsx", 50)
    rows = list(xlsx.sheet_rows(io.BytesIO(path.read_bytes())))
    assert rows[0] == (1, list(HEADER))
    assert rows[50][1][0] == "X-50"
    assert rows[50][1][2] == date(2020, 2, 22)


def test_a_huge_number_in_a_date_cell_and_an_id_stored_as_a_number_are_row_refusals(
    uow: UnitOfWork, env: Env, tmp_path: Path
) -> None:
    """A date cell holding 1e12 was a 500 (no such date); an ID number typed as a
    number has lost its last digits, and could be taken as another person's."""
    _, number = green_resident(uow, env)
    book = xlsxwriter.Workbook(str(tmp_path / "b.xlsx"))
    sheet, dates = book.add_worksheet(), book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["CC-1", number])
    sheet.write_number(1, 2, 1e12, dates)
    sheet.write_row(2, 0, ["CC-2", float(number[:17] + "0"), "2020-02-22"])
    book.close()
    report = run_import(uow, env, (tmp_path / "b.xlsx").read_bytes(), file_name="b.xlsx")
    assert [(r.line, r.field, r.code) for r in report.refusals] == [
        (2, "start", "date"),
        (3, "id_number", "stored_as_number"),
    ]


def moved_cell(path: Path, old: str, new: str) -> bytes:
    """The workbook with one cell's reference rewritten (no spreadsheet writes these)."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as book, zipfile.ZipFile(out, "w") as copy:
        for item in book.infolist():
            data = book.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(f'r="{old}"'.encode(), f'r="{new}"'.encode())
            copy.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("ref", ["XFE2", "ZZZZZZZZZZZZZZZ2"])
def test_a_cell_beyond_the_last_column_refuses_the_file(
    uow: UnitOfWork, env: Env, tmp_path: Path, ref: str
) -> None:
    """A sheet has 16,384 columns (A to XFD). A cell said to be further right was
    padded to its column: 12 million empty cells for ZZZZZ2, billions (a 500) for more."""
    path = workbook(tmp_path / "far.xlsx", 1)
    with pytest.raises(UnreadableFile):
        run_import(uow, env, moved_cell(path, "B2", ref), file_name="far.xlsx")


def _flagged(data: bytes, *, method: int | None = None, encrypted: bool = False) -> bytes:
    """The workbook with every entry's compression method or encryption flag changed,
    in the local headers and the central directory alike."""
    out = bytearray(data)
    for signature, flags, compression in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = out.find(signature)
        while at >= 0:
            if method is not None:
                struct.pack_into("<H", out, at + compression, method)
            if encrypted:
                struct.pack_into("<H", out, at + flags, out[at + flags] | 1)
            at = out.find(signature, at + 4)
    return bytes(out)


def _garbled(data: bytes) -> bytes:
    """The sheet's compressed bytes overwritten: the zip reads, its inflation fails."""
    out = bytearray(data)
    at = out.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    out[at : at + 64] = bytes(b ^ 0x55 for b in out[at : at + 64])
    return bytes(out)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: _flagged(d, method=9),  # deflate64, which zipfile cannot inflate
        lambda d: _flagged(d, method=99),  # AES (WinZip)
        lambda d: _flagged(d, encrypted=True),  # a password-protected zip
        _garbled,
    ],
    ids=["deflate64", "aes", "password", "garbled"],
)
def test_an_encrypted_or_damaged_workbook_is_unreadable(
    uow: UnitOfWork, env: Env, tmp_path: Path, spoil: Callable[[bytes], bytes]
) -> None:
    """Each was a 500: zipfile's NotImplementedError, RuntimeError and zlib.error."""
    data = spoil(workbook(tmp_path / "w.xlsx", 1).read_bytes())
    with pytest.raises(UnreadableFile):
        run_import(uow, env, data, file_name="w.xlsx")


def test_a_row_of_countless_cells_is_refused_as_it_is_read(tmp_path: Path) -> None:
    """A row is parsed whole before its cells are read: 300,000 empty cells (1 MB of
    XML, a few KB zipped) were all held in memory before the row was refused."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(workbook(tmp_path / "wide.xlsx", 1)) as book,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for item in book.infolist():
            part = book.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</row>", b"<c/>" * 300_000 + b"</row>", 1)
            copy.writestr(item.filename, part)
    tracemalloc.start()
    try:
        with pytest.raises(xlsx.BadWorkbook):
            list(xlsx.sheet_rows(io.BytesIO(out.getvalue())))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024, peak
