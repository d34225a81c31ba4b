"""What an outside probe of the department side found (stop 44), each fixed: imports
and rollbacks missing from the audit log, a file name past what a batch keeps, a
UTF-16 CSV (Excel's "Unicode text") refused as not GBK, a name without an extension
refused as a type left blank, and JSON Lines values of the wrong JSON type read as
text, or a whole JSON array kept as an empty batch."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.domain.records import Department
from healthcode.http.errors import in_words
from healthcode.i18n import set_language, translate
from healthcode.services.records.batches import roll_back_batch
from healthcode.services.records.clients import add_client, client_by_key
from healthcode.services.records.imports import Sender
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.services.records.helpers import colour_of, csv_bytes, green_resident, run_import

HEADER = ("source_id", "id_number", "start")


def logged(uow: UnitOfWork, action: str) -> list[t.AuditEvent]:
    query = select(t.AuditEvent).where(t.AuditEvent.action == action)
    return list(uow.session.scalars(query.order_by(t.AuditEvent.at)))


class TestTheAuditLog:
    def test_an_import_names_its_client_address_kind_and_counts(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        _, number = green_resident(uow, env)
        made = add_client(uow, env, name="binzhou-cdc", department=Department.HEALTH)
        client = client_by_key(uow, key=made.key)
        assert client is not None
        sender = Sender(**{**client.sender.__dict__, "address": "10.0.0.7"})
        rows = [HEADER, ("CC-1", number, "2020-02-22"), ("CC-2", "370000000000000000", "")]
        report = run_import(uow, env, csv_bytes(rows), sender=sender)

        [event] = logged(uow, "records.imported")

        assert (event.actor_id, event.client) == (None, "binzhou-cdc")
        assert event.detail == {
            "batch": str(report.batch_id),
            "department": "health",
            "kind": "close_contact",
            "client": "binzhou-cdc",
            "address": "10.0.0.7",
            "by": "",
            "rows": 2,
            "added": 1,
            "amended": 0,
            "unchanged": 0,
            "refused": 1,
            "unmatched": 0,
        }

    def test_a_command_line_import_and_rollback_name_the_os_user(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        _, number = green_resident(uow, env)
        data = csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])
        report = run_import(uow, env, data, sender=Sender(by="zhang"))
        roll_back_batch(uow, env, None, batch_id=report.batch_id, by="li")

        [imported] = logged(uow, "records.imported")
        [rolled] = logged(uow, "records.rollback")
        assert (imported.detail["by"], imported.detail["added"]) == ("zhang", 1)
        assert (rolled.detail["by"], rolled.detail["batch"]) == ("li", str(report.batch_id))

    def test_a_file_refused_whole_logs_no_import(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(InvalidInput):
            run_import(uow, env, b"[]\n", file_name="contacts.jsonl")
        assert logged(uow, "records.imported") == []


def test_a_file_name_past_255_characters_is_refused_naming_the_file(
    uow: UnitOfWork, env: Env
) -> None:
    """It was cut to 255 characters without a word (and one of 4,500 refused by the
    API as a bare bad request: tests/api/records/test_department_probe.py)."""
    run_import(uow, env, csv_bytes([HEADER]), file_name="名" * 251 + ".csv")
    with pytest.raises(InvalidInput) as refused:
        run_import(uow, env, csv_bytes([HEADER]), file_name="名" * 252 + ".csv")
    [error] = refused.value.errors
    assert (error.field, error.code, error.params) == ("file", "name_too_long", {"max": 255})


class TestUtf16:
    """Excel's "Unicode text" is UTF-16 with its BOM: refused as "not valid GBK text"."""

    @pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
    def test_a_csv_saved_as_utf16_is_read(
        self, uow: UnitOfWork, env: Env, tmp_path: Path, encoding: str
    ) -> None:
        listed, number = green_resident(uow, env)
        path = tmp_path / "密接名单.csv"
        with path.open("w", encoding=encoding, newline="") as out:
            out.write("\ufeff记录编号,身份证号,开始日期,备注\r\n")  # the BOM, as Excel writes it
            out.write(f"CC-1,{number},2020-02-22,发热 咳嗽\r\n")
        data = path.read_bytes()
        bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
        assert data.startswith(bom)

        report = run_import(uow, env, data, file_name=path.name)

        assert (report.added, report.refused) == (1, 0), report.refusals
        assert colour_of(uow, listed) is Colour.RED
        detail = uow.session.scalars(select(t.DataRecord.detail)).one()
        assert detail == "发热 咳嗽"


