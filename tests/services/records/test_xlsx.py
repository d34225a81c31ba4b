"""XLSX files as departments save them: dates typed as dates, numbers as numbers,
strings shared; read as a stream, memory flat as the file grows (the sheet's rows
dropped once read, the shared strings beyond a bound kept on disk)."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

from healthcode.domain.colour import Colour
from healthcode.domain.records import Department, ImportKind
from healthcode.services.records.files import MAX_CELL, UnreadableFile
from healthcode.services.records.imports import Sender, import_records
from healthcode.services.shared import xlsx
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.identity import make_id_number
from tests.factories.limited import run_limited
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


def test_a_row_of_countless_cells_is_refused_as_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row is parsed whole before its cells are read: 300,000 empty cells (1 MB of
    XML, a few KB zipped) were all held in memory before the row was refused."""
    monkeypatch.setattr(xlsx, "MAX_RATIO", 10**9)  # the reader's own bound, behind it
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


# Hostile workbooks: a few MB zipped, gigabytes or millions of elements once inflated.
MEMORY = 256 * 1024**2  # the reading process's address space
READ = """
import sys
from healthcode.services.records.files import UnreadableFile, read_rows
try:
    rows = sum(1 for _ in read_rows(open(sys.argv[1], "rb"), "xlsx"))
except UnreadableFile as refused:
    print(refused.message.format(**refused.params))
else:
    print(rows)
"""
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\xa4\x87\xe6\xb3\xa8</t></is>'
    b"</c></row>"
)
SHEET_END = b"</sheetData></worksheet>"
STRINGS_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _repeated(piece: bytes, times: int) -> Iterator[bytes]:
    block = piece * max(1, (1 << 20) // len(piece))
    whole, rest = divmod(times * len(piece), len(block))
    for _ in range(whole):
        yield block
    yield block[:rest]


def hostile(
    path: Path,
    sheet: Iterable[bytes],
    strings: Iterable[bytes] | None = None,
    styles: Iterable[bytes] | None = None,
    *,
    level: int = 1,
) -> Path:
    """A workbook (xlsxwriter's, one sheet) whose sheet, shared-string and (if given)
    styles parts are written from the given pieces, streamed into the zip."""
    made = workbook(path.with_suffix(".base.xlsx"), 0)
    with (
        zipfile.ZipFile(made) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as out,
    ):
        for item in source.infolist():
            if item.filename in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml") or (
                styles is not None and item.filename == "xl/styles.xml"
            ):
                continue
            out.writestr(item, source.read(item))
        parts = {
            "xl/worksheets/sheet1.xml": sheet,
            "xl/sharedStrings.xml": strings,
            "xl/styles.xml": styles,
        }
        for name, pieces in parts.items():
            if pieces is None:
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w", force_zip64=True) as part:
                for piece in pieces:
                    part.write(piece)
    return path


# The reader's own bounds, behind the zip-bomb check: a part's ratio let through
PAST_RATIO = "from healthcode.services.shared import xlsx\nxlsx.MAX_RATIO = 10**9\n"


def read_limited(path: Path, *, ratio_checked: bool = False, timeout: int = 300) -> str:
    script = READ if ratio_checked else PAST_RATIO + READ
    return run_limited(script, path, memory=MEMORY, timeout=timeout)


def test_a_zip_bomb_is_refused_before_a_byte_is_parsed(tmp_path: Path) -> None:
    """400 MB of empty elements in the sheet zip to 400 KB: the sheet was parsed to
    its end, a hundred million elements, minutes of CPU for one upload (and then read
    as a sheet of one row). The sizes its parts declare refuse it at once, naming
    the limit a spreadsheet's parts keep to."""
    sheet = [SHEET_START, *_repeated(b"<x/>", 100_000_000), SHEET_END]
    path = hostile(tmp_path / "bomb.xlsx", sheet, level=9)
    assert path.stat().st_size < 1024**2
    started = time.monotonic()
    refused = read_limited(path, ratio_checked=True, timeout=60)
    assert time.monotonic() - started < 20
    assert refused.startswith("The workbook's part xl/worksheets/sheet1.xml unzips to 1")
    assert refused.endswith(
        "times its size, more than the 200 times a spreadsheet's parts do: it is refused "
        "as a zip bomb; save it again from a spreadsheet program, or send it as CSV"
    )


