"""What an outside probe of the department import found (stop 43), each fixed: a
compact date of too few digits read as another date, a file without a column undoing
a later release, JSON Lines keys and XLSX sheets dropped without a word, a record
number told apart by 5,000-row chunk, a note over two lines refused, and cells past
the header dropped."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.records import ImportKind
from healthcode.services.records import first_rows, imports
from healthcode.services.records.batches import roll_back_batch
from healthcode.services.records.files import UnreadableFile
from healthcode.services.records.recolouring import recolour_batch
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.units import SameUnit
from tests.services.records.helpers import (
    colour_of,
    csv_bytes,
    green_resident,
    later,
    run_import,
    table_bytes,
)

HEADER = ("source_id", "id_number", "start", "end")


def record_of(uow: UnitOfWork, source_id: str) -> t.DataRecord:
    query = select(t.DataRecord).where(t.DataRecord.source_id == source_id)
    return uow.session.scalars(query.execution_options(populate_existing=True)).one()


def jsonl(*lines: Mapping[str, object]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


class TestCompactDates:
    """202611 was kept as 2026-01-01 and 2026112 as 2026-11-02: strptime's %Y%m%d takes
    a month and a day of one digit. Without separators only eight digits are a date."""

    def test_a_compact_date_of_six_or_seven_digits_is_refused(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        _, number = green_resident(uow, env)
        rows = [HEADER, ("D-1", number, "202011", ""), ("D-2", number, "2020021", "")]
        rows += [("D-3", number, "20200210", "2020022")]
        report = run_import(uow, env, csv_bytes(rows))
        assert report.added == 0
        assert [(r.line, r.field, r.code) for r in report.refusals] == [
            (2, "start", "date"),
            (3, "start", "date"),
            (4, "end", "date"),
        ]

    def test_eight_digits_and_separated_dates_of_one_digit_are_read(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """2020/2/9 is how a spreadsheet in Chinese writes a date to CSV: with
        separators a month or day of one digit cannot be read two ways."""
        _, number = green_resident(uow, env)
        rows = [HEADER, ("D-1", number, "20200210", ""), ("D-2", number, "2020-2-9", "")]
        rows += [("D-3", number, "2020/2/9", "2020/2/19")]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.refused) == (3, 0), report.refusals
        assert record_of(uow, "D-1").start == date(2020, 2, 10)
        assert record_of(uow, "D-2").start == date(2020, 2, 9)
        assert (record_of(uow, "D-3").start, record_of(uow, "D-3").end) == (
            date(2020, 2, 9),
            date(2020, 2, 19),
        )


class TestColumnsAFileLeavesOut:
    """A file sent again without a column the department sent later (the release date)
    cleared it: the released contact was red again, with no end. A column the file
    does not name leaves the record's value as it is; an empty cell still clears it."""

    def test_an_earlier_file_sent_again_keeps_the_later_release(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        _, number = green_resident(uow, env)
        first = csv_bytes([("记录编号", "身份证号", "开始日期"), ("AB-1", number, "2020-02-10")])
        released = csv_bytes(
            [
                ("记录编号", "身份证号", "开始日期", "解除隔离日期"),
                ("AB-1", number, "2020-02-10", "2020-02-20"),
            ]
        )
        run_import(uow, env, first)
        later(env)
        assert run_import(uow, env, released).amended == 1
        later(env)
        again = run_import(uow, env, first)
        assert (again.amended, again.unchanged) == (0, 1)
        assert record_of(uow, "AB-1").end == date(2020, 2, 20)
        cleared = csv_bytes([(*HEADER,), ("AB-1", number, "2020-02-10", "")])
        assert run_import(uow, env, cleared).amended == 1  # an empty cell: no release
        assert record_of(uow, "AB-1").end is None

    def test_a_file_without_notes_keeps_them(self, uow: UnitOfWork, env: Env) -> None:
        _, number = green_resident(uow, env)
        noted = [("source_id", "id_number", "start", "备注"), ("N-1", number, "2020-02-10", "发热")]
        run_import(uow, env, csv_bytes(noted))
        later(env)
        plain = csv_bytes([("source_id", "id_number", "start"), ("N-1", number, "2020-02-10")])
        assert run_import(uow, env, plain).unchanged == 1
        assert record_of(uow, "N-1").detail == "发热"

    def test_a_json_line_leaves_the_keys_it_does_not_name(self, uow: UnitOfWork, env: Env) -> None:
        _, number = green_resident(uow, env)
        line = {"source_id": "J-1", "id_number": number, "start": "2020-02-10"}
        run_import(uow, env, jsonl(line | {"end": "2020-02-20"}), file_name="c.jsonl")
        later(env)
        again = run_import(uow, env, jsonl(line), file_name="c.jsonl")
        assert (again.amended, again.unchanged) == (0, 1)
        assert record_of(uow, "J-1").end == date(2020, 2, 20)
        later(env)
        assert run_import(uow, env, jsonl(line | {"end": ""}), file_name="c.jsonl").amended == 1
        assert record_of(uow, "J-1").end is None

    def test_an_amendment_keeps_the_whole_record_and_rolls_back(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """A file without the release column correcting the start: the amendment keeps
        every value before and after (the release among them), and rolling it back
        restores the start and leaves the release."""
        _, number = green_resident(uow, env)
        run_import(uow, env, csv_bytes([HEADER, ("AB-2", number, "2020-02-10", "2020-02-20")]))
        later(env)
        short = [("source_id", "id_number", "start"), ("AB-2", number, "2020-02-11")]
        corrected = run_import(uow, env, csv_bytes(short))
        assert corrected.amended == 1
        record = record_of(uow, "AB-2")
        assert (record.start, record.end) == (date(2020, 2, 11), date(2020, 2, 20))
        query = select(t.Amendment).where(t.Amendment.batch_id == corrected.batch_id)
        amendment = uow.session.scalars(query).one()
        assert set(amendment.before) == set(amendment.after) == set(imports.AMENDED)
        assert (amendment.before["end"], amendment.after["end"]) == ("2020-02-20", "2020-02-20")
        later(env)
        roll_back_batch(uow, env, None, batch_id=corrected.batch_id)
        recolour_batch(SameUnit(uow), env, batch_id=corrected.batch_id)  # type: ignore[arg-type]
        record = record_of(uow, "AB-2")
        assert (record.start, record.end) == (date(2020, 2, 10), date(2020, 2, 20))

    def test_a_listing_sent_again_without_its_lifting_stays_lifted(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        header = ("source_id", "region", "start")
        run_import(
            uow, env, csv_bytes([header, ("HR-1", "370100", "2020-02-10")]),
            kind=ImportKind.HIGH_RISK_REGION,
        )  # fmt: skip
        later(env)
        lifted = csv_bytes([(*header, "end"), ("HR-1", "370100", "2020-02-10", "2020-02-15")])
        assert run_import(uow, env, lifted, kind=ImportKind.HIGH_RISK_REGION).amended == 1
        later(env)
        again = run_import(
            uow, env, csv_bytes([header, ("HR-1", "370100", "2020-02-10")]),
            kind=ImportKind.HIGH_RISK_REGION,
        )  # fmt: skip
        assert (again.amended, again.unchanged) == (0, 1)
        listing = uow.session.scalars(select(t.HighRiskRegion)).one()
        assert listing.end == date(2020, 2, 15)


class TestJsonLinesKeysNoImportReads:
    def test_are_named_in_the_report_once_and_bounded(self, uow: UnitOfWork, env: Env) -> None:
        """A release under 解除隔离时间 was dropped without a word (CSV and XLSX name
        such headers). Named once however many lines hold them, and no more than
        ``MAX_UNREAD``: a file may name a new key on each of its lines."""
        _, number = green_resident(uow, env)
        line = {"source_id": "JU-1", "id_number": number, "start": "2020-02-10"}
        lines = [line | {"解除隔离时间": "2020-02-20"}, line | {"解除隔离时间": "2020-02-20"}]
        lines += [{"source_id": f"JU-{i}", f"key{i:03d}{'k' * 100}": "x"} for i in range(2, 80)]
        report = run_import(uow, env, jsonl(*lines), file_name="c.jsonl")
        assert report.added == 1
        assert report.unread_columns[:2] == ("解除隔离时间", f"key002{'k' * 57}…")
        assert len(report.unread_columns) == imports.MAX_UNREAD
        assert all(len(column) <= 64 for column in report.unread_columns)


class TestARecordNumberAcrossChunks:
    """Line 2 a number with nobody's ID number, the same number on the last line with a
    resident's: refused below 5,000 rows between them, added above (each chunk kept
    its own first rows). The file's first rows are kept for the whole file, in memory
    or, past ``IN_MEMORY``, on disk."""

    @pytest.mark.parametrize("in_memory", [5000, 1], ids=["in_memory", "on_disk"])
    def test_a_number_repeated_in_a_later_chunk_is_refused(
        self, uow: UnitOfWork, env: Env, monkeypatch: pytest.MonkeyPatch, in_memory: int
    ) -> None:
        monkeypatch.setattr(imports, "CHUNK", 2)
        monkeypatch.setattr(first_rows, "IN_MEMORY", in_memory)
        listed, number = green_resident(uow, env)
        _, other = green_resident(uow, env)
        rows = [HEADER, ("XCH", id_number(), "2020-02-10", ""), ("T-1", other, "2020-02-10", "")]
        rows += [(f"F-{i}", id_number(), "2020-02-10", "") for i in range(5)]  # no resident
        rows += [("T-1", other, "2020-02-10", ""), ("T-1", other, "2020-02-10", "2020-02-12")]
        rows += [("XCH", number, "2020-02-10", "")]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.unchanged, report.unmatched, report.refused) == (1, 1, 6, 2)
        refused = [r for r in report.refusals if r.code != "no_resident"]
        assert [(r.line, r.code, r.params["first"]) for r in refused] == [
            (10, "source_id_repeated", 3),
            (11, "source_id_repeated", 2),
        ]
        assert colour_of(uow, listed) is Colour.GREEN


class TestNotesOverLines:
    """A note typed with Alt+Enter (or holding a tab) refused its row, "at most 200
    printable characters", naming the row's last line. Line breaks and tabs are folded
    into spaces, and a row over lines is named by the line it starts on."""

    HEADER = ("source_id", "id_number", "start", "detail")

    def test_line_breaks_and_tabs_in_a_note_are_spaces(self, uow: UnitOfWork, env: Env) -> None:
        _, number = green_resident(uow, env)
        rows = [self.HEADER, ("N-1", number, "2020-02-10", '"发热\r\n 咳嗽\t乏力"')]
        rows += [("N-2", number, "2020-02-10", '"' + "x" * 150 + "\n" + "y" * 50 + '"')]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.refused) == (1, 1)
        assert record_of(uow, "N-1").detail == "发热 咳嗽 乏力"
        assert [(r.line, r.field) for r in report.refusals] == [(4, "detail")]  # 201 folded

    def test_a_refused_row_over_lines_is_named_by_its_first(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        _, number = green_resident(uow, env)
        rows = [self.HEADER, ("N-1", number, "2020-13-01", '"发热\n咳嗽\n乏力"')]
        rows += [("N-2", number, "2020-02-30", "")]
        report = run_import(uow, env, csv_bytes(rows))
        assert [(r.line, r.field) for r in report.refusals] == [(2, "start"), (5, "start")]

    def test_a_cell_over_lines_in_a_workbook_is_a_note(
        self, uow: UnitOfWork, env: Env, tmp_path: Path
    ) -> None:
        _, number = green_resident(uow, env)
        rows = [self.HEADER, ("N-1", number, "2020-02-10", "发热\n咳嗽")]
        report = run_import(uow, env, table_bytes(rows, "n.xlsx", tmp_path), file_name="n.xlsx")
        assert report.added == 1, report.refusals
        assert record_of(uow, "N-1").detail == "发热 咳嗽"


class TestCellsPastTheHeader:
    @pytest.mark.parametrize("file_name", ["contacts.csv", "contacts.xlsx"])
    def test_a_value_past_the_header_refuses_its_row(
        self, uow: UnitOfWork, env: Env, file_name: str, tmp_path: Path
    ) -> None:
        """A release date one cell too far right was dropped without a word, and the
        record kept open. Empty cells past the header are a spreadsheet's commas."""
        _, number = green_resident(uow, env)
        rows = [HEADER, ("EC-1", number, "2020-02-10", "", "2020-02-20")]
        rows += [("EC-2", number, "2020-02-10", "", "", "")]
        report = run_import(uow, env, table_bytes(rows, file_name, tmp_path), file_name=file_name)
        assert (report.added, report.refused) == (1, 1)
        [refusal] = report.refusals
        assert (refusal.line, refusal.code, refusal.params) == (
            2,
            "extra_cells",
            {"cell": 5, "columns": 4},
        )


class TestLowOnes:
    def test_a_workbooks_later_sheets_holding_rows_are_named(
        self, uow: UnitOfWork, env: Env, tmp_path: Path
    ) -> None:
        import xlsxwriter

        _, number = green_resident(uow, env)
        path = tmp_path / "book.xlsx"
        book = xlsxwriter.Workbook(str(path))
        for name, rows in [
            ("名单", [HEADER, ("S-1", number, "2020-02-10", "")]),
            ("第二批", [HEADER, ("S-2", number, "2020-02-10", "")]),
            ("空表", []),
        ]:
            sheet = book.add_worksheet(name)
            for at, row in enumerate(rows):
                sheet.write_row(at, 0, row)
        book.close()
        report = run_import(uow, env, path.read_bytes(), file_name="book.xlsx")
        assert (report.added, report.unread_sheets) == (1, ("第二批",))

    @pytest.mark.parametrize(
        "value", ["Infinity", "-Infinity", "NaN", "1e999"], ids=["inf", "minus_inf", "nan", "big"]
    )
    def test_a_json_value_json_does_not_have_is_refused(
        self, uow: UnitOfWork, env: Env, value: str
    ) -> None:
        """ "source_id": Infinity was kept as the record number "inf"."""
        _, number = green_resident(uow, env)
        line = f'{{"source_id": {value}, "id_number": "{number}", "start": "2020-02-10"}}\n'
        report = run_import(uow, env, line.encode(), file_name="c.jsonl")
        assert report.added == 0
        assert [(r.line, r.code, r.params) for r in report.refusals] == [
            (1, "json", {"value": value})
        ]

    def test_a_gbk_json_lines_file_is_refused_plainly(self, uow: UnitOfWork, env: Env) -> None:
        """ "Line 1 is not valid UTF-8 text, though the lines before it are"."""
        line = '{"source_id": "G-1", "姓名": "张三"}\n'.encode("gbk")
        with pytest.raises(UnreadableFile) as refused:
            run_import(uow, env, b"\n" + line, file_name="c.jsonl")
        assert refused.value.params == {"value": "UTF-8", "other": "GBK"}
        with pytest.raises(UnreadableFile) as later_line:
            run_import(uow, env, '{"a": "张三"}\n'.encode() + line, file_name="c.jsonl")
        assert later_line.value.params["line"] == 2
