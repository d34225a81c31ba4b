"""Reading an employer's staff file: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16 with
its BOM — Excel's "Unicode text"; separated by commas, semicolons or tabs, whichever the
header line reads with) or XLSX.

The file is bounded (``MAX_BYTES``, ``MAX_ROWS``) and read row by row; what comes out
is each data row's cells by column (name, id_number, phone, department) with its line
number in the file, header = line 1. A file that cannot be read at all, or lacks a
required column, is refused as a whole with one field error on ``file`` naming why.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.services.records.encodings import (
    BOMLESS_UTF16,
    UTF16_BOMS,
    bomless_utf16,
    detect_encoding,
    first_text,
)
from healthcode.services.shared.cells import cell_text, delimiter_of
from healthcode.services.shared.xlsx import BadWorkbook, LongCell, TooMuchText, ZipBomb, sheet_rows

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
COLUMNS = ("name", "id_number", "phone", "department")
REQUIRED = ("name", "id_number")
# The words a header may use for each column, compared without case, spaces or marks.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "name", "fullname", "staffname"),
    "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "idnumber", "idno", "idcard"),
    "phone": ("手机号", "手机号码", "手机", "联系电话", "电话", "phone", "mobile", "phonenumber"),
    "department": ("部门", "所在部门", "department", "dept"),
}
# Named in both words a header may use, whatever the reader's language.
COLUMN_WORDS = {
    "name": "姓名 (name)",
    "id_number": "身份证号 (ID number)",
    "phone": "手机号 (phone)",
    "department": "部门 (department)",
}
DELIMITERS = (",", ";", "\t")  # a comma first
_XLSX_MAGIC = b"PK\x03\x04"
_NOT_WORD = re.compile(r"[\s_\-./()（）:：*]+")


@dataclass(frozen=True)
class SheetRow:
    line: int  # in the file; the header is line 1
    cells: dict[str, str]


def refuse_file(code: str, message: str, **params: object) -> InvalidInput:
    return InvalidInput.single("file", code, message, **params)


def too_large() -> InvalidInput:
    return refuse_file(
        "too_large",
        N_("The file is larger than {megabytes} MB; split it into smaller files"),
        megabytes=MAX_BYTES // (1024 * 1024),
    )


# PDF, PNG, JPEG, GIF, a Word or Excel 97 file: not a list of rows
_NOT_A_TABLE = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\xd0\xcf\x11\xe0")


def read_rows(content: bytes, *, filename: str = "") -> Iterator[SheetRow]:
    """The file's data rows, mapped to our columns; refuses the whole file first if it
    is too large, unreadable or lacks a required column, and mid-way past ``MAX_ROWS``."""
    if len(content) > MAX_BYTES:
        raise too_large()
    if not content.strip():
        raise refuse_file("empty", N_("The file is empty"))
    is_xlsx = content.startswith(_XLSX_MAGIC) or filename.lower().endswith(".xlsx")
    if not is_xlsx:
        _check_text(content)
    rows = _xlsx_rows(content) if is_xlsx else _csv_rows(content)
    header = next(rows, None)
    if header is None:
        raise refuse_file("empty", N_("The file is empty"))
    positions = _columns(header[1])
    for line, cells in rows:
        if line - header[0] > MAX_ROWS:  # a sheet's row number counts its empty rows
            raise refuse_file(
                "too_many_rows",
                N_("The file has more than {rows} rows; split it into smaller files"),
                rows=MAX_ROWS,
            )
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        yield SheetRow(line, {k: _cell(cells, i) for k, i in positions.items()})


def _check_text(content: bytes) -> None:
    """Refuse a file that is not text: a PDF or a photo of the list was read as text
    and "lacked the name column". Only UTF-16 text holds NULs (the high byte of each
    ASCII character): read with its BOM (Excel's "Unicode text", refused as not a CSV
    until now), refused without one, whose byte order would be a guess."""
    if content.startswith(_NOT_A_TABLE):
        raise _wrong_type()
    if bomless_utf16(content):
        raise refuse_file("utf16_without_bom", BOMLESS_UTF16)
    if not content.startswith(UTF16_BOMS) and b"\x00" in content[:1024]:
        raise _wrong_type()


def _wrong_type() -> InvalidInput:
    return refuse_file("wrong_type", N_("Send the staff list as a CSV or XLSX file"))


def _cell(cells: Sequence[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _known(header: Sequence[str]) -> dict[str, int]:
    """Our columns the header names, by position (a repeated one's first)."""
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        column = _column_of(title)
        if column is not None and column not in found:
            found[column] = index
    return found


def _column_of(title: str) -> str | None:
    word = _NOT_WORD.sub("", unicodedata.normalize("NFKC", title)).casefold()
    return next((column for column, words in HEADERS.items() if word in words), None)


def _columns(header: Sequence[str]) -> dict[str, int]:
    """Each column's place; a column named twice (手机号 and 电话) refuses the file:
    the first was read without a word, whichever the employer meant."""
    found = _known(header)
    for index, title in enumerate(header):
        column = _column_of(title)
        if column is not None and found[column] != index:
            raise refuse_file(
                "repeated_column",
                N_(
                    "The first row names the column {column} more than once ({headers}): "
                    "keep one of them and send the file again"
                ),
                column=COLUMN_WORDS[column],
                headers=f"{header[found[column]].strip()}, {title.strip()}",
            )
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise refuse_file(
            "missing_column",
            N_("The file has no column {column}; the first row must name the columns"),
            column=COLUMN_WORDS[missing[0]],
        )
    return found


def decode(content: bytes) -> str:
    """UTF-8 (with or without a BOM) or GB18030 (a superset of GBK and GB2312), judged
    as the departments' imports judge it (``encodings.detect_encoding``): GBK bytes can
    be valid UTF-8 as well (an English header and names such as 濮红华, 岑光华), and a
    roster taken for UTF-8 whenever it was valid stored such names garbled. A BOM
    says UTF-8; where the guess does not read the whole file, the other is tried.
    A UTF-16 BOM says UTF-16, in its byte order (Excel's "Unicode text")."""
    if content.startswith(UTF16_BOMS):
        return _utf16(content)
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]  # then UTF-8, or a mislabelled GBK
        guess = "utf-8"
    else:
        guess = detect_encoding(first_text(io.BytesIO(content))).encoding
    other = "utf-8" if guess == "gb18030" else "gb18030"
    for encoding in (guess, other):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise refuse_file(
        "encoding", N_("The file is neither UTF-8 nor GBK text; save it as CSV or XLSX")
    )


