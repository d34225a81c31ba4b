"""Reading an employer's staff file: an XLSX workbook is read as a stream, so its
memory follows the rows it holds, not the corner cell it names."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from healthcode.domain.errors import InvalidInput
from healthcode.services.organisations.roster_files import MAX_ROWS, read_rows
from healthcode.services.shared import xlsx
from tests.factories.limited import run_limited
from tests.factories.roster import HEADER_ZH

READ = """
import sys
from healthcode.domain.errors import InvalidInput
from healthcode.services.organisations.roster_files import read_rows
try:
    rows = list(read_rows(open(sys.argv[1], "rb").read(), filename="far.xlsx"))
except InvalidInput as refused:
    print(refused.errors[0].code)
else:
    print(len(rows))
"""
MEMORY = 1024**3  # the reading process's address space


def test_a_workbook_naming_its_far_corner_is_refused_in_flat_memory(tmp_path: Path) -> None:
    """A 6 KB workbook, a header and one cell at XFD1048576: it was read as a dense
    sheet of 17 billion cells, whose allocation aborted the server's process."""
    path = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER_ZH)
    sheet.write_string(1_048_575, 16_383, "x")
    book.close()
    assert run_limited(READ, path, memory=MEMORY, timeout=120) == "too_many_rows"


def test_a_zip_bomb_roster_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """100 MB of empty elements zip to 100 KB, well within a roster's 5 MB: parsed to
    the end before (a CPU-minute an upload). Refused from the sizes its parts say."""
    made = tmp_path / "made.xlsx"
    book = xlsxwriter.Workbook(str(made))
    book.add_worksheet().write_row(0, 0, HEADER_ZH)
    book.close()
    path = tmp_path / "bomb.xlsx"
    with (
        zipfile.ZipFile(made) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"<x/>" * 25_000_000 + b"</sheetData>")
            out.writestr(item, data)
    started = time.monotonic()
    with pytest.raises(InvalidInput) as refused:
        list(read_rows(path.read_bytes(), filename="bomb.xlsx"))
    assert time.monotonic() - started < 5
    assert refused.value.errors[0].code == "zip_bomb"
    assert refused.value.errors[0].params["max"] == xlsx.MAX_RATIO


def header_and(path: Path, rows: bytes) -> Path:
    """A roster workbook of the header row, then ``rows`` as the sheet's XML says them
    (what no spreadsheet program writes, but a file can hold)."""
    made = path.with_name("made.xlsx")
    book = xlsxwriter.Workbook(str(made))
    book.add_worksheet().write_row(0, 0, HEADER_ZH)
    book.close()
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", rows + b"</sheetData>")
            out.writestr(item, data)
    return path


def test_a_sheet_of_countless_empty_rows_is_refused_once_past_a_rosters_rows(
    tmp_path: Path,
) -> None:
    """Empty row elements zip to almost nothing: a few MB held a billion, read to the
    end at a CPU-minute an upload because only rows with cells were counted. The
    first row past twice a roster's limit ends the reading and refuses the file."""
    empty = "".join(f'<row r="{n}"/>' for n in range(2, 2 * MAX_ROWS + 10))
    path = header_and(tmp_path / "empty-rows.xlsx", empty.encode())
    with pytest.raises(InvalidInput) as refused:
        list(read_rows(path.read_bytes(), filename="empty-rows.xlsx"))
    assert refused.value.errors[0].code == "too_many_rows"


def test_a_cell_past_a_mebibyte_of_text_refuses_the_roster_naming_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A roster's 5 MB zip can hold a cell of gigabytes of text; it was held whole in
    memory. The reading stops past a mebibyte, naming the row (behind the zip-bomb
    check, which a cell of one letter repeated meets first)."""
    monkeypatch.setattr(xlsx, "MAX_RATIO", 10**9)
    cell = b'<row r="3"><c r="A3" t="inlineStr"><is><t>' + b"x" * 2**21 + b"</t></is></c></row>"
    path = header_and(tmp_path / "long.xlsx", cell)
    with pytest.raises(InvalidInput) as refused:
        list(read_rows(path.read_bytes(), filename="long.xlsx"))
    assert refused.value.errors[0].code == "cell_too_long"
    assert refused.value.errors[0].params["line"] == 3


def test_a_roster_past_the_shared_strings_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The strings past the ones in memory went to a file on disk without end."""
    path = tmp_path / "many.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER_ZH)
    for row in range(1, 30):
        sheet.write_row(row, 0, [f"员工{row}", f"X{row}"])
    book.close()
    monkeypatch.setattr(xlsx, "MAX_STRINGS", 20)
    with pytest.raises(InvalidInput) as refused:
        list(read_rows(path.read_bytes(), filename="many.xlsx"))
    assert refused.value.errors[0].code == "too_much_text"
    assert refused.value.errors[0].params["strings"] == 20
