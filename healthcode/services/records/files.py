"""Read an import file row by row, whatever its format, with memory flat in its size.

CSV is read through an incremental decoder (UTF-8, UTF-8 or UTF-16 with its BOM, or
GB18030, which includes GBK: detected from the 64 KiB after the first byte that is not
ASCII, unless given, and each row checked against the other, ``encodings``; UTF-16
without its BOM refused), separated by commas or, as Excel's "Unicode text" is, by
tabs, whichever the header line names more columns with; JSON
Lines line by line (a JSON array refused whole, a value not text refusing its line);
XLSX as a stream of its first sheet's XML (``xlsx``). Each row comes with its line
number in the file (CSV: the physical line where the row starts; XLSX: the sheet row;
JSON Lines: the line), so a refusal names the line a person can find. Cells past the
columns the first row names refuse their row (``extra_cells``); a JSON Lines line's
keys no import reads, and an XLSX workbook's later sheets that hold cells, are told
(``Row.unread``, ``Row.sheets``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import json
import math
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal, get_args

from healthcode.domain.errors import DomainError, FieldError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.records import (
    READ,
    column_label,
    column_name,
    repeated_columns,
    unread_columns,
)
from healthcode.services.records.encodings import (
    BOMLESS_UTF16,
    PROBE,
    Misread,
    bomless_utf16,
    detect_encoding,
    first_text,
    misread,
)
from healthcode.services.records.quotes import swallowed
from healthcode.services.shared.cells import cell_text, delimiter_of
from healthcode.services.shared.xlsx import (
    BadWorkbook,
    LongCell,
    TooMuchText,
    ZipBomb,
    later_sheets,
    sheet_rows,
)

# A byte the encoding could not read, kept as a lone surrogate (``surrogateescape``)
# so that the row holding it is named, not the line the decoder had read ahead to.
_ESCAPED = re.compile("[\udc80-\udcff]")
_LINE_BREAK = re.compile("\r\n|\r|\n")
# The characters one CSV cell may hold: a longer cell (a 200 KB note) is its row's
# problem, refused with the row; the csv module's own limit (128 Ki) refused the
# whole file, with its English words in the message. Past this, the file is refused.
MAX_CELL = 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))
FileFormat = Literal["csv", "xlsx", "jsonl"]  # a format named where the name has none
FORMATS: tuple[str, ...] = get_args(FileFormat)
DELIMITERS = (",", "\t")  # a comma first


class UnreadableFile(DomainError):
    status = 422
    code = "unreadable_file"


class UnclosedQuote(UnreadableFile):
    code = "unclosed_quote"


class MisreadText(UnreadableFile):
    """A row whose bytes read likelier in the other encoding: kept, it was garbled."""

    code = "misread_text"


class AmbiguousEncoding(UnreadableFile):
    """A row that reads as UTF-8 and as GBK alike, the file's encoding not given."""

    code = "ambiguous_encoding"


class InflatedWorkbook(UnreadableFile):
    """An XLSX file whose parts unzip past a spreadsheet's ratio or size (``xlsx``)."""

    code = "zip_bomb"


class RepeatedColumns(UnreadableFile):
    code = "repeated_columns"


class BomlessUtf16(UnreadableFile):
    """UTF-16 text without its BOM: which byte order it is cannot be told for sure."""

    code = "utf16_without_bom"


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]
    problem: FieldError | None = None  # a line that could not be read as a row
    unread: tuple[str, ...] = ()  # a JSON Lines line's keys no import reads
    sheets: tuple[str, ...] = ()  # the header of an XLSX file: later sheets holding cells


def format_of(file_name: str, given: str | None = None) -> str:
    """The format given, else the one the name's extension says; a name without one
    ("upload") was refused as an unknown type left blank."""
    if given:
        fmt = given.lower()
    else:
        ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        if not ext:
            raise InvalidInput.single(
                "file",
                "no_extension",
                N_(
                    "The file's name “{name}” has no extension: name it .csv, .xlsx or "
                    ".jsonl, or give its format (format: csv, xlsx or jsonl)"
                ),
                name=file_name[:64],
            )
        fmt = {"ndjson": "jsonl", "json": "jsonl", "txt": "csv", "xls": "xlsx"}.get(ext, ext)
    if fmt not in FORMATS:
        raise UnreadableFile(
            N_("Unknown file type {value}: send CSV, XLSX or JSON Lines"), value=fmt[:10]
        )
    return fmt


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


def _text(stream: IO[bytes], encoding: str | None) -> tuple[io.TextIOWrapper, bool]:
    """The stream as text, and whether its encoding is known (given, or its bytes
    told): a guess between two readings as likely refuses the rows that read both ways."""
    sure = True
    if encoding is None:
        start = stream.read(PROBE)
        stream.seek(0)
        if bomless_utf16(start):
            raise BomlessUtf16(BOMLESS_UTF16)
        guess = detect_encoding(first_text(stream))
        encoding, sure = guess.encoding, guess.sure
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    # base64, rot13, hex… are codecs but not text encodings; "undefined" refuses all
    if info is None or not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        raise UnreadableFile(N_("Unknown encoding {value}"), value=encoding[:20])
    # Undecodable bytes become lone surrogates, found in the row that holds them
    # (``_unread_line``): a decoding error names where the decoder had read ahead to.
    text = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
    return text, sure


