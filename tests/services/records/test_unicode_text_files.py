"""Excel's "Unicode text" (另存为 → Unicode 文本 (*.txt)): UTF-16 with its BOM,
tab-separated, CRLF. Read by commas, its header was one column and the file refused
as lacking every column; it is read as the CSV of the same rows is, with the same
report. UTF-16 without its BOM was read as UTF-8 or GBK, garbled: it is refused,
saying how to save it."""

from __future__ import annotations

import codecs
import csv
import io
import tracemalloc
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.records import Department, ImportKind
from healthcode.http.errors import in_words
from healthcode.i18n import set_language
from healthcode.services.records.files import UnclosedQuote, UnreadableFile
from healthcode.services.records.imports import ImportReport, Sender, import_records
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.services.records.helpers import colour_of, green_resident, run_import
from tests.services.records.test_large_file import KB, GeneratedCsv

HEADER = ("记录编号", "身份证号", "姓名", "开始日期", "备注")


def table(rows: Sequence[Sequence[str]], *, delimiter: str, encoding: str, bom: bool) -> bytes:
    """The rows as a spreadsheet saves them: cells holding the separator, a quote or a
    line break (Alt+Enter) in quotes, CRLF between rows; ``bom``: UTF-16's BOM first,
    in the byte order of ``encoding`` (utf-16-le or utf-16-be)."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode(encoding)


def unicode_text(rows: Sequence[Sequence[str]], encoding: str = "utf-16-le") -> bytes:
    return table(rows, delimiter="\t", encoding=encoding, bom=True)


def summary(report: ImportReport) -> tuple[Any, ...]:
    """What a department reads in a report: everything but the batch and file name."""
    refusals = [(r.line, r.field, r.code, r.params) for r in report.refusals]
    return (
        report.rows_read,
        report.added,
        report.amended,
        report.unchanged,
        report.refused,
        report.unmatched,
        refusals,
        report.refusals_total,
        report.unread_columns,
    )


class TestExcelsUnicodeText:
    @pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
    def test_turns_the_listed_residents_red_with_the_report_of_its_csv(
        self, uow: UnitOfWork, env: Env, encoding: str
    ) -> None:
        listed, number = green_resident(uow, env)
        other, _ = green_resident(uow, env)
        uow.commit()  # kept while each import is rolled back
        rows = [
            HEADER,
            ("CC-1", number, "张三", "2020-02-22", "发热, 咳嗽\n乏力"),  # over two lines
            ("CC-2", "370000000000000000", "李四", "2020-02-22", ""),  # line 4
            ("CC-3", id_number(), "王五", "2020-02-23", ""),  # no such resident
        ]
        data = unicode_text(rows, encoding)
        assert data.startswith(codecs.BOM_UTF16_LE if encoding == "utf-16-le" else b"\xfe\xff")

        read = run_import(uow, env, data, file_name="密接名单.txt")

        assert (read.added, read.refused, read.unmatched) == (1, 1, 1), read.refusals
        assert [(r.line, r.field, r.code) for r in read.refusals] == [
            (4, "id_number", "birth_date"),
            (5, "id_number", "no_resident"),
        ]
        assert colour_of(uow, listed) is Colour.RED
        assert colour_of(uow, other) is Colour.GREEN
        detail = uow.session.scalars(select(t.DataRecord.detail)).one()
        assert detail == "发热, 咳嗽 乏力"  # the comma kept in its cell, the break folded
        uow.rollback()
        assert colour_of(uow, listed) is Colour.GREEN
        as_csv = table(rows, delimiter=",", encoding="utf-8", bom=False)
        sent = run_import(uow, env, as_csv, file_name="密接名单.csv")
        assert summary(read) == summary(sent)
        assert colour_of(uow, listed) is Colour.RED

    def test_a_comma_separated_utf16_file_is_read_as_well(self, uow: UnitOfWork, env: Env) -> None:
        listed, number = green_resident(uow, env)
        rows = [HEADER, ("CC-1", number, "张三", "2020-02-22", "发热\t咳嗽")]
        data = table(rows, delimiter=",", encoding="utf-16-le", bom=True)

        report = run_import(uow, env, data, file_name="密接名单.txt")

        assert (report.added, report.refused) == (1, 0), report.refusals
        assert colour_of(uow, listed) is Colour.RED

    def test_a_quote_left_open_is_refused_naming_its_line(self, uow: UnitOfWork, env: Env) -> None:
        """A quote opening a note swallowed the rows after it into that note (they
        were read as lines of it, no row counted a comma)."""
        listed, number = green_resident(uow, env)
        other, second = green_resident(uow, env)
        text = (
            "\ufeff记录编号\t身份证号\t姓名\t开始日期\t备注\r\n"
            f'CC-1\t{number}\t张三\t2020-02-22\t"发热\r\n'
            f"CC-2\t{second}\t李四\t2020-02-22\t\r\n"
            f"CC-3\t{id_number()}\t王五\t2020-02-22\t咳嗽\r\n"
        )

        with pytest.raises(UnclosedQuote) as refused:
            run_import(uow, env, text.encode("utf-16-le"), file_name="密接名单.txt")

        assert refused.value.params == {"line": 2, "end": 4}
        assert colour_of(uow, listed) is Colour.GREEN
        assert colour_of(uow, other) is Colour.GREEN


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_its_bom_is_refused_saying_how_to_save_it(
    uow: UnitOfWork, env: Env, encoding: str
) -> None:
    listed, number = green_resident(uow, env)
    rows = [HEADER, ("CC-1", number, "张三", "2020-02-22", "")]
    data = table(rows, delimiter="\t", encoding=encoding, bom=False)

    with pytest.raises(UnreadableFile) as refused:
        run_import(uow, env, data, file_name="密接名单.txt")

    assert refused.value.code == "utf16_without_bom"
    set_language("zh")
    try:
        words = in_words(refused.value)
    finally:
        set_language("en")
    assert words.startswith("文件是不带字节顺序标记（BOM）的 UTF-16 文本")
    assert "另存为“Unicode 文本”" in words
    assert colour_of(uow, listed) is Colour.GREEN


class GeneratedUnicodeText(GeneratedCsv):
    """``GeneratedCsv``'s rows as Excel's "Unicode text": UTF-16LE with a BOM, tabs."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.header = "\ufeffsource_id\tid_number\tstart\r\n".encode("utf-16-le")

    def _next_line(self) -> bytes:
        line = super()._next_line()
        if line is self.header:
            return line
        return line.decode().replace(",", "\t").encode("utf-16-le")


def peak_while_importing(uow: UnitOfWork, env: Env, size: int) -> int:
    stream = io.BufferedReader(GeneratedUnicodeText(size), buffer_size=64 * 1024)
    tracemalloc.start()
    try:
        report = import_records(
            uow,
            env,
            sender=Sender(),
            department=Department.HEALTH,
            kind=ImportKind.CLOSE_CONTACT,
            stream=stream,
            file_name="generated.txt",
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rows_read > size // 120  # every row was read (some 80 bytes a row)
    assert {r.code for r in report.refusals} == {"no_resident"}  # nobody registered
    uow.rollback()
    return peak


def test_memory_stays_flat_as_a_unicode_text_file_grows(uow: UnitOfWork, env: Env) -> None:
    """As ``test_large_file`` for a CSV: the UTF-16 file is decoded as it is read.
    Its rows take twice the bytes, so the smaller file is the larger CSV's size: past
    one chunk of rows, as the larger (four times the file, not the memory)."""
    small = peak_while_importing(uow, env, KB * 1024)
    large = peak_while_importing(uow, env, 4 * KB * 1024)
    assert large < small * 2, (small, large)
