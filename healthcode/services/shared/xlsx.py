"""An XLSX sheet read row by row, with memory flat in the file's size.

python-calamine (and openpyxl's read-only mode for its shared strings) hold the
whole sheet in memory; a department's export can hold millions of rows. An XLSX
file is a zip of XML parts, so the first sheet is parsed as a stream (each row
dropped once read) and the shared-string table, which grows with the file (every
distinct ID number is one), is kept in memory up to ``STRINGS_IN_MEMORY`` entries
and beyond that in a temporary SQLite file. Cells come out as python-calamine (used
before) gave them: text, numbers as floats, booleans, and dates (by the cell's number
format) as ``date`` or ``datetime``.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, iterparse, parse

STRINGS_IN_MEMORY = 100_000
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_BUILTIN_DATES = frozenset({*range(14, 23), 45, 46, 47})
_DATE_CODE = re.compile(r"[dmyhs]", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_COLUMN = re.compile(r"[A-Z]+")
COLUMNS = 16_384  # a sheet's columns, A to XFD: a cell said to lie further is refused


# What zipfile raises for a damaged zip, an entry it cannot inflate (deflate64, AES)
# and a password-protected one (RuntimeError), and a truncated stream (EOFError).
_UNREADABLE = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError)


class BadWorkbook(Exception):
    """Not a workbook this reader understands."""


def sheet_rows(
    stream: IO[bytes], last_row: int | None = None
) -> Generator[tuple[int, list[Any]], None, None]:
    """(row number, cells) of the first sheet, in order; empty rows skipped. Past
    ``last_row`` the sheet ends, its first row beyond yielded even if empty, so that a
    caller bounding its rows refuses it: a sheet of a billion empty rows, a few MB
    zipped, was otherwise read to its end."""
    try:
        book = zipfile.ZipFile(stream)
        path, epoch = _first_sheet(book)
        dates = _date_styles(book)
        with _SharedStrings(book) as strings, book.open(path) as sheet:
            yield from _rows(sheet, strings, dates, epoch, last_row)
    except (*_UNREADABLE, KeyError, ParseError, ValueError, IndexError) as error:
        raise BadWorkbook(str(error)) from None


def _first_sheet(book: zipfile.ZipFile) -> tuple[str, datetime]:
    workbook = _parse(book, "xl/workbook.xml")
    props = workbook.find(f"{_MAIN}workbookPr")
    in_1904 = props is not None and props.get("date1904") in ("1", "true")
    epoch = datetime(1904, 1, 1) if in_1904 else datetime(1899, 12, 30)
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        raise BadWorkbook("no sheet")
    rel_id = sheet.get(f"{_REL}id")
    for rel in _parse(book, "xl/_rels/workbook.xml.rels"):
        if rel.get("Id") == rel_id:
            target = str(rel.get("Target", ""))
            return (target.lstrip("/") if target.startswith("/") else f"xl/{target}"), epoch
    raise BadWorkbook("no sheet part")


def _parse(book: zipfile.ZipFile, name: str) -> Element:
    with book.open(name) as part:
        return parse(part).getroot()


def _date_styles(book: zipfile.ZipFile) -> frozenset[int]:
    """The cell styles (``s``) whose number format shows a date or time."""
    if "xl/styles.xml" not in book.namelist():
        return frozenset()
    styles = _parse(book, "xl/styles.xml")
    custom = {
        int(f.get("numFmtId", "0")): _QUOTED.sub("", f.get("formatCode", ""))
        for f in styles.iter(f"{_MAIN}numFmt")
    }
    xfs = styles.find(f"{_MAIN}cellXfs")
    found = set()
    for index, xf in enumerate(xfs if xfs is not None else ()):
        fmt = int(xf.get("numFmtId", "0"))
        if fmt in _BUILTIN_DATES or (fmt in custom and _DATE_CODE.search(custom[fmt])):
            found.add(index)
    return frozenset(found)


class _SharedStrings:
    """The shared-string table: the first ``STRINGS_IN_MEMORY`` in a list, the rest
    in a temporary SQLite file (deleted on close)."""

    def __init__(self, book: zipfile.ZipFile) -> None:
        self.book, self.head = book, list[str]()
        self.spill: sqlite3.Connection | None = None
        self.folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> _SharedStrings:
        if "xl/sharedStrings.xml" in self.book.namelist():
            with self.book.open("xl/sharedStrings.xml") as part:
                self._load(part)
        return self

    def _load(self, part: IO[bytes]) -> None:
        batch: list[tuple[int, str]] = []
        count = 0
        for _event, item in iterparse(part):
            if item.tag != f"{_MAIN}si":
                continue
            value = "".join(t.text or "" for t in item.iter(f"{_MAIN}t"))
            item.clear()
            if count < STRINGS_IN_MEMORY:
                self.head.append(value)
            else:
                batch.append((count, value))
                if len(batch) >= 10_000:
                    self._spill(batch)
            count += 1
        self._spill(batch)

    def _spill(self, batch: list[tuple[int, str]]) -> None:
        if not batch:
            return
        if self.spill is None:
            self.folder = tempfile.TemporaryDirectory(prefix="xlsx-")
            self.spill = sqlite3.connect(f"{self.folder.name}/strings.db")
            self.spill.execute("CREATE TABLE s (i INTEGER PRIMARY KEY, v TEXT)")
        self.spill.executemany("INSERT INTO s VALUES (?, ?)", batch)
        batch.clear()

    def __getitem__(self, index: int) -> str:
        if index < len(self.head):
            return self.head[index]
        found = None
        if self.spill is not None:
            found = self.spill.execute("SELECT v FROM s WHERE i = ?", (index,)).fetchone()
        if found is None:
            raise IndexError(index)
        return str(found[0])

    def __exit__(self, *exc: object) -> None:
        if self.spill is not None:
            self.spill.close()
        if self.folder is not None:
            self.folder.cleanup()


def _rows(
    sheet: IO[bytes],
    strings: _SharedStrings,
    dates: frozenset[int],
    epoch: datetime,
    last_row: int | None,
) -> Iterator[tuple[int, list[Any]]]:
    data: Element | None = None
    number = cells_begun = 0
    for event, item in iterparse(sheet, events=("start", "end")):
        if event == "start":
            if item.tag == f"{_MAIN}c":
                cells_begun += 1
                if cells_begun > COLUMNS:  # before the whole row is held in memory
                    raise BadWorkbook(f"more than {COLUMNS} cells in a row")
            elif item.tag == f"{_MAIN}row":
                cells_begun = 0
            elif item.tag == f"{_MAIN}sheetData":
                data = item
            continue
        if item.tag != f"{_MAIN}row":
            continue
        number = int(item.get("r") or number + 1)
        cells = _cells(item, strings, dates, epoch)
        if data is not None:
            data.clear()  # the rows read so far: memory stays flat
        if last_row is not None and number > last_row:
            yield number, cells
            return
        if any(c not in (None, "") for c in cells):
            yield number, cells


def _cells(
    row: Element, strings: _SharedStrings, dates: frozenset[int], epoch: datetime
) -> list[Any]:
    cells: list[Any] = []
    for cell in row.iter(f"{_MAIN}c"):
        ref = cell.get("r")
        if ref:
            column = _column_index(ref)
            cells.extend([None] * (column - len(cells)))
        if len(cells) >= COLUMNS:  # padding to a far column would fill memory
            raise BadWorkbook(f"a cell beyond column {COLUMNS}")
        cells.append(_value(cell, strings, dates, epoch))
    return cells


def _column_index(ref: str) -> int:
    """A cell's column from its reference (B7 → 1); past the last column, COLUMNS."""
    letters = _COLUMN.match(ref)
    index = 0
    for char in letters.group() if letters else "A":
        index = min(index * 26 + ord(char) - 64, COLUMNS + 1)
    return index - 1


def _value(cell: Element, strings: _SharedStrings, dates: frozenset[int], epoch: datetime) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{_MAIN}t"))
    raw = cell.findtext(f"{_MAIN}v")
    if raw is None:
        return None
    if kind == "s":
        return strings[int(raw)]
    if kind == "b":
        return raw == "1"
    if kind in ("str", "e", "d"):
        return raw
    number = float(raw)
    if int(cell.get("s", "0")) in dates:
        try:
            moment = epoch + timedelta(days=number)
        except (OverflowError, ValueError):  # 20261105 typed into a date cell, NaN
            return number  # the row's date check refuses it, naming the line
        return moment.date() if number.is_integer() else moment
    return number
