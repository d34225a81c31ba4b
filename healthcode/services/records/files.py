"""Read an import file row by row, whatever its format, with memory flat in its size.

CSV is read through an incremental decoder (UTF-8, UTF-8 with BOM or GB18030, which
includes GBK: detected from the 64 KiB after the first byte that is not ASCII, unless
given); JSON Lines line by line;
XLSX as a stream of its first sheet's XML (``xlsx``). Each row comes with its line
number in the file (CSV: the physical line where the row ends; XLSX: the sheet row;
JSON Lines: the line), so a refusal names the line a person can find.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import cache
from typing import IO, Any

from healthcode.domain.errors import DomainError, FieldError
from healthcode.domain.i18n import N_
from healthcode.domain.records import column_label, column_name, repeated_columns
from healthcode.services.shared.cells import cell_text
from healthcode.services.shared.xlsx import BadWorkbook, LongCell, TooMuchText, sheet_rows

SNIFF = 64 * 1024
_SCAN = 1024 * 1024  # how much of an ASCII start is read at once, looking past it
_NOT_ASCII = re.compile(rb"[\x80-\xff]")
# A byte the encoding could not read, kept as a lone surrogate (``surrogateescape``)
# so that the row holding it is named, not the line the decoder had read ahead to.
_ESCAPED = re.compile("[\udc80-\udcff]")
# What either needs: an escaped byte, or a character under U+0800 (GBK read as UTF-8)
_SUSPECT = re.compile("[\u0080-\u07ff\udc80-\udcff]")
_LINE_BREAK = re.compile("\r\n|\r|\n")
# The characters one CSV cell may hold: a longer cell (a 200 KB note) is its row's
# problem, refused with the row; the csv module's own limit (128 Ki) refused the
# whole file, with its English words in the message. Past this, the file is refused.
MAX_CELL = 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))
FORMATS = ("csv", "xlsx", "jsonl")


class UnreadableFile(DomainError):
    status = 422
    code = "unreadable_file"


class UnclosedQuote(UnreadableFile):
    code = "unclosed_quote"


class RepeatedColumns(UnreadableFile):
    code = "repeated_columns"


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]
    problem: FieldError | None = None  # a line that could not be read as a row (JSON Lines)


def format_of(file_name: str, given: str | None = None) -> str:
    if given:
        fmt = given.lower()
    else:
        ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        fmt = {"ndjson": "jsonl", "json": "jsonl", "txt": "csv", "xls": "xlsx"}.get(ext, ext)
    if fmt not in FORMATS:
        raise UnreadableFile(
            N_("Unknown file type {value}: send CSV, XLSX or JSON Lines"), value=fmt[:10]
        )
    return fmt


def detect_encoding(head: bytes) -> str:
    """UTF-8 with BOM, UTF-8, else GB18030 (a superset of GBK and GB2312). Text whose
    every non-ASCII character is Latin, Greek or Cyrillic in UTF-8 and Chinese in
    GBK is GBK: many GBK pairs are valid UTF-8 (一位 reads as "һλ"), and a
    department's file is Chinese."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "gb18030" if gbk_in_disguise(text) else "utf-8"


def gbk_in_disguise(text: str) -> bool:
    """UTF-8 text whose bytes are GBK's Chinese: none of its characters needs three
    bytes in UTF-8 (Chinese does), and read as GBK every one is Chinese."""
    if text.isascii() or max(text) >= "\u0800":
        return False
    try:
        gbk = text.encode("utf-8").decode("gb18030")
    except UnicodeDecodeError:  # cut off at the window's end: judged without its last
        gbk = text.encode("utf-8").decode("gb18030", "ignore")
    return all(_chinese(c) for c in gbk if not c.isascii())


def _chinese(char: str) -> bool:
    """A Chinese character, or Chinese or full-width punctuation."""
    return any(low <= char <= high for low, high in _CHINESE)


_CHINESE = (("\u4e00", "\u9fff"), ("\u3400", "\u4dbf"), ("\u3000", "\u303f"), ("\uff00", "\uffef"))


def first_text(stream: IO[bytes]) -> bytes:
    """Up to ``SNIFF`` bytes from the first byte that is not ASCII (ASCII reads the same
    in UTF-8 and GBK, so it tells nothing: a file whose Chinese came after 64 KiB of
    ASCII was taken for UTF-8, and its GBK kept garbled); the stream rewound. Only
    the start that is ASCII is read twice, a chunk at a time."""
    try:
        chunk = stream.read(SNIFF)
        while chunk:
            found = _NOT_ASCII.search(chunk)
            if found is not None:
                window = chunk[found.start() :]
                return window + stream.read(max(SNIFF - len(window), 0))
            chunk = stream.read(_SCAN)
        return b""
    finally:
        stream.seek(0)