def _csv(stream: IO[bytes], encoding: str | None) -> Iterator[Row]:
    text, sure = _text(stream, encoding)
    reader = csv.reader(())  # line 0 until the header's line is read
    start = 1
    try:
        first = text.readline()
        delimiter = _delimiter(first)
        reader = csv.reader(itertools.chain([first], text), delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise UnreadableFile(N_("The file is empty"))
        if _unread_line(",".join(header), 1) is not None:
            raise UnicodeError  # the header itself
        columns = _columns(header)
        yield Row(0, dict.fromkeys(columns))
        start = reader.line_num + 1  # the line a row starts on
        delimiters = max(len(header) - 1, 1)  # on a line of a whole row
        width = len(columns)
        file = _File(text.encoding, sure, columns, delimiter, delimiters)
        previous: list[str] | None = None  # the row before, to tell a row by
        for cells in reader:
            end = reader.line_num
            joined = ",".join(cells)
            if end > start or not joined.isascii():  # most rows: one line of ASCII, read as sent
                _check_read(joined, cells, start, end, file, previous)
            if "".join(cells).strip():  # not a blank row
                if len(cells) > width and (problem := _extra_cells(cells, width)) is not None:
                    yield Row(start, {}, problem)
                else:
                    yield Row(start, dict(zip(columns, cells, strict=False)))
                previous = cells
            start = end + 1
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
    text, _ = _text(stream, encoding)
    try:
        yield Row(0, {})
        first = True  # no line with text read yet
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            if _ESCAPED.search(line):
                raise _not_text_at(number, text.encoding) if not first else _not_text(encoding)
            if first and line.lstrip(" \t\ufeff").startswith("["):
                raise _json_array()
            first = False
            try:
                value = json.loads(
                    line, object_pairs_hook=_object, parse_constant=_constant, parse_float=_float
                )
            except _RepeatedKey as repeated:  # json kept the last one without a word
                yield _repeated_key(number, repeated.keys)
                continue
            except _NotJson as constant:  # NaN, Infinity: "source_id": Infinity was kept as inf
                yield Row(number, {}, FieldError("line", "json", _NOT_JSON, constant.params))
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
            values = {column_name(k): v for k, v in value.items()}
            if (problem := _not_text_value(values)) is not None:
                yield Row(number, {}, problem)
                continue
            yield Row(number, values, unread=tuple(unread_columns(values)))
    except UnicodeError:
        raise UnreadableFile(_NOT_TEXT, value=_named(encoding)) from None
    finally:
        _release(text)


_NOT_AN_OBJECT = FieldError("line", "json", N_("This line is not a JSON object"))


def _json_array() -> InvalidInput:
    """A file whose first line opens a JSON array: each of its lines was refused as
    "not a JSON object" and the batch kept, empty."""
    return InvalidInput.single(
        "file",
        "json_array",
        N_(
            "The file holds a JSON array, not JSON Lines (one object per line): write "
            "each record as a JSON object on a line of its own"
        ),
    )


# A column's value of a JSON type that is not text, as its refusal shows it
_NOT_TEXT_TYPES: dict[type, str] = {list: "[…]", dict: "{…}", bool: ""}


def _not_text_value(values: dict[str, Any]) -> FieldError | None:
    """The first column an import reads whose value is a JSON array, object or
    boolean: read as text, ``["x"]`` was the ID number "['x']", refused as one of 5
    characters. A number stands for its digits (a record number sent as 12345)."""
    for key, value in values.items():
        if key in READ and type(value) in _NOT_TEXT_TYPES:
            shown = _NOT_TEXT_TYPES[type(value)] or json.dumps(value)  # true, false
            message = N_("This value must be text (a JSON string, in quotes), not {value}")
            return FieldError(key, "not_text", message, {"value": shown})
    return None


_NOT_JSON = N_(
    "This line holds {value}, which JSON does not allow: write the value in quotes, or leave it out"
)


class _NotJson(ValueError):
    """A value Python's json reads and JSON does not have (NaN, Infinity, 1e999)."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.params = {"value": value[:20]}


def _constant(name: str) -> Any:
    raise _NotJson(name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: valid JSON, read as inf
        raise _NotJson(text)
    return value


def _extra_cells(cells: list[Any], width: int) -> FieldError | None:
    """A row with a value past the ``width`` columns the first row names: it was dropped
    without a word (a release date one cell too far right). Empty cells past them are
    a spreadsheet's trailing commas."""
    extra = next(
        (i for i in range(width, len(cells)) if cells[i] is not None and str(cells[i]).strip()),
        None,
    )
    if extra is None:
        return None
    return FieldError(
        "line",
        "extra_cells",
        N_(
            "Cell {cell} of this row holds a value, but the first row names {columns} "
            "columns: a cell is out of place (a comma in a cell needs the cell in quotes), or "
            "its column has no header"
        ),
        {"cell": extra + 1, "columns": width},
    )


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


def _delimiter(line: str) -> str:
    return delimiter_of(
        line, DELIMITERS, lambda cells: len(READ.intersection(map(column_name, cells)))
    )


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


@dataclass(frozen=True)
class _File:
    """What a CSV's rows are checked against."""

    encoding: str
    sure: bool  # the encoding given, or told by the bytes (not a guess between equals)
    columns: list[str]
    delimiter: str  # a comma or a tab
    delimiters: int  # on a line of a whole row


def _check_read(
    text: str, cells: list[str], start: int, end: int, file: _File, previous: list[str] | None
) -> None:
    """Refuse the file at a row (on lines ``start`` to ``end``) that was not read as
    written: a byte of another encoding, a cell the other encoding reads likelier
    (GBK's 濮红华 is valid UTF-8, "姺컪"), or a quote left open (``quotes``).
    ``text``: the cells joined by commas."""
    if text.isascii():
        pass
    elif (line := _unread_line(text, start)) is not None:
        raise _not_text_at(line, file.encoding)
    elif (found := misread(text, cells, file.encoding, file.sure)) is not None:
        raise _misread_at(start, found, file.encoding, file.columns)
    if end > start:
        opened = swallowed(cells, start, file.delimiters, previous, delimiter=file.delimiter)
        if opened is not None:
            raise _unclosed(opened, end)


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


def _unread_line(text: str, start: int) -> int | None:
    """The line of a row (``text``, starting on ``start``) that holds a byte its
    encoding could not read."""
    found = _ESCAPED.search(text)
    if found is None:
        return None
    return start + len(_LINE_BREAK.findall(text, 0, found.start()))


def _misread_at(line: int, found: Misread, encoding: str, columns: list[str]) -> UnreadableFile:
    """A row read as garbled text: nothing is kept, the cell quoted both ways."""
    named = _named(encoding)
    params = {
        "line": line,
        "column": column_label(columns[found.index]) if found.index < len(columns) else "",
        "value": named,
        "read": found.read,
        "other": "GBK" if named != "GBK" else "UTF-8",
        "other_read": found.other,
    }
    if found.ambiguous:
        return AmbiguousEncoding(
            N_(
                "Line {line}, column {column}, reads as {value} text “{read}” and as "
                "{other} text “{other_read}” alike: send the file again naming its "
                "encoding"
            ),
            **params,
        )
    return UnreadableFile(
        N_(
            "Line {line}, column {column}, reads as {value} text “{read}”, but it is "
            "likelier {other} text “{other_read}”: the file mixes two encodings, or "
            "is {other}; save the whole file as UTF-8, or if it is {other}, send it again "
            "naming the encoding {other}"
        ),
        **params,
    )


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


def _not_text(encoding: str) -> UnreadableFile:
    """A file whose first line with text is not valid in its encoding (a GBK file
    sent as JSON Lines, which are UTF-8): "though the lines before it are" read oddly."""
    named = _named(encoding)
    return UnreadableFile(
        N_(
            "The file is not valid {value} text: save it as UTF-8, or if it is {other}, "
            "send it again naming the encoding {other}"
        ),
        value=named,
        other="GBK" if named != "GBK" else "UTF-8",
    )


def _release(text: io.TextIOWrapper) -> None:
    """Give the byte stream back to its owner, open (the caller closes it)."""
    with contextlib.suppress(ValueError):  # already closed by its owner
        text.detach()


def _xlsx(stream: IO[bytes]) -> Iterator[Row]:
    sheets = tuple(later_sheets(stream))
    rows = sheet_rows(stream)
    try:
        first = next(rows, None)
        if first is None:
            raise UnreadableFile(N_("The file is empty"))
        columns = _columns([str(h) for h in first[1]])
        width = len(columns)
        yield Row(0, dict.fromkeys(columns), sheets=sheets)
        for number, cells in rows:
            if len(cells) > width and (problem := _extra_cells(cells, width)) is not None:
                yield Row(number, {}, problem)
                continue
            values = {c: cell_text(v) for c, v in zip(columns, cells, strict=False)}
            if any(v not in (None, "") for v in values.values()):
                yield Row(number, values)
    except LongCell as long:
        raise UnreadableFile(_LONG_CELL, line=long.row, max=long.max) from None
    except TooMuchText as much:
        raise UnreadableFile(
            TOO_MUCH_TEXT, strings=much.strings, millions=much.characters // 1_000_000
        ) from None
    except ZipBomb as bomb:
        raise InflatedWorkbook(bomb.words, **bomb.params) from None
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
    return {"gb18030": "GBK", "utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16"}.get(
        name, encoding
    )
