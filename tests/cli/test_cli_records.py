"""`healthcode data …` on a real SQLite file: an import, its rollback, department
clients, and an import killed half-way leaving nothing behind."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner, Result

from healthcode.cli import app
from healthcode.cli.shared import operator
from healthcode.demo.population import generate_population, id_number_of
from healthcode.domain.clock import TZ, FixedClock, SystemClock, local
from healthcode.domain.colour import Colour
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.cli.test_cli import START, units_and_env
from tests.factories.inputs import id_number
from tests.services.conftest import declare, new_account

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    monkeypatch.setenv("HEALTHCODE_DATABASE_URL", url)
    monkeypatch.setenv("HEALTHCODE_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("HEALTHCODE_LANG", "en")  # the words these tests read
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return url


def green_resident(url: str) -> tuple[uuid.UUID, str]:
    units, env = units_and_env(url, SystemClock())  # type: ignore[arg-type]
    number = id_number()
    with units() as uow:
        account = new_account(uow, env, "13912345678")
        assert declare(uow, env, account, id_number=number).colour is Colour.GREEN
        assert account.resident_id is not None
        return account.resident_id, number


def colour(url: str, resident_id: uuid.UUID) -> str:
    units, _ = units_and_env(url, SystemClock())  # type: ignore[arg-type]
    with units() as uow:
        code = uow.codes.of_resident(resident_id, "binzhou-code")
        assert code is not None
        return code.colour


def count(url: str, table: type[t.Base]) -> int:
    units, _ = units_and_env(url, SystemClock())  # type: ignore[arg-type]
    with units() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def contacts(path: Path, number: str, extra_rows: int = 0) -> Path:
    today = datetime.now(TZ).date().isoformat()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("source_id,id_number,start\r\n")
        out.write(f"CC-1,{number},{today}\r\n")
        for i in range(extra_rows):  # valid rows naming nobody registered
            out.write(f"CC-X{i},{id_number()},{today}\r\n")
    return path


def import_contacts(folder: Path, number: str) -> Result:
    """``healthcode data import`` of a close-contact file naming ``number``."""
    path = str(contacts(folder / "cc.csv", number))
    return runner.invoke(
        app, ["data", "import", path, "--source", "health", "--kind", "close_contact"]
    )


def test_import_then_rollback(database: str, tmp_path: Path) -> None:
    resident, number = green_resident(database)
    imported = import_contacts(tmp_path, number)
    assert imported.exit_code == 0, imported.output
    assert "1 added, 0 amended" in imported.output
    assert colour(database, resident) == "red"
    batch = imported.output.split()[1].rstrip(":")
    rolled = runner.invoke(app, ["data", "rollback", batch])
    assert rolled.exit_code == 0, rolled.output
    assert colour(database, resident) == "green"
    for action in ("records.imported", "records.rollback"):  # by whom (stop 44)
        assert [(e["batch"], e["by"]) for e in audited(database, action)] == [(batch, operator())]
    again = runner.invoke(app, ["data", "rollback", batch])
    assert again.exit_code == 1
    assert "already been rolled back" in again.output


def test_a_workbooks_later_sheets_are_named_not_dropped(database: str, tmp_path: Path) -> None:
    """Only the first sheet is read: the report named the later ones, the command did
    not say so (stop 43)."""
    import xlsxwriter

    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name in ("名单", "第二批"):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, ("source_id", "id_number", "start"))
        sheet.write_row(1, 0, (f"{name}-1", id_number(), "2020-02-10"))
    book.close()
    args = ["data", "import", str(path), "--source", "health", "--kind", "close_contact"]
    imported = runner.invoke(app, [*args, "--lang", "zh"])
    assert imported.exit_code == 0, imported.output
    assert "未读取的工作表：第二批" in imported.output


def test_import_speaks_the_users_language_and_reports_every_refusal(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It printed English only and the first 100 refused rows, with no word of the
    rest: it speaks Chinese unless told otherwise (--lang, HEALTHCODE_LANG, the
    locale), says how many it left out, and --report writes every one."""
    _, number = green_resident(database)
    path = contacts(tmp_path / "cc.csv", number, extra_rows=150)  # 150 nobody registered
    monkeypatch.delenv("HEALTHCODE_LANG")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    report = tmp_path / "refused.csv"
    command = ["data", "import", str(path), "--source", "health", "--kind", "close_contact"]
    chinese = runner.invoke(app, [*command, "--report", str(report)])
    assert chinese.exit_code == 0, chinese.output
    assert "新增 1" in chinese.output
    assert "第 3 行：身份证号 (id_number)：" in chinese.output
    assert "另有 50 条拒绝原因未列出，全部 150 条已写入" in chinese.output
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "行号,列,原因代码,原因"
    assert len(lines) == 151
    assert lines[-1].startswith("152,身份证号 (id_number),no_resident,")
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    english = runner.invoke(app, command)
    assert "1 unchanged" in english.output
    assert "line 3: 身份证号 (id_number): No resident" in english.output
    assert "50 more refusals not shown: --report FILE writes every one" in english.output
    told = runner.invoke(app, [*command, "--lang", "zh", "--report", str(tmp_path / "r.jsonl")])
    assert "未变 1" in told.output
    first = json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["line"] == 3
    assert (first["column"], first["code"]) == ("id_number", "no_resident")
    assert first["message"].startswith("尚无居民")
    listed = runner.invoke(app, ["data", "batches", "--lang", "zh"]).output
    assert "新增 1，修改 0，拒收 0" in listed
    assert (
        "卫生健康部门/密切接触者  已导入" in listed
    )  # words, not "health/close_contact committed"
    units, _ = units_and_env(database, FixedClock(START))
    with units() as uow:
        started = uow.session.scalars(select(t.ImportBatch.started_at)).all()
    # in Beijing time, as every page shows it (stop 44, an outside probe: UTC)
    assert all(f"{local(at):%Y-%m-%d %H:%M}" in listed for at in started)
    assert "0 batches recoloured" in runner.invoke(app, ["data", "recolour"]).output  # LANG
    recoloured = runner.invoke(app, ["data", "recolour", "--lang", "zh"]).output
    assert "已重新计算 0 个批次的颜色" in recoloured


