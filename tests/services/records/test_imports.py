"""Importing a department's file (issue 13 items 1, 2, 4): each row checked, the good
ones kept once, exactly the residents named recoloured with the record as reason."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.records import Department, ImportKind
from healthcode.http.errors import in_words
from healthcode.i18n import set_language
from healthcode.services.records import encodings, imports
from healthcode.services.records.clients import add_client, client_by_key, revoke_client
from healthcode.services.records.files import AmbiguousEncoding, RepeatedColumns, UnreadableFile
from healthcode.services.records.imports import (
    ClientRevoked,
    KindNotAllowed,
    MissingColumns,
    Sender,
    import_records,
)
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.identity import make_id_number
from tests.services.records.helpers import (
    colour_of,
    csv_bytes,
    green_resident,
    history_of,
    later,
    run_import,
    table_bytes,
)

HEADER = ("source_id", "id_number", "name", "start", "end")
DETAIL_HEADER = ("source_id", "id_number", "start", "detail")


class TestCloseContactFile:
    def test_turns_exactly_those_residents_red_with_the_record_as_reason(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        listed, number = green_resident(uow, env)
        other, _ = green_resident(uow, env)
        later(env)
        report = run_import(
            uow, env, csv_bytes([HEADER, ("CC-1", number, "张三", "2020-02-22", "")])
        )
        assert (report.added, report.refused, report.unmatched) == (1, 0, 0)
        assert colour_of(uow, listed) is Colour.RED
        assert colour_of(uow, other) is Colour.GREEN
        change = history_of(uow, listed)[-1]
        assert (change.to_colour, change.rule_ids, change.cause) == (
            "red",
            ["BZ-RED-RECORD-CONTACT"],
            "data",
        )
        assert change.note == "health: close_contact"  # not the file's name: staff's
        assert listed.resident_id is not None
        code = uow.codes.of_resident(listed.resident_id, "binzhou-code")
        assert code is not None
        record = uow.data_records.of_resident(listed.resident_id)[0]
        evidence = code.state["reasons"][0]["evidence"]
        assert str(record.id) in str(evidence)  # the record itself is named

    def test_reimporting_the_same_file_changes_nothing(self, uow: UnitOfWork, env: Env) -> None:
        listed, number = green_resident(uow, env)
        data = csv_bytes([HEADER, ("CC-1", number, "张三", "2020-02-22", "")])
        run_import(uow, env, data)
        changes = len(history_of(uow, listed))
        later(env)
        again = run_import(uow, env, data)
        assert (again.added, again.unchanged) == (0, 1)
        assert len(history_of(uow, listed)) == changes
        assert listed.resident_id is not None
        assert len(uow.data_records.of_resident(listed.resident_id)) == 1

    def test_a_row_twice_in_the_file_is_kept_once(self, uow: UnitOfWork, env: Env) -> None:
        _, number = green_resident(uow, env)
        row = ("CC-1", number, "张三", "2020-02-22", "")
        report = run_import(uow, env, csv_bytes([HEADER, row, row]))
        assert (report.rows_read, report.added, report.unchanged) == (2, 1, 1)

    def test_a_resident_not_registered_is_reported(self, uow: UnitOfWork, env: Env) -> None:
        from tests.factories.inputs import id_number

        report = run_import(
            uow, env, csv_bytes([HEADER, ("CC-9", id_number(), "李四", "2020-02-22", "")])
        )
        assert (report.added, report.unmatched) == (0, 1)
        assert [(r.line, r.field, r.code) for r in report.refusals] == [
            (2, "id_number", "no_resident")
        ]


class TestRecordNumbers:
    """A department's record number (source id) names one record about one person; a
    row that breaks that is refused with its line, not counted unchanged (found by
    probing the import from outside: such rows vanished without a word)."""

    def test_a_number_used_twice_in_a_file_for_two_people_is_refused(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        first, number = green_resident(uow, env)
        second, other = green_resident(uow, env)
        rows = [
            HEADER,
            ("CC-1", number, "张三", "2020-02-22", ""),
            ("CC-1", other, "李四", "2020-02-22", ""),
        ]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.unchanged, report.refused) == (1, 0, 1)
        [refusal] = report.refusals
        assert (refusal.line, refusal.field, refusal.code) == (3, "source_id", "source_id_repeated")
        assert refusal.params == {"value": "CC-1", "first": 2}
        assert (colour_of(uow, first), colour_of(uow, second)) == (Colour.RED, Colour.GREEN)

    def test_a_number_sent_before_for_another_person_is_refused(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        _, number = green_resident(uow, env)
        second, other = green_resident(uow, env)
        run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "张三", "2020-02-22", "")]))
        later(env)
        again = run_import(uow, env, csv_bytes([HEADER, ("CC-1", other, "李四", "2020-02-23", "")]))
        assert (again.added, again.amended, again.unchanged, again.refused) == (0, 0, 0, 1)
        assert [r.code for r in again.refusals] == ["source_id_taken"]
        assert colour_of(uow, second) is Colour.GREEN

    def test_a_number_sent_before_for_another_kind_is_refused_and_changes_nothing(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        listed, number = green_resident(uow, env)
        run_import(uow, env, csv_bytes([HEADER, ("D-1", number, "张三", "2020-02-22", "")]))
        later(env)
        confirmed = run_import(
            uow,
            env,
            csv_bytes([HEADER, ("D-1", number, "张三", "2020-02-20", "")]),
            kind=ImportKind.CONFIRMED,
        )
        assert (confirmed.amended, confirmed.refused) == (0, 1)
        [refusal] = confirmed.refusals
        assert (refusal.code, refusal.params) == (
            "source_id_other_kind",
            {"value": "D-1", "kind": "close_contact"},
        )
        assert listed.resident_id is not None
        [record] = uow.data_records.of_resident(listed.resident_id)
        assert (record.kind, record.start.isoformat() if record.start else None) == (
            "close_contact",
            "2020-02-22",
        )


class TestEncodings:
    ROWS = (("记录编号", "身份证号", "姓名", "开始日期"),)

    @pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
    def test_chinese_headers_in_any_encoding(
        self, uow: UnitOfWork, env: Env, encoding: str
    ) -> None:
        listed, number = green_resident(uow, env)
        data = csv_bytes([*self.ROWS, ("密接-001", number, "张三", "2020/02/22")], encoding)
        report = run_import(uow, env, data)
        assert report.added == 1, report.refusals
        assert colour_of(uow, listed) is Colour.RED

    def test_gbk_given_as_utf8_is_refused_whole(self, uow: UnitOfWork, env: Env) -> None:
        _, number = green_resident(uow, env)
        data = csv_bytes([*self.ROWS, ("密接-001", number, "张三", "2020-02-22")], "gbk")
        with pytest.raises(UnreadableFile) as refused:
            run_import(uow, env, data, encoding="utf-8")
        assert refused.value.params == {"value": "UTF-8"}  # the header: not "after line 0"
        latin = "source_id,id_number,start\r\nCC-1,x,caf\xe9\r\n".encode("latin-1") * 3
        with pytest.raises(UnreadableFile) as guessed:
            run_import(uow, env, latin)  # detected as GBK (read as GB18030): named GBK
        assert guessed.value.params["value"] == "GBK"
        ascii_rows = [("source_id", "id_number", "start")] + [("CC", "x", "y")] * 2000
        tail = csv_bytes(ascii_rows) + "密接,x,y\r\n".encode("gbk")
        with pytest.raises(UnreadableFile) as later_line:
            run_import(uow, env, tail, encoding="utf-8")
        line = later_line.value.params["line"]
        assert isinstance(line, int)
        assert line > 1  # past the header, where it broke

    def test_gbk_after_64_kib_of_ascii_is_read_as_gbk(self, uow: UnitOfWork, env: Env) -> None:
        """The encoding was guessed from the first 64 KiB: ASCII reads the same in
        UTF-8 and GBK, so a file whose Chinese comes later was taken for UTF-8, and a
        note such as 一位 (GBK bytes that are valid UTF-8) was kept as "һλ". The guess
        is made from the text after the first byte that is not ASCII now."""
        listed, number = green_resident(uow, env)
        ascii_rows = [("CC-X", "x", "2020-02-22", "ok")] * 4000  # refused: no ID number
        rows = [("source_id", "id_number", "start", "detail"), *ascii_rows]
        data = csv_bytes(rows) + csv_bytes([("CC-1", number, "2020-02-22", "一位")], "gbk")
        assert data.index("一位".encode("gbk")) > 64 * 1024
        report = run_import(uow, env, data)
        assert report.added == 1
        assert listed.resident_id is not None
        [record] = uow.data_records.of_resident(listed.resident_id)
        assert (record.source_id, record.detail) == ("CC-1", "一位")

    def test_utf8_then_gbk_is_refused_naming_the_line(self, uow: UnitOfWork, env: Env) -> None:
        """A file whose first Chinese is UTF-8 and whose later text is not: nothing is
        kept, and the refusal names the line itself (it named one 600 lines before,
        where the reader had got to when the decoder, reading ahead, failed) and the
        encoding to give."""
        _, number = green_resident(uow, env)
        rows = [("source_id", "id_number", "start", "detail"), ("CC-0", "x", "2020-02-22", "张三")]
        rows += [("CC-X", "x", "2020-02-22", "ok")] * 8000
        data = csv_bytes(rows) + csv_bytes([("CC-9", number, "2020-02-22", "发热")], "gbk")
        with pytest.raises(UnreadableFile) as refused:
            run_import(uow, env, data)
        assert refused.value.params == {"value": "UTF-8", "line": 8003, "other": "GBK"}
        assert "8003" in str(refused.value)
        assert uow.session.scalar(select(t.DataRecord.id)) is None
        disguised = csv_bytes(rows) + csv_bytes([("CC-9", number, "2020-02-22", "一位")], "gbk")
        with pytest.raises(UnreadableFile) as garbled:  # valid UTF-8, but "һλ"
            run_import(uow, env, disguised)
        assert garbled.value.params["line"] == 8003

    @pytest.mark.parametrize(
        ("detail", "encoding"),
        [
            ("濮红华", "gbk"),
            ("岑光华", "gbk"),
            ("José Müller", "utf-8"),
            ("Zoë Ñúñez", "utf-8"),
            ("иванов", "utf-8"),
            ("αθήνα", "utf-8"),
            ("żółć", "utf-8"),
            ("谢谢", "gbk"),
            ("魏伟伟", "gbk"),
        ],
    )
    def test_a_name_is_kept_as_written_whichever_reading_is_valid(
        self, uow: UnitOfWork, env: Env, detail: str, encoding: str
    ) -> None:
        """濮红华 in GBK is valid UTF-8 ("姺컪", a CJK and a Hangul character: their
        UTF-8 needs three bytes each, so it passed as UTF-8 and was kept so); José
        Müller in UTF-8 is valid GBK ("Jos茅 M眉ller") and was read as GBK, and so
        was a word of lowercase Cyrillic (иванов, GBK "懈胁邪薪芯胁", everyday
        characters). The reading whose characters a department's file holds is kept;
        a short name whose bytes spell two or three letters (谢谢, UTF-8 "лл"; 魏伟伟,
        "κΰΰ") stays Chinese."""
        listed, number = green_resident(uow, env)
        rows = [
            ("source_id", "id_number", "start", "detail"),
            ("CC-1", number, "2020-02-22", detail),
        ]
        report = run_import(uow, env, csv_bytes(rows, encoding))
        assert report.added == 1, report.refusals
        assert listed.resident_id is not None
        [record] = uow.data_records.of_resident(listed.resident_id)
        assert record.detail == detail

    @pytest.mark.parametrize("name", ["赵彬", "任平", "贾路", "许转"])
    def test_a_utf8_file_of_one_short_name_is_read_as_utf8(
        self, uow: UnitOfWork, env: Env, name: str
    ) -> None:
        """赵彬 in UTF-8 reads as GBK too (璧靛浆), both everyday Chinese: a department's
        file of one contact was refused as 'reads both ways alike'. GBK's reading of
        UTF-8 Chinese starts with a less used character (GB2312's second level), which
        tells them apart."""
        listed, number = green_resident(uow, env)
        rows = [("source_id", "id_number", "start", "detail"), ("CC-1", number, "2020-02-22", name)]
        report = run_import(uow, env, csv_bytes(rows, "utf-8"))
        assert report.added == 1, report.refusals
        assert listed.resident_id is not None
        [record] = uow.data_records.of_resident(listed.resident_id)
        assert record.detail == name

    @pytest.mark.parametrize(
        ("first", "later", "encodings"),
        [("张三", "濮红华", ("utf-8", "gbk")), ("张三", "José Müller", ("gbk", "utf-8"))],
    )
    def test_a_row_in_the_other_encoding_is_refused_naming_its_line_and_readings(
        self, uow: UnitOfWork, env: Env, first: str, later: str, encodings: tuple[str, str]
    ) -> None:
        """A file whose later row is the other encoding, its bytes valid in both: the
        row was kept garbled (姺컪 in a UTF-8 file, Jos茅 M眉ller in a GBK one). Nothing
        is kept; the refusal names the line and both readings."""
        _, number = green_resident(uow, env)
        rows = [("source_id", "id_number", "start", "detail"), ("CC-0", "x", "2020-02-22", first)]
        rows += [("CC-X", "x", "2020-02-22", "ok")] * 3
        data = csv_bytes(rows, encodings[0])
        data += csv_bytes([("CC-9", number, "2020-02-22", later)], encodings[1])
        with pytest.raises(UnreadableFile) as refused:
            run_import(uow, env, data)
        assert refused.value.params["line"] == 6
        assert later in str(refused.value.params.values())
        assert uow.session.scalar(select(t.DataRecord.id)) is None

    def test_a_row_as_likely_both_ways_is_refused_unless_the_encoding_is_named(
        self, uow: UnitOfWork, env: Env, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Where the bytes cannot tell (both readings score alike), the file is not
        read on a guess: the sender names the encoding, and the row is read so."""
        monkeypatch.setattr(encodings, "oddness", lambda text: 0)
        listed, number = green_resident(uow, env)
        rows = [
            ("source_id", "id_number", "start", "detail"),
            ("CC-1", number, "2020-02-22", "José"),
        ]
        with pytest.raises(AmbiguousEncoding) as refused:
            run_import(uow, env, csv_bytes(rows))
        assert refused.value.params == {
            "line": 2, "column": "备注 (detail)", "value": "UTF-8", "read": "José",
            "other": "GBK", "other_read": "Jos茅",
        }  # fmt: skip
        assert run_import(uow, env, csv_bytes(rows), encoding="utf-8").added == 1
        assert listed.resident_id is not None
        [record] = uow.data_records.of_resident(listed.resident_id)
        assert record.detail == "José"

    @pytest.mark.parametrize("encoding", ["bogus", "base64", "rot13", "hex", "undefined"])
    @pytest.mark.parametrize("name", ["contacts.csv", "contacts.jsonl"])
    def test_an_encoding_that_is_not_one_for_text_is_refused_whole(
        self, uow: UnitOfWork, env: Env, encoding: str, name: str
    ) -> None:
        """base64 and rot13 are codecs but not for text; "undefined" refuses everything:
        each is the file's reason, not a crash."""
        _, number = green_resident(uow, env)
        data = csv_bytes([*self.ROWS, ("密接-001", number, "张三", "2020-02-22")])
        with pytest.raises(UnreadableFile) as refused:
            run_import(uow, env, data, encoding=encoding, file_name=name)
        assert refused.value.params == {"value": encoding}


class TestRefusedRows:
    def test_every_bad_row_is_listed_with_line_field_and_reason(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        listed, number = green_resident(uow, env)
        bad_check = number[:-1] + ("0" if number[-1] != "0" else "1")
        rows = [
            HEADER,
            ("CC-1", number, "张三", "2020-02-22", ""),
            ("CC-2", bad_check, "李四", "2020-02-22", ""),
            ("CC-3", number, "王五", "22/02/2020", ""),
            ("CC-4", number, "赵六", "2020-02-22", "2020-02-01"),
            ("", number, "孙七", "2020-02-22", ""),
            ("CC-6", number, "周八", "2020-03-30", ""),
            ("CC-7", number, "吴九", "1899-12-31", ""),  # a date: out of range, not "not a date"
        ]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.refused) == (1, 6)
        assert [(r.line, r.field, r.code) for r in report.refusals] == [
            (3, "id_number", "check_char"),
            (4, "start", "date"),
            (5, "end", "before_start"),
            (6, "source_id", "required"),
            (7, "start", "future"),
            (8, "start", "date_out_of_range"),
        ]
        assert colour_of(uow, listed) is Colour.RED  # the good row still counts

    def test_a_huge_cell_is_its_rows_problem_not_the_files(self, uow: UnitOfWork, env: Env) -> None:
        """A 200,000-character note refused the whole file with the csv module's
        English words ("field larger than field limit"); the row is refused now, and
        only a cell past a mebibyte refuses the file, in the user's words."""
        listed, number = green_resident(uow, env)
        header = (*HEADER, "detail")
        rows = [
            header,
            ("CC-1", number, "张三", "2020-02-22", "", "x" * 200_000),
            ("CC-2", number, "张三", "2020-02-22", "", "ok"),
        ]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.refused) == (1, 1)
        assert [(r.line, r.field) for r in report.refusals] == [(2, "detail")]
        assert colour_of(uow, listed) is Colour.RED
        huge = [header, ("CC-3", number, "张三", "2020-02-22", "", "x" * (1024 * 1024 + 1))]
        with pytest.raises(UnreadableFile) as refused:
            run_import(uow, env, csv_bytes(huge))
        assert refused.value.code == "unreadable_file"
        assert refused.value.params == {"line": 2, "max": 1024 * 1024}

    @pytest.mark.parametrize("closed", [False, True], ids=["never-closed", "closed-later"])
    def test_an_unclosed_quote_is_named_where_it_opened(
        self, uow: UnitOfWork, env: Env, closed: bool
    ) -> None:
        """A note opening with a quote it never closes read every row after it into
        that note (refused as one over-long note: those rows vanished without a word).
        The file is refused whole, naming the line the quote opened on."""
        _, number = green_resident(uow, env)
        header = (*HEADER, "detail")
        good = [(f"CC-{i}", number, "张三", "2020-02-22", "", "ok") for i in range(3, 12)]
        rows = [header, ("CC-1", number, "张三", "2020-02-22", "", "ok")]
        rows += [("CC-2", number, "张三", "2020-02-22", "", '"发热'), *good]
        if closed:  # a stray quote further down ends the cell, and the rows read on
            rows += [("CC-12", number, "张三", "2020-02-22", "", '咳嗽"'), *good]
        with pytest.raises(UnreadableFile) as refused:
            run_import(uow, env, csv_bytes(rows))
        assert refused.value.code == "unclosed_quote"
        assert refused.value.params["line"] == 3
        assert uow.session.scalar(select(t.DataRecord.id)) is None

    def test_a_note_over_two_lines_is_not_an_unclosed_quote(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """A quoted cell over two lines (Alt+Enter in a spreadsheet) is a cell: the row
        is checked as any other, and the rows after it are read."""
        listed, number = green_resident(uow, env)
        header = (*HEADER, "address")
        rows = [header, ("CC-1", number, "张三", "2020-02-22", "", '"滨州市, 黄河五路\n3 号楼"')]
        rows += [("CC-2", number, "张三", "2020-02-22", "", "")]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.refused) == (2, 0)
        assert colour_of(uow, listed) is Colour.RED

    def test_a_note_over_three_lines_full_of_commas_is_a_cell(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """A quoted note over three lines, its lines as full of commas as a row: the
        file was refused as a quote left open. A line is the rows after a quote left
        open only if it reads as a row like the one it is in."""
        listed, number = green_resident(uow, env)
        header = (*HEADER, "address")
        note = (
            '"发热, 咳嗽, 乏力, 头痛, 腹泻, 咽痛\n'
            "2月20日起居家观察, 每日测温两次, 体温37.5, 37.8, 38.1, 37.9\n"
            '已联系社区医生, 待复查, 家属二人, 同住, 无外出, 已登记"'
        )
        rows = [header, ("CC-1", number, "张三", "2020-02-22", "", note)]
        rows += [("CC-2", number, "张三", "2020-02-22", "", "")]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.refused) == (2, 0), report.refusals
        assert colour_of(uow, listed) is Colour.RED

    def test_every_refusal_is_told_past_those_kept(
        self, uow: UnitOfWork, env: Env, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The command line's --report hears of each refusal as it is found, in line
        order across chunks, past the ones a batch keeps; the report counts them all."""
        monkeypatch.setattr(imports, "MAX_REFUSALS_KEPT", 3)
        monkeypatch.setattr(imports, "CHUNK", 4)
        rows = [HEADER, *[(f"CC-{i}", "x", "张三", "2020-02-22", "") for i in range(10)]]
        told: list[int] = []
        report = import_records(
            uow, env, sender=Sender(), department=Department.HEALTH,
            kind=ImportKind.CLOSE_CONTACT, stream=io.BytesIO(csv_bytes(rows)),
            file_name="c.csv", on_refused=lambda refusal: told.append(refusal.line),
        )  # fmt: skip
        assert told == list(range(2, 12))
        assert (report.refused, report.refusals_total, len(report.refusals)) == (10, 10, 3)

    def test_a_file_missing_a_column_is_refused_whole(self, uow: UnitOfWork, env: Env) -> None:
        """Named as a department may write them: the Chinese header and the key (a
        Chinese file was told it lacked "id_number, start")."""
        with pytest.raises(MissingColumns) as refused:
            run_import(uow, env, csv_bytes([("记录编号", "姓名"), ("CC-1", "张三")]))
        assert refused.value.params == {"columns": "身份证号 (id_number), 开始日期 (start)"}

    def test_columns_no_import_reads_are_named_and_a_release_date_is_read(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """A release date under 解除隔离日期 was dropped without a word (the person stayed
        red); it is read now, and a column still unknown is named in the report."""
        _, number = green_resident(uow, env)
        header = ("记录编号", "身份证号", "开始日期", "解除隔离日期", "联系电话")
        report = run_import(
            uow, env, csv_bytes([header, ("CC-1", number, "2020-02-05", "2020-02-19", "138")])
        )
        assert report.added == 1
        assert report.unread_columns == ("联系电话",)
        record = uow.session.scalars(select(t.DataRecord)).one()
        assert record.end is not None

    @pytest.mark.parametrize("file_name", ["contacts.csv", "contacts.xlsx"])
    def test_a_column_named_twice_refuses_the_file(
        self, uow: UnitOfWork, env: Env, file_name: str, tmp_path: Path
    ) -> None:
        """Two headers for one column (结束日期 and 解除隔离日期, or one header twice):
        the later one was read without a word. The file is refused naming them, in
        the reader's language; a column no import reads, or a blank header, may repeat."""
        listed, number = green_resident(uow, env)
        header = ("记录编号", "身份证号", "开始日期", "结束日期", "解除隔离日期")
        rows = [header, ("CC-1", number, "2020-02-05", "2020-02-19", "")]
        with pytest.raises(RepeatedColumns) as refused:
            run_import(uow, env, table_bytes(rows, file_name, tmp_path), file_name=file_name)
        assert refused.value.code == "repeated_columns"
        assert refused.value.params == {
            "column": "结束日期 (end)",
            "headers": "结束日期, 解除隔离日期",
        }
        set_language("zh")
        assert "结束日期, 解除隔离日期" in in_words(refused.value)
        same = [("source_id", "id_number", "start", "ID_Number"), ("CC-1", number, "2020-02-05")]
        with pytest.raises(RepeatedColumns) as twice:
            run_import(uow, env, table_bytes(same, file_name, tmp_path), file_name=file_name)
        assert twice.value.params["headers"] == "id_number, ID_Number"
        spare = ("source_id", "id_number", "start", "备用", "备用", "", "")
        report = run_import(
            uow, env, table_bytes([spare, ("CC-1", number, "2020-02-05", "a", "b", "", "")],
            file_name, tmp_path), file_name=file_name,
        )  # fmt: skip
        assert report.added == 1
        assert colour_of(uow, listed) is Colour.RED

    def test_a_department_sends_only_what_it_holds(self, uow: UnitOfWork, env: Env) -> None:
        """In words, in the reader's language (it said "carrier 部门不能报送
        close_contact 类记录"); a client's own limit is named as such (it blamed the
        department, which may send the kind)."""
        with pytest.raises(KindNotAllowed) as refused:
            run_import(uow, env, b"", department=Department.CARRIER)
        set_language("zh")
        assert in_words(refused.value) == "通信运营商不报送“密切接触者”"
        limited = Sender(client_id=None, kinds=frozenset({ImportKind.CLOSE_CONTACT}))
        with pytest.raises(KindNotAllowed) as refused:
            import_records(
                uow, env, sender=limited, department=Department.HEALTH,
                kind=ImportKind.CONFIRMED, stream=io.BytesIO(b""), file_name="c.csv",
            )  # fmt: skip
        set_language("en")
        assert in_words(refused.value) == "This client's key is not allowed to send Confirmed cases"
        set_language("zh")


class TestEachKind:
    @pytest.mark.parametrize(
        ("kind", "department", "header", "cells", "colour", "rule"),
        [
            ("confirmed", "health", ("start",), ("2020-02-21",), "red", "BZ-RED-RECORD-CONFIRMED"),
            ("suspected", "health", ("start",), ("2020-02-21",), "red", "BZ-RED-RECORD-SUSPECTED"),
            ("positive", "health", ("start",), ("2020-02-21",), "red", "BZ-RED-RECORD-POSITIVE"),
            (
                "quarantine",
                "police",
                ("setting", "start"),
                ("集中隔离", "2020-02-21"),
                "red",
                "BZ-RED-RECORD-QUARANTINE",
            ),
            (
                "travel",
                "carrier",
                ("region", "end"),
                ("110101", "2020-02-20"),
                "yellow",
                "BZ-YELLOW-RECORD-OUT-OF-PROVINCE",
            ),
            (
                "fever_clinic",
                "medical_insurance",
                ("start",),
                ("2020-02-22",),
                "yellow",
                "BZ-YELLOW-RECORD-FEVER-CLINIC",
            ),
            (
                "fever_medicine",
                "market_regulation",
                ("start",),
                ("2020-02-22",),
                "yellow",
                "BZ-YELLOW-RECORD-FEVER-MEDICINE",
            ),
        ],
    )
    def test_the_right_colour_for_the_right_reason(
        self,
        uow: UnitOfWork,
        env: Env,
        kind: str,
        department: str,
        header: tuple[str, ...],
        cells: tuple[str, ...],
        colour: str,
        rule: str,
    ) -> None:
        listed, number = green_resident(uow, env)
        data = csv_bytes([("source_id", "id_number", *header), ("R-1", number, *cells)])
        report = run_import(
            uow, env, data, kind=ImportKind(kind), department=Department(department)
        )
        assert report.added == 1, report.refusals
        change = history_of(uow, listed)[-1]
        assert (change.to_colour, change.rule_ids) == (colour, [rule])

    def test_a_high_risk_region_turns_those_who_stayed_there_red(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        stayed, number = green_resident(uow, env)
        away, other = green_resident(uow, env)
        travel = [("source_id", "id_number", "region", "start", "end")]
        travel += [("T-1", number, "370102", "2020-02-18", "2020-02-19")]
        travel += [("T-2", other, "371602", "2020-02-18", "2020-02-19")]
        run_import(
            uow, env, csv_bytes(travel), kind=ImportKind.TRAVEL, department=Department.CARRIER
        )
        assert colour_of(uow, stayed) is Colour.GREEN
        later(env)
        regions = csv_bytes(
            [("source_id", "region", "start", "end"), ("HR-1", "370100", "2020-02-17", "")]
        )
        report = run_import(uow, env, regions, kind=ImportKind.HIGH_RISK_REGION)
        assert report.added == 1
        assert colour_of(uow, stayed) is Colour.RED
        assert history_of(uow, stayed)[-1].rule_ids == ["BZ-RED-RECORD-HIGH-RISK-REGION"]
        assert colour_of(uow, away) is Colour.GREEN


class TestJsonLines:
    def test_one_object_a_line_and_a_broken_line_is_refused(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        listed, number = green_resident(uow, env)
        line = f'{{"source_id": "CC-1", "id_number": "{number}", "start": "2020-02-22"}}'
        data = f"{line}\nnot json\n".encode()
        report = run_import(uow, env, data, file_name="contacts.jsonl")
        assert (report.added, report.refused) == (1, 1)
        assert [(r.line, r.code) for r in report.refusals] == [(2, "json")]
        assert colour_of(uow, listed) is Colour.RED

    def test_a_lone_surrogate_is_a_row_refusal(self, uow: UnitOfWork, env: Env) -> None:
        """JSON may escape half a character (\\ud800); quoted in the refusal it could not
        be stored, and the whole import was a 500."""
        _, number = green_resident(uow, env)
        line = f'{{"source_id": "FC-1", "id_number": "{number}", "start": "\\ud800"}}'
        report = run_import(uow, env, f"{line}\n".encode(), file_name="clinic.jsonl")
        assert [(r.line, r.field) for r in report.refusals] == [(1, "start")]
        uow.flush()  # the refusal is written

    @pytest.mark.parametrize(
        ("source_id", "id_number", "field"),
        [
            ("CC\\u0000-2", None, "source_id"),
            ("CC\\ud800-2", None, "source_id"),
            ("CC-2", "\\ud800", "id_number"),
        ],
        ids=["nul_number", "surrogate_number", "surrogate_id"],
    )
    def test_a_record_or_id_number_no_row_can_have_is_that_rows_refusal(
        self, uow: UnitOfWork, env: Env, source_id: str, id_number: str | None, field: str
    ) -> None:
        """A chunk's look-ups are sent before its rows are checked: a record number
        holding a NUL (which PostgreSQL text cannot hold) failed the whole import there,
        and a lone surrogate could not be hashed. Such a row is refused like any other."""
        _, number = green_resident(uow, env)
        good = f'{{"source_id": "CC-1", "id_number": "{number}", "start": "2020-02-22"}}'
        named = f'"source_id": "{source_id}", "id_number": "{id_number or number}"'
        line = f'{{{named}, "start": "2020-02-22"}}'
        report = run_import(uow, env, f"{good}\n{line}\n".encode(), file_name="contacts.jsonl")
        assert report.added == 1
        assert [(r.line, r.field) for r in report.refusals] == [(2, field)]
        uow.flush()  # the refusal is written

    def test_a_nul_quoted_in_a_refusal_is_stored(self, uow: UnitOfWork, env: Env) -> None:
        """The refusal of an ID number ending in a NUL quotes that character, which
        PostgreSQL's JSON cannot hold: the import ended in an error."""
        _, number = green_resident(uow, env)
        line = (
            f'{{"source_id": "CC-2", "id_number": "{number[:17]}\\u0000", "start": "2020-02-22"}}'
        )
        report = run_import(uow, env, f"{line}\n".encode(), file_name="contacts.jsonl")
        [refusal] = report.refusals
        assert (refusal.field, refusal.code, refusal.params["char"]) == (
            "id_number",
            "format",
            "\ufffd",
        )
        uow.flush()  # the refusal is written

    @pytest.mark.parametrize(
        "line",
        ['{"a":' * 5000 + "1" + "}" * 5000, '{"source_id": 1' + "0" * 5000 + "}"],
        ids=["nested", "long_number"],
    )
    def test_json_too_deep_or_a_number_too_long_is_a_row_refusal(
        self, uow: UnitOfWork, env: Env, line: str
    ) -> None:
        """Both were a 500: json's RecursionError, and int()'s 4,300-digit limit."""
        _, number = green_resident(uow, env)
        good = f'{{"source_id": "CC-1", "id_number": "{number}", "start": "2020-02-22"}}'
        report = run_import(uow, env, f"{good}\n{line}\n".encode(), file_name="contacts.jsonl")
        assert (report.added, [(r.line, r.code) for r in report.refusals]) == (1, [(2, "json")])

    @pytest.mark.parametrize(
        "twice",
        [
            '"end": "2020-03-01", "end": "2020-03-09"',
            '"end": "2020-03-01", "结束日期": "2020-03-09"',
        ],
        ids=["same_key", "same_column"],
    )
    def test_a_json_line_naming_a_column_twice_is_a_row_refusal(
        self, uow: UnitOfWork, env: Env, twice: str
    ) -> None:
        """json kept the last of two keys, and the column map the last of two names of
        one column, without a word: which release date was meant cannot be told."""
        _, number = green_resident(uow, env)
        good = f'{{"source_id": "CC-1", "id_number": "{number}", "start": "2020-02-22"}}'
        line = f'{{"source_id": "CC-2", "id_number": "{number}", "start": "2020-02-22", {twice}}}'
        report = run_import(uow, env, f"{good}\n{line}\n".encode(), file_name="contacts.jsonl")
        assert report.added == 1
        [refusal] = report.refusals
        assert (refusal.line, refusal.field, refusal.code) == (2, "end", "repeated_column")

    def test_an_unknown_file_type_is_refused(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(UnreadableFile):
            run_import(uow, env, b"x", file_name="contacts.pdf")


def test_a_key_revoked_while_its_upload_runs_keeps_nothing(uow: UnitOfWork, env: Env) -> None:
    """The key was read when the upload began; revoked before the upload ends (a leaked
    key), its rows were committed anyway. The client is read again, under a share
    lock, before the batch is kept."""
    listed, number = green_resident(uow, env)
    made = add_client(uow, env, name="health-system", department=Department.HEALTH)
    found = client_by_key(uow, key=made.key)
    assert found is not None
    assert revoke_client(uow, env, name="health-system")
    with pytest.raises(ClientRevoked):
        import_records(
            uow, env, sender=found.sender, department=Department.HEALTH,
            kind=ImportKind.CLOSE_CONTACT, file_name="contacts.csv",
            stream=io.BytesIO(csv_bytes([("source_id", "id_number", "start"),
                                         ("CC-1", number, "2020-02-22")])),
        )  # fmt: skip
    assert colour_of(uow, listed) is Colour.GREEN


class TestOneRecordNumberTwiceInAFile:
    """A record number twice in one file: the same row changes nothing; other values
    are refused (a release sent below the open record was dropped without a word, or
    kept when the rows fell in different chunks)."""

    HEADER = ("source_id", "id_number", "start", "end")

    def test_a_release_below_the_open_record_is_refused_naming_the_first_line(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        _, number = green_resident(uow, env)
        rows = [self.HEADER, ("CC-5", number, "2020-02-10", ""), ("CC-5", number, "2020-02-10", "")]
        rows += [("CC-5", number, "2020-02-10", "2020-02-12")]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.unchanged, report.refused) == (1, 1, 1)
        assert [(r.line, r.code, r.params["first"]) for r in report.refusals] == [
            (4, "source_id_repeated", 2)
        ]

    def test_a_repeat_of_a_row_that_matched_nobody_is_not_counted_unchanged(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        nobody = make_id_number(birth=date(1990, 1, 1), region="371602", seq=998)
        rows = [self.HEADER, ("CC-6", nobody, "2020-02-10", ""), ("CC-6", nobody, "2020-02-10", "")]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.unchanged, report.unmatched, report.refused) == (0, 1, 1)

    def test_rows_in_different_chunks_are_refused_too(
        self, uow: UnitOfWork, env: Env, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "CHUNK", 2)
        _, number = green_resident(uow, env)
        _, other = green_resident(uow, env)
        rows = [self.HEADER, ("CC-7", number, "2020-02-10", ""), ("CC-8", other, "2020-02-10", "")]
        rows += [("CC-7", number, "2020-02-10", "2020-02-12")]
        report = run_import(uow, env, csv_bytes(rows))
        assert (report.added, report.amended, report.refused) == (2, 0, 1)
        assert [(r.line, r.code) for r in report.refusals] == [(4, "source_id_repeated")]