class TestANameWithoutExtension:
    def test_is_refused_as_such_and_read_in_the_format_given(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """The type was left blank: "未知的文件类型 ：请发送 CSV、XLSX 或 JSON Lines 文件"."""
        _, number = green_resident(uow, env)
        data = csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])
        with pytest.raises(InvalidInput) as refused:
            run_import(uow, env, data, file_name="upload")
        [error] = refused.value.errors
        assert (error.field, error.code, error.params) == (
            "file",
            "no_extension",
            {"name": "upload"},
        )
        set_language("zh")
        assert in_words(refused.value).startswith("文件名“upload”没有扩展名")
        set_language("en")
        assert in_words(refused.value).startswith("The file's name “upload” has no extension")
        set_language("zh")
        assert run_import(uow, env, data, file_name="upload", file_format="csv").added == 1


def jsonl(*lines: object) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


class TestJsonLines:
    @pytest.mark.parametrize(
        "field", ["source_id", "id_number", "start", "end", "region", "setting", "detail"]
    )
    @pytest.mark.parametrize(
        ("value", "shown"), [(["x"], "[…]"), ({"a": 1}, "{…}"), (True, "true")]
    )
    def test_a_value_that_is_not_text_is_refused_as_such(
        self, uow: UnitOfWork, env: Env, field: str, value: Any, shown: str
    ) -> None:
        """ "id_number": ["x"] was read as the text "['x']" and refused as an ID number
        of 5 characters."""
        _, number = green_resident(uow, env)
        good = {"source_id": "CC-1", "id_number": number, "start": "2020-02-22"}
        report = run_import(
            uow, env, jsonl(good, good | {"source_id": "CC-2", field: value}), file_name="c.jsonl"
        )
        assert report.added == 1
        [refusal] = report.refusals
        assert (refusal.line, refusal.field, refusal.code, refusal.params) == (
            2,
            field,
            "not_text",
            {"value": shown},
        )
        set_language("en")
        assert translate(refusal.message, refusal.params) == (
            f"This value must be text (a JSON string, in quotes), not {shown}"
        )
        set_language("zh")
        assert translate(refusal.message, refusal.params).startswith("此项必须是文本")

    def test_a_number_is_read_as_its_digits(self, uow: UnitOfWork, env: Env) -> None:
        _, number = green_resident(uow, env)
        report = run_import(
            uow, env, jsonl({"source_id": 12345, "id_number": number, "start": "2020-02-22"}),
            file_name="c.jsonl",
        )  # fmt: skip
        assert (report.added, report.refused) == (1, 0)

    @pytest.mark.parametrize("name", ["c.jsonl", "c.json"])
    @pytest.mark.parametrize("indent", [None, 2])
    def test_a_json_array_is_refused_whole(
        self, uow: UnitOfWork, env: Env, name: str, indent: int | None
    ) -> None:
        """It was kept as a batch whose only refusal was "line 1 is not a JSON object"."""
        _, number = green_resident(uow, env)
        rows = [{"source_id": "CC-1", "id_number": number, "start": "2020-02-22"}]
        data = ("\ufeff" + json.dumps(rows, indent=indent) + "\n").encode()
        with pytest.raises(InvalidInput) as refused:
            run_import(uow, env, data, file_name=name)
        [error] = refused.value.errors
        assert (error.field, error.code) == ("file", "json_array")
        set_language("en")
        assert "a JSON array, not JSON Lines (one object per line)" in in_words(refused.value)
        set_language("zh")