def read_rows(
    stream: IO[bytes], fmt: str, encoding: str | None = None
) -> Generator[Row, None, None]:
    """The rows as {column: value}, column names normalised (``column_name``); the
    first row yielded is a header-only Row(line=0) carrying the columns found."""
    if fmt == "csv":
        yield from _csv(stream, encoding)
    elif fmt == "jsonl":
        yield from _jsonl(stream, encoding or "utf-8-sig")
    else:
        yield from _xlsx(stream)


def _text(stream: IO[bytes], encoding: str | None) -> io.TextIOWrapper:
    if encoding is None:
        encoding = detect_encoding(first_text(stream))
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    # base64, rot13, hex… are codecs but not text encodings; "undefined" refuses all
    if info is None or not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        raise UnreadableFile(N_("Unknown encoding {value}"), value=encoding[:20])
    # Undecodable bytes become lone surrogates, found in the row that holds them
    # (``_unread_line``): a decoding error names where the decoder had read ahead to.
    return io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")


def _csv(stream: IO[bytes], encoding: str | None) -> Iterator[Row]:
    text = _text(stream, encoding)
    reader = csv.reader(text)
    start = 1
    try:
        header = next(reader, None)
        if header is None:
            raise UnreadableFile(N_("The file is empty"))
        if _unread_line(header, 1, utf8=False) is not None:
            raise UnicodeError  # the header itself
        columns = _columns(header)
        yield Row(0, dict.fromkeys(columns))
        start = reader.line_num + 1  # the line a row starts on
        delimiters = max(len(header) - 1, 1)  # on a line of a whole row
        for cells in reader:
            _check_read(cells, start, reader.line_num, text.encoding, delimiters)
            if any(c.strip() for c in cells):
                yield Row(reader.line_num, dict(zip(columns, cells, strict=False)))
            start = reader.line_num + 1
    except UnicodeError:
        if reader.line_num <= 1:  # the header itself ("after line 0" read oddly)
            raise UnreadableFile(_NOT_TEXT, value=_named(text.encoding)) from None
        raise UnreadableFile(  # a byte an error handler could not keep (UTF-16…)
            N_(
                "The file is not valid {value} text after line {line}: save it as UTF-8 or "
                "GBK and send it again"
            ),
            value=_named(text.encoding),
            line=reader.line_num,
        ) from None
    except csv.Error as error:
        if "field limit" in str(error) and reader.line_num > start:  # a cell over lines
            raise _unclosed(start, reader.line_num) from None
        if "field limit" in str(error):
            raise UnreadableFile(
                _LONG_CELL,
                line=reader.line_num,
                max=MAX_CELL,
            ) from None
        raise UnreadableFile(
            N_("The CSV is malformed at line {line}: {value}"),
            line=reader.line_num,
            value=str(error)[:80],
        ) from None
    finally:
        _release(text)


def _jsonl(stream: IO[bytes], encoding: str) -> Iterator[Row]:
    text = _text(stream, encoding)
    try:
        yield Row(0, {})
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            if _ESCAPED.search(line):
                raise _not_text_at(number, text.encoding)
            try:
                value = json.loads(line, object_pairs_hook=_object)
            except _RepeatedKey as repeated:  # json kept the last one without a word
                yield _repeated_key(number, repeated.keys)
                continue
            except (ValueError, RecursionError):  # not JSON; a number past 4,300 digits; too deep
                value = None
            if not isinstance(value, dict):
                yield Row(number, {}, _NOT_AN_OBJECT)
                continue
            keys = [str(k) for k in value]
            if repeated_columns(keys) is not None:  # 身份证号 and id_number on one line
                yield _repeated_key(number, keys)
                continue
            yield Row(number, {column_name(k): v for k, v in value.items()})
    except UnicodeError:
        raise UnreadableFile(_NOT_TEXT, value=_named(encoding)) from None
    finally:
        _release(text)


_NOT_AN_OBJECT = FieldError("line", "json", N_("This line is not a JSON object"))


class _RepeatedKey(ValueError):
    def __init__(self, keys: list[str]) -> None:
        super().__init__(keys)
        self.keys = keys


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key written twice (``json`` keeps the last)."""
    found = dict(pairs)
    if len(found) < len(pairs):
        raise _RepeatedKey([key for key, _ in pairs])
    return found


def _repeated_key(number: int, keys: list[str]) -> Row:
    """A line naming one column twice, refused as a row: which value was meant cannot
    be told."""
    repeated = repeated_columns(keys)
    column = repeated[0] if repeated else next(k for k in keys if keys.count(k) > 1)
    names = ", ".join(repeated[1]) if repeated else column
    message = N_("This line names the column {column} more than once ({keys}): keep one")
    params = {"column": column_label(column), "keys": names}
    return Row(number, {}, FieldError(column, "repeated_column", message, params))


def _columns(header: list[str]) -> list[str]:
    """The header's columns, refusing the file when it names one of them twice."""
    repeated = repeated_columns(header)
    if repeated is not None:
        key, headers = repeated
        raise RepeatedColumns(
            N_(
                "The first row names the column {column} more than once ({headers}): keep "
                "one of them and send the file again"
            ),
            column=column_label(key),
            headers=", ".join(headers),
        )
    return [column_name(h) for h in header]