def _utf16(content: bytes) -> str:
    try:
        return content.decode("utf-16")  # the codec reads the BOM for the byte order
    except UnicodeDecodeError:  # an odd byte at its end, half a character
        raise refuse_file(
            "encoding",
            N_("The file is not valid {value} text: save it as UTF-8 or GBK and send it again"),
            value="UTF-16",
        ) from None


def _delimiter(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return delimiter_of(first, DELIMITERS, lambda cells: len(_known(cells)))


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    text = decode(content)
    try:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
        yield from enumerate(rows, start=1)
    except csv.Error:
        raise refuse_file("format", N_("The file is not a readable CSV file")) from None


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows with their numbers, read as a stream: calamine made the
    sheet one dense range, and a workbook naming cell XFD1048576 asked for 512 GB."""
    try:
        # past twice the rows a roster may have, its header is long behind: the row
        # read there is refused by its number (``MAX_ROWS``), empty or not
        for number, row in sheet_rows(io.BytesIO(content), last_row=2 * MAX_ROWS):
            yield number, [_text(value) for value in row]
    except LongCell as long:
        raise refuse_file(
            "cell_too_long",
            N_("Line {line} holds a cell of more than {max} characters"),
            line=long.row,
            max=long.max,
        ) from None
    except TooMuchText as much:
        raise refuse_file(
            "too_much_text",
            N_(
                "The workbook holds more than {strings} different texts or {millions} million "
                "characters of text: split it into smaller files"
            ),
            strings=much.strings,
            millions=much.characters // 1_000_000,
        ) from None
    except ZipBomb as bomb:
        raise refuse_file("zip_bomb", bomb.words, **bomb.params) from None
    except BadWorkbook:
        raise refuse_file("format", N_("The file is not a readable XLSX workbook")) from None


def _text(value: Any) -> str:
    """A cell as text: a number typed into a spreadsheet (a phone) without its '.0'."""
    return "" if value is None else str(cell_text(value))