def test_a_file_refused_whole_is_told_in_the_users_language(database: str, tmp_path: Path) -> None:
    """The refusal itself, too (a repeated column here), and no report is left."""
    path = tmp_path / "cc.csv"
    path.write_text("source_id,id_number,start,身份证号\r\n", encoding="utf-8")
    report = tmp_path / "refused.csv"
    refused = runner.invoke(
        app,
        ["data", "import", str(path), "--source", "health", "--kind", "close_contact",
         "--lang", "zh", "--report", str(report)],
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "第一行多次列出了 身份证号 (id_number) 这一列（id_number, 身份证号）" in refused.output
    assert refused.output.startswith("错误：")
    assert "error" not in refused.output
    assert not report.exists()
    assert not list(tmp_path.glob("refused.csv*"))
    told = runner.invoke(
        app,
        ["data", "import", str(path), "--source", "health", "--kind", "close_contact",
         "--lang", "en"],
    )  # fmt: skip
    assert told.output.startswith("error: "), told.output


def test_a_recolouring_that_fails_leaves_the_import_committed_and_says_so(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import has committed when its recolouring starts: a database error there
    (here SQLite still locked by another writer; a deadlock on PostgreSQL) is a clear
    message and exit code 2, and ``data recolour`` finishes the batch."""
    import healthcode.jobs.recolouring as jobs

    resident, number = green_resident(database)

    def locked(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("UPDATE codes", {}, sqlite3.OperationalError("database is locked"))

    with monkeypatch.context() as patched:
        patched.setattr(jobs, "recolour_batch", locked)
        imported = import_contacts(tmp_path, number)
    assert imported.exit_code == 2, imported.output
    assert "is committed, but recolouring its residents failed" in imported.output
    assert "healthcode data recolour" in imported.output
    assert count(database, t.DataRecord) == 1
    assert colour(database, resident) == "green"
    finished = runner.invoke(app, ["data", "recolour"])
    assert finished.exit_code == 0, finished.output
    assert colour(database, resident) == "red"


def test_a_running_servers_cached_colour_follows_a_command_line_import(
    database: str, tmp_path: Path
) -> None:
    """The server (one worker, no Redis: its cache in its memory) served a colour it
    had cached before the import for as long as it ran; now within a second or two."""
    from fastapi.testclient import TestClient

    from healthcode.app import create_app
    from healthcode.config import Settings
    from healthcode.services.codes import colour_cache
    from healthcode.services.shared.versioned_cache import Ticket
    from tests.services.codes.test_colour_cache_elsewhere import cached_green

    resident, number = green_resident(database)
    server = create_app(Settings(scheduler=False))
    with TestClient(server):
        env = server.state.env
        cached_green(env, resident)
        imported = import_contacts(tmp_path, number)
        assert imported.exit_code == 0, imported.output
        deadline = time.monotonic() + 5
        while not isinstance(colour_cache.get(env, resident, "binzhou-code"), Ticket):
            assert time.monotonic() < deadline, "the server still serves its old copy"
            time.sleep(0.1)
    assert colour(database, resident) == "red"


def test_a_department_client_gets_a_key_once(database: str) -> None:
    made = runner.invoke(
        app,
        ["data", "clients", "add", "binzhou-cdc", "--source", "health", "--kind", "close_contact"],
    )
    assert made.exit_code == 0, made.output
    assert "key (shown once): hcd_" in made.output
    wrong = runner.invoke(
        app,
        ["data", "clients", "add", "binzhou-carrier", "--source", "carrier", "--kind", "confirmed"],
    )
    assert wrong.exit_code == 1
    assert "does not hold confirmed" in wrong.output


def client_key(url: str, key: str) -> uuid.UUID | None:
    """The id of the client holding ``key``, None if it is refused."""
    from healthcode.services.records.clients import client_by_key

    units, _ = units_and_env(url, SystemClock())  # type: ignore[arg-type]
    with units() as uow:
        found = client_by_key(uow, key=key)
        return found.id if found is not None else None


def audited(url: str, action: str) -> list[dict[str, object]]:
    units, _ = units_and_env(url, SystemClock())  # type: ignore[arg-type]
    with units() as uow:
        query = select(t.AuditEvent.detail).where(t.AuditEvent.action == action)
        return list(uow.session.scalars(query.order_by(t.AuditEvent.at)))


def test_a_clients_key_is_rotated_its_name_given_again_and_all_listed(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key could not be replaced, a revoked client's name never given again, and
    no command listed the clients (an outside probe, stop 44). Who ran each command
    is in the audit log: the OS user, else "cli"."""
    monkeypatch.setattr("getpass.getuser", lambda: "zhang")
    add = ["data", "clients", "add", "binzhou-cdc", "--source", "health"]
    made = runner.invoke(app, [*add, "--kind", "close_contact", "--region", "371602"])
    assert made.exit_code == 0, made.output
    old_key = made.output.split("key (shown once): ")[1].strip()
    client = client_key(database, old_key)
    assert client is not None

    rotated = runner.invoke(app, ["data", "clients", "rotate", "binzhou-cdc"])

    assert rotated.exit_code == 0, rotated.output
    assert "client binzhou-cdc: its old key is refused from now on" in rotated.output
    new_key = rotated.output.split("key (shown once): ")[1].strip()
    assert rotated.output.count(new_key) == 1
    assert client_key(database, old_key) is None
    assert client_key(database, new_key) == client  # the same client
    [logged] = audited(database, "records.client_rotated")
    assert (logged["client"], logged["by"]) == ("binzhou-cdc", "zhang")

    def nobody() -> str:
        raise KeyError("getpwuid(): uid not found: 1234")

    monkeypatch.setattr("getpass.getuser", nobody)  # a container's user without a name
    assert runner.invoke(app, ["data", "clients", "revoke", "binzhou-cdc"]).exit_code == 0
    assert audited(database, "records.client_revoked") == [{"client": "binzhou-cdc", "by": "cli"}]
    again = runner.invoke(app, [*add, "--kind", "confirmed"])
    assert again.exit_code == 0, again.output
    assert audited(database, "records.client_added")[1]["by"] == "cli"
    monkeypatch.setattr("getpass.getuser", lambda: "zhang")  # `data lookups` needs a name
    assert runner.invoke(app, ["data", "lookups", "grant", "binzhou-cdc"]).exit_code == 0

    listed = runner.invoke(app, ["data", "clients", "list"])

    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(  # in words, not codes (stop 45, an outside probe)
        "binzhou-cdc  Health commission/Confirmed cases  region: -  key in use  "
        "may look up colours  created "
    )
    assert lines[1].startswith(
        "binzhou-cdc  Health commission/Close contacts  region: 371602  key revoked "
    )
    assert "may not look up colours" in lines[1]
    assert "hcd_" not in listed.output
    chinese = runner.invoke(app, ["data", "clients", "list", "--lang", "zh"]).output
    assert "卫生健康部门/确诊病例  地区：-  密钥有效  可查询健康码颜色  创建于 " in chinese
    refused = runner.invoke(app, ["data", "clients", "rotate", "nobody", "--lang", "zh"])
    assert refused.exit_code == 1
    assert refused.output.startswith("错误：没有名为 nobody 的客户端")


@pytest.fixture
def child_env(database: str) -> dict[str, str]:
    return {**os.environ, "HEALTHCODE_DATABASE_URL": database}


def test_an_import_killed_half_way_leaves_nothing(
    database: str, tmp_path: Path, child_env: dict[str, str]
) -> None:
    resident, number = green_resident(database)
    big = contacts(tmp_path / "big.csv", number, extra_rows=200_000)
    db_file = Path(database.removeprefix("sqlite:///"))
    wal = db_file.with_name(db_file.name + "-wal")
    started = wal.stat().st_size if wal.exists() else 0
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "healthcode",
            "data",
            "import",
            str(big),
            "--source",
            "health",
            "--kind",
            "close_contact",
        ],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if wal.exists() and wal.stat().st_size > started + 256 * 1024:
            break  # it is writing the batch: kill it now
        time.sleep(0.05)
    assert child.poll() is None, "the import finished before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert count(database, t.ImportBatch) == 0
    assert count(database, t.DataRecord) == 0
    assert count(database, t.ImportRefusal) == 0
    assert colour(database, resident) == "green"


def test_a_recolouring_killed_half_way_is_finished_by_data_recolour(
    database: str, tmp_path: Path, child_env: dict[str, str]
) -> None:
    """The batch committed, then the process died while recolouring: the records
    stand, the recolouring stays owed, and `healthcode data recolour` finishes it
    once the dead process's lease has expired."""
    units, env = units_and_env(database, SystemClock())  # type: ignore[arg-type]
    named = 4000
    with units() as uow:
        generate_population(uow, env, residents=named, scans_per_resident=0.0)
    generated = count(database, t.ImportBatch)  # the population's own department records
    today = datetime.now(TZ).date().isoformat()
    listed = tmp_path / "contacts.csv"
    listed.write_text(
        "source_id,id_number,start\r\n"
        + "".join(f"CC-{n},{id_number_of(n)},{today}\r\n" for n in range(named)),
        encoding="utf-8",
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "healthcode", "data", "import", str(listed),
         "--source", "health", "--kind", "close_contact"],
        env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    watch = sqlite3.connect(database.removeprefix("sqlite:///"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        batches, leases = watch.execute(
            "SELECT (SELECT count(*) FROM import_batches), (SELECT count(*) FROM leases)"
        ).fetchone()
        if batches > generated and leases:
            break  # committed, and its recolouring under way (under the batch's lease)
        time.sleep(0.005)
    watch.close()
    assert child.poll() is None, "the import finished before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait()
    with units() as uow:
        batch = uow.session.scalars(select(t.ImportBatch).filter_by(file_name=listed.name)).one()
        assert batch.rows_added == named
        assert batch.recolour_due_at is not None, "the recolouring finished before the kill"
        assert not_red(uow), "every code was red before the kill"

    listed_owed = runner.invoke(app, ["data", "batches"])
    assert f"{batch.id}" in listed_owed.output
    assert "RECOLOURING OWED" in listed_owed.output
    held = runner.invoke(app, ["data", "recolour"])
    assert held.exit_code == 0, held.output
    assert "0 batches recoloured" in held.output
    assert "1 batches held by another run" in held.output
    with units() as uow:  # two minutes later: the dead process's lease has expired
        uow.session.execute(update(t.Lease).values(expires_at=SystemClock().now()))

    done = runner.invoke(app, ["data", "recolour"])
    assert done.exit_code == 0, done.output
    assert "1 batches recoloured" in done.output
    with units() as uow:
        assert not_red(uow) == 0
        owed = select(t.ImportBatch.recolour_due_at).filter_by(id=batch.id)
        assert uow.session.scalar(owed) is None
    assert "RECOLOURING OWED" not in runner.invoke(app, ["data", "batches"]).output


def not_red(uow: UnitOfWork) -> int:
    """Codes of the policy the close contacts are red under that are not red."""
    query = (
        select(func.count())
        .select_from(t.Code)
        .where(t.Code.policy_id == "binzhou-code", t.Code.colour != "red")
    )
    return int(uow.session.scalar(query) or 0)
