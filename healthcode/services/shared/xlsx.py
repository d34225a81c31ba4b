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
from collections.abc import Callable, Generator, Iterator
from datetime import datetime, timedelta
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, parse
from xml.parsers import expat
from xml.parsers.expat import ExpatError

from healthcode.domain.i18n import N_

STRINGS_IN_MEMORY = 100_000
CHARS_IN_MEMORY = 8 * 1024 * 1024  # the characters of the strings kept in memory
MAX_CELL = 1024 * 1024  # characters in a cell, as in a CSV one: past them, refused
# The shared strings a workbook may hold (a million rows of ten distinct texts) and
# their characters, kept on disk past the ones in memory
MAX_STRINGS = 10_000_000
MAX_TEXT = 250_000_000
_BATCH_CHARS = 1024 * 1024  # the strings gathered for the disk before they are written
SMALL_PART = 16 * 1024 * 1024  # Excel's styles for its 64,000 cell formats: ~6 MB
# A zip bomb's parts inflate a thousandfold; a spreadsheet's some ten times (its
# shared strings, twelve), a sheet of rows alike some fifty. Past ``MAX_RATIO``
# (for a part past ``RATIO_GRACE`` inflated) the file is refused before a byte is
# parsed, as it is past ``MAX_INFLATED`` in all: a full sheet of Excel's million
# rows of twenty columns is under 1 GiB.
MAX_RATIO = 200
RATIO_GRACE = 1024 * 1024
MAX_INFLATED = 2 * 1024**3
_CHUNK = 64 * 1024  # a part is parsed this many bytes at a time
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS = _MAIN[1:]  # as expat names an element: uri}local
_ROW, _C, _V, _T, _SI = (f"{_NS}{name}" for name in ("row", "c", "v", "t", "si"))
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_BUILTIN_DATES = frozenset({*range(14, 23), 45, 46, 47})
_DATE_CODE = re.compile(r"[dmyhs]", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_COLUMN = re.compile(r"[A-Z]+")
# A cell's value (<v>, an inline string's <is>), with or without a namespace prefix
_HOLDS_VALUE = re.compile(rb"<(?:[\w.-]+:)?(?:v|is)[\s/>]")
LATER_SHEETS = 20  # the sheets after the first looked into (``later_sheets``)
COLUMNS = 16_384  # a sheet's columns, A to XFD: a cell said to lie further is refused


# What zipfile raises for a damaged zip, an entry it cannot inflate (deflate64, AES)
# and a password-protected one (RuntimeError), and a truncated stream (EOFError).
_UNREADABLE = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError)


class BadWorkbook(Exception):
    """Not a workbook this reader understands."""


class LongCell(BadWorkbook):
    """A cell holding more than ``MAX_CELL`` characters: text zips a thousandfold, so
    a small file could hold a cell of gigabytes."""

    def __init__(self, row: int) -> None:
        super().__init__(f"row {row} holds a cell of more than {MAX_CELL} characters")
        self.row, self.max = row, MAX_CELL