def _check_read(cells: list[str], start: int, end: int, encoding: str, delimiters: int) -> None:
    """Refuse the file at a row (on lines ``start`` to ``end``) that was not read as
    written: a byte of another encoding, or a quote left open."""
    if (line := _unread_line(cells, start, _is_utf8(encoding))) is not None:
        raise _not_text_at(line, encoding)
    if end > start and (line := _swallowed(cells, start, delimiters)) is not None:
        raise _unclosed(line, end)


def _swallowed(cells: list[str], start: int, delimiters: int) -> int | None:
    """The line a quoted cell opens on when, running over lines, it holds a line with
    a whole row's delimiters: a quote left open read the rows after it into its cell
    (they vanished, refused as one over-long note). A note over two lines, typed
    with Alt+Enter in a spreadsheet, is a cell."""
    before = 0  # the line breaks in the row before this cell
    for cell in cells:
        lines = _LINE_BREAK.split(cell)
        if any(line.count(",") >= delimiters for line in lines[1:]):
            return start + before
        before += len(lines) - 1
    return None


def _unclosed(line: int, end: int) -> UnclosedQuote:
    return UnclosedQuote(
        N_(
            'A quote (") opens a cell on line {line} and is not closed where the cell ends, '
            "so the lines after it, up to line {end}, were read into that cell: close or "
            "remove the quote and send the file again"
        ),
        line=line,
        end=end,
    )


@cache
def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _unread_line(cells: list[str], start: int, utf8: bool) -> int | None:
    """The line of a row (starting on ``start``) that holds a byte its encoding could
    not read; in UTF-8, the row's first line when the row is GBK that happens to be
    valid UTF-8 (``gbk_in_disguise``): it would be kept garbled. A row of ASCII and
    Chinese is passed by one search."""
    text = ",".join(cells)
    if text.isascii() or _SUSPECT.search(text) is None:
        return None
    found = _ESCAPED.search(text)
    if found is not None:
        return start + len(_LINE_BREAK.findall(text, 0, found.start()))
    return start if utf8 and gbk_in_disguise(text) else None


def _not_text_at(line: int, encoding: str) -> UnreadableFile:
    """The text stops being the file's encoding at ``line``: the lines before are read
    (the guess is made from the first 64 KiB of non-ASCII text), so the file mixes two
    encodings, or is the other one; nothing is kept, and the other one is named."""
    named = _named(encoding)
    return UnreadableFile(
        N_(
            "Line {line} is not valid {value} text, though the lines before it are: save the "
            "whole file as UTF-8, or if it is {other}, send it again naming the encoding "
            "{other}"
        ),
        line=line,
        value=named,
        other="GBK" if named != "GBK" else "UTF-8",
    )


def _release(text: io.TextIOWrapper) -> None:
    """Give the byte stream back to its owner, open (the caller closes it)."""
    with contextlib.suppress(ValueError):  # already closed by its owner
        text.detach()


def _xlsx(stream: IO[bytes]) -> Iterator[Row]:
    rows = sheet_rows(stream)
    try:
        first = next(rows, None)
        if first is None:
            raise UnreadableFile(N_("The file is empty"))
        columns = _columns([str(h) for h in first[1]])
        yield Row(0, dict.fromkeys(columns))
        for number, cells in rows:
            values = {c: cell_text(v) for c, v in zip(columns, cells, strict=False)}
            if any(v not in (None, "") for v in values.values()):
                yield Row(number, values)
    except LongCell as long:
        raise UnreadableFile(_LONG_CELL, line=long.row, max=long.max) from None
    except TooMuchText as much:
        raise UnreadableFile(
            TOO_MUCH_TEXT, strings=much.strings, millions=much.characters // 1_000_000
        ) from None
    except BadWorkbook:
        raise UnreadableFile(N_("The file is not a readable XLSX workbook")) from None
    finally:
        rows.close()


_LONG_CELL = N_("Line {line} holds a cell of more than {max} characters")
# An XLSX workbook's shared strings past their bounds (``xlsx.MAX_STRINGS``, ``MAX_TEXT``)
TOO_MUCH_TEXT = N_(
    "The workbook holds more than {strings} different texts or {millions} million "
    "characters of text: split it into smaller files"
)
_NOT_TEXT = N_("The file is not valid {value} text: save it as UTF-8 or GBK and send it again")


def _named(encoding: str) -> str:
    """An encoding as a department knows it: GBK files are read as GB18030, its
    superset, which no one calls their file."""
    name = codecs.lookup(encoding).name
    return {"gb18030": "GBK", "utf-8": "UTF-8", "utf-8-sig": "UTF-8"}.get(name, encoding)