def test_a_workbook_past_the_inflated_size_is_refused_naming_it(
    uow: UnitOfWork, env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts of an ordinary ratio, many of them: past ``MAX_INFLATED`` in all."""
    path = workbook(tmp_path / "w.xlsx", 12000)  # some 2 MB inflated
    monkeypatch.setattr(xlsx, "MAX_INFLATED", 1024**2)
    with pytest.raises(UnreadableFile) as refused:
        run_import(uow, env, path.read_bytes(), file_name="w.xlsx")
    assert refused.value.code == "zip_bomb"
    assert refused.value.message.format(**refused.value.params) == (
        "The workbook unzips to more than 1 MB, the most a workbook may hold: split it "
        "into smaller files"
    )
    monkeypatch.setattr(xlsx, "MAX_INFLATED", 8 * 1024**2)
    assert run_import(uow, env, path.read_bytes(), file_name="w.xlsx").rows_read == 12000


TEXT = 400 * 1024**2  # characters in one cell, past the process's memory


@pytest.mark.parametrize(
    ("sheet", "strings"),
    [
        (
            [b'<row r="2"><c r="A2" t="inlineStr"><is><t>', *_repeated(b"x", TEXT), b"</t></is>"],
            None,
        ),
        ([b'<row r="2"><c r="A2"><v>', *_repeated(b"1", TEXT), b"</v>"], None),
        (
            [b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'],
            [STRINGS_START, b"<si><t>", *_repeated(b"x", TEXT), b"</t></si></sst>"],
        ),
    ],
    ids=["inline", "value", "shared"],
)
def test_a_cell_of_gigantic_text_refuses_the_file_in_flat_memory(
    tmp_path: Path, sheet: list[bytes], strings: list[bytes] | None
) -> None:
    """Text compresses a thousandfold: a cell of 400 MB zips to a few hundred KB, and
    was held whole in memory (and joined: twice over) before any check. A cell past
    a CSV cell's bound refuses the file, naming its row, as a CSV cell does."""
    tail = [] if strings is not None else [b"</c></row>"]
    path = hostile(tmp_path / "long.xlsx", [SHEET_START, *sheet, *tail, SHEET_END], strings)
    assert path.stat().st_size < 5 * 1024**2
    assert read_limited(path) == f"Line 2 holds a cell of more than {MAX_CELL} characters"


def test_countless_other_elements_in_the_sheet_keep_memory_flat(tmp_path: Path) -> None:
    """Elements that are not rows nor cells (inside sheetData, a row or elsewhere) were
    kept by the parser until their parent ended: five million empty ones (20 MB of
    XML, a few KB zipped) held a gigabyte."""
    sheet = [
        SHEET_START,
        *_repeated(b"<x/>", 5_000_000),
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>CC-1</t></is></c>',
        *_repeated(b"<y/>", 5_000_000),
        b"</row>",
        SHEET_END,
    ]
    path = hostile(tmp_path / "many.xlsx", sheet)
    assert read_limited(path) == "2"  # the header, then the one row


def test_a_shared_string_table_past_its_bounds_refuses_the_file(
    uow: UnitOfWork, env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The strings beyond the ones kept in memory went to a temporary file on disk,
    without end: millions of distinct strings, or strings of a mebibyte each (a
    thousand to a MB zipped), filled the server's disk."""
    path = workbook(tmp_path / "w.xlsx", 50)  # the header's 4 strings, 2 a row
    monkeypatch.setattr(xlsx, "STRINGS_IN_MEMORY", 10)
    monkeypatch.setattr(xlsx, "MAX_STRINGS", 90)
    with pytest.raises(UnreadableFile) as refused:
        run_import(uow, env, path.read_bytes(), file_name="w.xlsx")
    assert refused.value.message.format(**refused.value.params) == (
        "The workbook holds more than 90 different texts or 250 million characters of "
        "text: split it into smaller files"
    )
    monkeypatch.setattr(xlsx, "MAX_STRINGS", 110)
    monkeypatch.setattr(xlsx, "MAX_TEXT", 500)  # its strings hold some 1,100 characters
    with pytest.raises(UnreadableFile):
        run_import(uow, env, path.read_bytes(), file_name="w.xlsx")
    monkeypatch.setattr(xlsx, "MAX_TEXT", 2000)
    assert run_import(uow, env, path.read_bytes(), file_name="w.xlsx").rows_read == 50


def test_shared_strings_past_their_characters_in_memory_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The strings kept in memory are bounded by their characters too: a hundred
    thousand strings of a mebibyte each were all held."""
    monkeypatch.setattr(xlsx, "CHARS_IN_MEMORY", 100)
    path = workbook(tmp_path / "w.xlsx", 50)
    rows = list(xlsx.sheet_rows(io.BytesIO(path.read_bytes())))
    assert rows[0] == (1, list(HEADER))
    assert [row[1][0] for row in rows[1:]] == [f"X-{n}" for n in range(1, 51)]


def test_a_gigantic_styles_part_is_unreadable_in_flat_memory(tmp_path: Path) -> None:
    """The workbook, its relationships and its styles are parsed whole (they are small):
    400 MB of text in the styles, a few hundred KB zipped, was held in memory."""
    styles = [
        b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts>',
        *_repeated(b"x", TEXT),
        b"</numFmts></styleSheet>",
    ]
    path = hostile(tmp_path / "styles.xlsx", [SHEET_START, SHEET_END], styles=styles)
    assert read_limited(path) == "The file is not a readable XLSX workbook"