class ZipBomb(BadWorkbook):
    """Parts that inflate past ``MAX_RATIO`` times their size, or past ``MAX_INFLATED``
    bytes in all: parsing them would cost minutes of CPU for a small file. Carries
    its refusal's words (``words``, ``params``), the same for every reader."""

    def __init__(self, part: str, ratio: int, total: int) -> None:
        super().__init__(f"{part} inflates {ratio} times; {total} bytes inflated in all")
        if total > MAX_INFLATED:
            self.words = N_(
                "The workbook unzips to more than {megabytes} MB, the most a workbook may "
                "hold: split it into smaller files"
            )
            self.params: dict[str, object] = {"megabytes": MAX_INFLATED // 1024**2}
        else:
            self.words = N_(
                "The workbook's part {part} unzips to {ratio} times its size, more than the "
                "{max} times a spreadsheet's parts do: it is refused as a zip bomb; save it "
                "again from a spreadsheet program, or send it as CSV"
            )
            self.params = {"part": part, "ratio": ratio, "max": MAX_RATIO}


class TooMuchText(BadWorkbook):
    """Shared strings past ``MAX_STRINGS`` or ``MAX_TEXT`` characters."""

    def __init__(self, strings: int, characters: int) -> None:
        super().__init__(f"more than {strings} shared strings or {characters} characters")
        self.strings, self.characters = strings, characters


def sheet_rows(
    stream: IO[bytes], last_row: int | None = None
) -> Generator[tuple[int, list[Any]], None, None]:
    """(row number, cells) of the first sheet, in order; empty rows skipped. Past
    ``last_row`` the sheet ends, its first row beyond yielded even if empty, so that a
    caller bounding its rows refuses it: a sheet of a billion empty rows, a few MB
    zipped, was otherwise read to its end."""
    try:
        book = zipfile.ZipFile(stream)
        _check_inflation(book, _READ)
        path, epoch = _first_sheet(book)
        _check_inflation(book, (*_READ, path))
        dates = _date_styles(book)
        with _SharedStrings(book) as strings, book.open(path) as sheet:
            yield from _rows(sheet, strings, dates, epoch, last_row)
    except (*_UNREADABLE, KeyError, ParseError, ExpatError, ValueError, IndexError) as error:
        raise BadWorkbook(str(error)) from None


_READ = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/sharedStrings.xml")


def later_sheets(stream: IO[bytes]) -> list[str]:
    """The names of the sheets after the first that hold a value in their first 64 KiB
    (of the first ``LATER_SHEETS`` after it): only the first sheet is read, so a reader
    tells of them. A workbook ``sheet_rows`` cannot read has none."""
    try:
        with zipfile.ZipFile(stream) as book:
            _check_inflation(book, _READ[:2])
            sheets = _parse(book, "xl/workbook.xml").findall(f"{_MAIN}sheets/{_MAIN}sheet")
            targets = _targets(book) if len(sheets) > 1 else {}
            found = []
            for sheet in sheets[1 : LATER_SHEETS + 1]:
                path = targets.get(str(sheet.get(f"{_REL}id")))
                if path is None or path not in book.NameToInfo:
                    continue
                with book.open(path) as part:
                    head = part.read(_CHUNK)  # inflated no further
                if _HOLDS_VALUE.search(head):
                    found.append(str(sheet.get("name", ""))[:64])
            return found
    except (*_UNREADABLE, BadWorkbook, KeyError, ParseError, ValueError):
        return []


def _check_inflation(book: zipfile.ZipFile, names: tuple[str, ...]) -> None:
    """Refuse a zip bomb from its directory, before parsing: the parts this reader
    reads (``names``, those present) by the sizes they declare, which bound what is
    inflated (zipfile reads no further, and a part longer than it says fails its
    CRC check)."""
    total = 0
    for name in dict.fromkeys(names):
        try:
            info = book.getinfo(name)
        except KeyError:
            continue
        total += info.file_size
        ratio = info.file_size // max(info.compress_size, 1)
        if (info.file_size > RATIO_GRACE and ratio > MAX_RATIO) or total > MAX_INFLATED:
            raise ZipBomb(name, ratio, total)


def _first_sheet(book: zipfile.ZipFile) -> tuple[str, datetime]:
    workbook = _parse(book, "xl/workbook.xml")
    props = workbook.find(f"{_MAIN}workbookPr")
    in_1904 = props is not None and props.get("date1904") in ("1", "true")
    epoch = datetime(1904, 1, 1) if in_1904 else datetime(1899, 12, 30)
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        raise BadWorkbook("no sheet")
    path = _targets(book).get(str(sheet.get(f"{_REL}id")))
    if path is None:
        raise BadWorkbook("no sheet part")
    return path, epoch


def _targets(book: zipfile.ZipFile) -> dict[str, str]:
    """The workbook's parts by relationship id (a sheet names its part by one)."""
    targets: dict[str, str] = {}
    for rel in _parse(book, "xl/_rels/workbook.xml.rels"):
        target = str(rel.get("Target", ""))
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets.setdefault(str(rel.get("Id")), path)
    return targets


def _parse(book: zipfile.ZipFile, name: str) -> Element:
    """A small part (the workbook, its relationships, its styles) parsed whole: one
    past ``SMALL_PART`` bytes inflated is unreadable (zipfile reads no further than
    the size an entry declares), or a few hundred KB of zipped text held gigabytes."""
    if book.getinfo(name).file_size > SMALL_PART:
        raise BadWorkbook(f"{name} is larger than {SMALL_PART} bytes")
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
    """The shared-string table: the first ``STRINGS_IN_MEMORY`` (holding up to
    ``CHARS_IN_MEMORY`` characters) in a list, the rest in a temporary SQLite file
    (deleted on close). A string past ``MAX_CELL`` characters is kept as None: a cell
    naming it refuses the file with its row. Past ``MAX_STRINGS`` strings or
    ``MAX_TEXT`` characters in all the file is refused: the file on disk had no end."""

    def __init__(self, book: zipfile.ZipFile) -> None:
        self.book, self.head = book, list[str | None]()
        self.spill: sqlite3.Connection | None = None
        self.folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> _SharedStrings:
        if "xl/sharedStrings.xml" in self.book.namelist():
            with self.book.open("xl/sharedStrings.xml") as part:
                self._load(part)
        return self

    def _load(self, part: IO[bytes]) -> None:
        batch: list[tuple[int, str | None]] = []
        parts: list[str] = []
        collect: list[str] | None = None
        count = size = total = in_memory = batched = 0
        in_string = too_long = full = False

        def start(name: str, _attrs: dict[str, str]) -> None:
            nonlocal collect, in_string, size, too_long
            if name == _SI:
                in_string, too_long, size, collect = True, False, 0, None
                parts.clear()
            elif in_string and name == _T and not too_long:
                collect = parts
            else:
                collect = None  # a t's text is what comes before its first child

        def text(data: str) -> None:
            nonlocal size, too_long, collect
            if collect is not None:
                size += len(data)
                if size > MAX_CELL:
                    too_long, collect = True, None
                    parts.clear()
                else:
                    collect.append(data)

        def end(name: str) -> None:
            nonlocal collect, in_string, count, total, in_memory, batched, full
            collect = None
            if name != _SI or not in_string:
                return
            in_string = False
            value = None if too_long else "".join(parts)
            length = len(value) if value is not None else 0
            count, total = count + 1, total + length
            if count > MAX_STRINGS or total > MAX_TEXT:
                raise TooMuchText(MAX_STRINGS, MAX_TEXT)
            if not full and count <= STRINGS_IN_MEMORY and in_memory + length <= CHARS_IN_MEMORY:
                self.head.append(value)
                in_memory += length
                return
            full = True
            batch.append((count - 1, value))
            batched += length
            if len(batch) >= 10_000 or batched >= _BATCH_CHARS:
                self._spill(batch)
                batched = 0

        parser = _parser(start, end, text)
        for _ in _feed(parser, part):
            pass
        self._spill(batch)

    def _spill(self, batch: list[tuple[int, str | None]]) -> None:
        if not batch:
            return
        if self.spill is None:
            self.folder = tempfile.TemporaryDirectory(prefix="xlsx-")
            self.spill = sqlite3.connect(f"{self.folder.name}/strings.db")
            self.spill.execute("CREATE TABLE s (i INTEGER PRIMARY KEY, v TEXT)")
        self.spill.executemany("INSERT INTO s VALUES (?, ?)", batch)
        batch.clear()

    def __getitem__(self, index: int) -> str | None:
        """The string; None for one past ``MAX_CELL`` characters."""
        if index < len(self.head):
            return self.head[index]
        found = None
        if self.spill is not None:
            found = self.spill.execute("SELECT v FROM s WHERE i = ?", (index,)).fetchone()
        if found is None:
            raise IndexError(index)
        return None if found[0] is None else str(found[0])

    def __exit__(self, *exc: object) -> None:
        if self.spill is not None:
            self.spill.close()
        if self.folder is not None:
            self.folder.cleanup()


def _parser(
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    text: Callable[[str], None],
) -> expat.XMLParserType:
    """An expat parser calling back with names as ``uri}local``: nothing is built, so
    memory holds only what the callbacks keep (ElementTree held each element until its
    parent was cleared, and an element's text whole before anyone could look at it)."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True  # a text in as few calls as fit the buffer
    parser.buffer_size = _CHUNK
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = _no_doctype
    return parser


def _no_doctype(*_args: object) -> None:
    raise BadWorkbook("a DOCTYPE")  # no workbook has one; entities could expand


def _feed(parser: expat.XMLParserType, part: IO[bytes]) -> Iterator[None]:
    """Feed ``part`` to ``parser`` a chunk at a time, yielding after each. Expat holds
    a tag, a comment or an attribute whole until it ends (text it hands on as it
    goes): one left unfinished past ``MAX_CELL`` bytes refuses the part."""
    fed = 0
    while chunk := part.read(_CHUNK):
        parser.Parse(chunk, False)
        fed += len(chunk)
        if fed - parser.CurrentByteIndex > MAX_CELL:
            raise BadWorkbook(f"a tag of more than {MAX_CELL} bytes")
        yield
    parser.Parse(b"", True)


class _Ended(Exception):
    """The sheet's rows end at the caller's bound."""


def _rows(
    sheet: IO[bytes],
    strings: _SharedStrings,
    dates: frozenset[int],
    epoch: datetime,
    last_row: int | None,
) -> Iterator[tuple[int, list[Any]]]:
    done: list[tuple[int, list[Any]]] = []
    row: list[Any] | None = None  # the open row's cells
    number = 0  # the open (or last) row's number
    kind = style = ""
    raw: list[str] | None = None  # the open cell's <v>
    inline: list[str] = []  # its inline string's <t>s
    collect: list[str] | None = None
    in_cell = False
    depth = size = 0  # below the open cell; its text's characters

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, number, kind, style, raw, collect, in_cell, depth, size
        if in_cell:
            depth += 1
            collect = None  # an element's text is what comes before its first child
            if name == _V and depth == 1 and raw is None and kind != "inlineStr":
                collect = raw = []
            elif name == _T and kind == "inlineStr":
                collect = inline
        elif name == _C:
            if row is None:
                return  # a cell outside a row: nothing to keep
            if len(row) >= COLUMNS:  # before a countless row is held in memory
                raise BadWorkbook(f"more than {COLUMNS} cells in a row")
            ref = attrs.get("r")
            if ref:
                row.extend([None] * (_column_index(ref) - len(row)))
            if len(row) >= COLUMNS:  # padding to a far column would fill memory
                raise BadWorkbook(f"a cell beyond column {COLUMNS}")
            kind, style, raw, in_cell, depth, size = (
                attrs.get("t", "n"),
                attrs.get("s", "0"),
                None,
                True,
                0,
                0,
            )
            inline.clear()
        elif name == _ROW:
            number = int(attrs.get("r") or number + 1)
            row = []

    def text(data: str) -> None:
        nonlocal size
        if collect is not None:
            size += len(data)
            if size > MAX_CELL:
                raise LongCell(number)
            collect.append(data)

    def end(name: str) -> None:
        nonlocal row, collect, in_cell, depth
        collect = None
        if in_cell:
            if depth:
                depth -= 1
                return
            in_cell = False
            if row is not None:
                row.append(_value(kind, style, raw, inline, number, strings, dates, epoch))
        elif name == _ROW and row is not None:
            cells, row = row, None
            if last_row is not None and number > last_row:
                done.append((number, cells))
                raise _Ended
            if any(c not in (None, "") for c in cells):
                done.append((number, cells))

    parser = _parser(start, end, text)
    try:
        for _ in _feed(parser, sheet):
            yield from done
            done.clear()
    except _Ended:
        yield from done


def _column_index(ref: str) -> int:
    """A cell's column from its reference (B7 → 1); past the last column, COLUMNS."""
    letters = _COLUMN.match(ref)
    index = 0
    for char in letters.group() if letters else "A":
        index = min(index * 26 + ord(char) - 64, COLUMNS + 1)
    return index - 1


def _value(
    kind: str,
    style: str,
    raw: list[str] | None,
    inline: list[str],
    row: int,
    strings: _SharedStrings,
    dates: frozenset[int],
    epoch: datetime,
) -> Any:
    if kind == "inlineStr":
        return "".join(inline)
    if raw is None:
        return None
    value = "".join(raw)
    if kind == "s":
        found = strings[int(value)]
        if found is None:  # a shared string past MAX_CELL characters
            raise LongCell(row)
        return found
    if kind == "b":
        return value == "1"
    if kind in ("str", "e", "d"):
        return value
    number = float(value)
    if int(style) in dates:
        try:
            moment = epoch + timedelta(days=number)
        except (OverflowError, ValueError):  # 20261105 typed into a date cell, NaN
            return number  # the row's date check refuses it, naming the line
        return moment.date() if number.is_integer() else moment
    return number
