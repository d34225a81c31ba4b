"""An employer imports its staff (seed 003 §二 企业复工): every row checked, the good ones
kept, each refused one reported with its line, field and reason; idempotent; scoped."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.services.accounts.permissions import Principal
from healthcode.services.organisations import roster
from healthcode.services.organisations.roster import ImportReport, import_staff, show_roster
from healthcode.services.organisations.roster_files import MAX_BYTES, MAX_ROWS
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.roster import (
    HEADER_EN,
    employer,
    employer_admin,
    region_admin,
    staff_csv,
    staff_id,
    staff_rows,
    staff_xlsx,
    wrong_check_char,
)
from tests.services.conftest import declare, new_account


@pytest.fixture
def company(uow: UnitOfWork, env: Env) -> t.Organisation:
    return employer(uow, env)


@pytest.fixture
def admin(uow: UnitOfWork, env: Env, company: t.Organisation) -> Principal:
    return employer_admin(uow, env, company.id)


def run(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    company: t.Organisation,
    content: bytes,
    name: str = "",
) -> ImportReport:
    return import_staff(uow, env, who, organisation_id=company.id, content=content, filename=name)


def employees(uow: UnitOfWork, company: t.Organisation) -> int:
    query = select(func.count()).where(t.Employee.organisation_id == company.id)
    return uow.session.scalar(query) or 0


def reasons(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(r.line, r.field, r.code) for r in report.refused]


class TestImportStaff:
    def test_good_rows_kept_bad_rows_reported_by_line_and_field(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        good = staff_rows(3)
        twice = good[0]
        rows = [
            *good,
            ("钱伟", wrong_check_char(staff_id(40)), "13812340040", "仓储部"),  # line 5
            ("孙强", staff_id(41), "1381234", "仓储部"),  # line 6: short phone
            ("", staff_id(42), "", ""),  # line 7: no name
            (twice[0], twice[1], "13900000000", "销售部"),  # line 8: in the file twice
        ]
        report = run(uow, env, admin, company, staff_csv(rows))
        assert (report.added, report.updated, report.unchanged) == (3, 0, 0)
        assert reasons(report) == [
            (5, "id_number", "check_char"),
            (6, "phone", "length"),
            (7, "name", "required"),
            (8, "id_number", "duplicate"),
        ]
        assert report.refused[3].params == {"line": 2}
        assert employees(uow, company) == 3
        shown = show_roster(uow, admin, organisation_id=company.id)
        assert shown.total == 3
        assert {m.name for m in shown.staff} == {r[0] for r in good}
        assert all("*" in m.id_masked and m.phone_masked for m in shown.staff)

    def test_a_registered_person_under_another_name_is_refused(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        """Stop 44, an outside probe: an employer typed a stranger's ID number under
        any name, and its board showed the stranger's red code and quarantine end."""
        number = staff_id(50)
        account = new_account(uow, env, "13911113333")
        declare(uow, env, account, id_number=number, name="赵探四")
        rows = [("随便写", number, "", ""), ("赵探四", staff_id(51), "", "")]
        report = run(uow, env, admin, company, staff_csv(rows))
        assert (report.added, reasons(report)) == (1, [(2, "name", "name_mismatch")])
        assert {m.name for m in show_roster(uow, admin, organisation_id=company.id).staff} == {
            "赵探四"
        }  # the other 赵探四, not yet registered, is taken as written
        right = run(uow, env, admin, company, staff_csv([("赵探四", number, "", "")]))
        assert (right.added, right.refused) == (1, ())

    def test_the_same_file_again_changes_nothing(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        content = staff_csv([*staff_rows(4), ("钱伟", "123", "", "")])
        first = run(uow, env, admin, company, content)
        before = {e.id: (e.updated_at, e.import_batch) for e in _rows(uow, company)}
        again = run(uow, env, admin, company, content)
        assert (first.added, first.unchanged, len(first.refused)) == (4, 0, 1)
        assert (again.added, again.updated, again.unchanged, len(again.refused)) == (0, 0, 4, 1)
        assert {e.id: (e.updated_at, e.import_batch) for e in _rows(uow, company)} == before

    def test_a_changed_row_is_updated_and_absent_people_stay(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        rows = staff_rows(3)
        run(uow, env, admin, company, staff_csv(rows))
        moved = (rows[0][0], rows[0][1], rows[0][2], "质检部")
        report = run(uow, env, admin, company, staff_csv([moved, rows[1]]))
        assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
        assert employees(uow, company) == 3
        assert "质检部" in {
            m.department for m in show_roster(uow, admin, organisation_id=company.id).staff
        }

    def test_a_file_without_phones_or_departments_keeps_them(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        """A re-import with names and ID numbers only wiped every stored phone and
        department (a column left out is not a change to empty)."""
        rows = staff_rows(2)
        run(uow, env, admin, company, staff_csv(rows))
        names_only = staff_csv([r[:2] for r in rows], header=("姓名", "身份证号"))
        report = run(uow, env, admin, company, names_only)
        assert (report.added, report.updated, report.unchanged) == (0, 0, 2)
        staff = show_roster(uow, admin, organisation_id=company.id).staff
        assert {(m.phone_masked, m.department) for m in staff} == {
            ("138****0001", "生产部"),
            ("138****0002", "生产部"),
        }

    @pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
    def test_csv_in_chinese_encodings(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation, encoding: str
    ) -> None:
        report = run(uow, env, admin, company, staff_csv(staff_rows(2), encoding=encoding))
        assert (report.added, report.refused) == (2, ())
        names = {m.name for m in show_roster(uow, admin, organisation_id=company.id).staff}
        assert names == {"李敏", "王建国"}

    @pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8"), ("\t", "gbk")])
    def test_a_file_separated_by_semicolons_or_tabs(
        self,
        uow: UnitOfWork,
        env: Env,
        admin: Principal,
        company: t.Organisation,
        delimiter: str,
        encoding: str,
    ) -> None:
        """Excel saves ';' where a comma is the decimal mark, a sheet copied out is
        tab-separated: both were told they lacked the name column."""
        rows = [(n, i, p, "生产部,一车间") for n, i, p, _d in staff_rows(2)]
        content = staff_csv(rows, delimiter=delimiter, encoding=encoding)
        report = run(uow, env, admin, company, content)
        assert (report.added, report.refused) == (2, ())
        staff = show_roster(uow, admin, organisation_id=company.id).staff
        assert {(m.name, m.department) for m in staff} == {
            ("李敏", "生产部,一车间"),
            ("王建国", "生产部,一车间"),
        }

    def test_commas_stay_the_separator_when_cells_hold_semicolons(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        rows = [(n, i, p, "一车间;二车间") for n, i, p, _d in staff_rows(2)]
        assert run(uow, env, admin, company, staff_csv(rows)).added == 2
        staff = show_roster(uow, admin, organisation_id=company.id).staff
        assert {m.department for m in staff} == {"一车间;二车间"}

    def test_a_semicolon_file_missing_a_column_names_that_column(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        content = staff_csv([("李敏", "13812340001")], header=("姓名", "手机号"), delimiter=";")
        with pytest.raises(InvalidInput) as refused:
            run(uow, env, admin, company, content)
        assert "身份证号" in refused.value.errors[0].render()

    def test_a_byte_order_mark_before_gbk_text(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        """A tool that writes a UTF-8 mark before GBK text: read as GBK (it was a 500)."""
        content = b"\xef\xbb\xbf" + staff_csv(staff_rows(2), encoding="gbk")
        assert run(uow, env, admin, company, content).added == 2

    def test_gbk_whose_bytes_are_also_utf8_is_read_as_gbk(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        """An English header and names such as 濮红华 and 岑光华 in GBK make bytes that
        are valid UTF-8 too ("姺컪"): taken for UTF-8, the names were stored garbled."""
        rows = [("濮红华", staff_id(60), "13812340060", ""), ("岑光华", staff_id(61), "", "")]
        content = staff_csv(rows, header=HEADER_EN, encoding="gbk")
        content.decode("utf-8")  # the case: valid UTF-8 as well
        assert run(uow, env, admin, company, content).added == 2
        names = {m.name for m in show_roster(uow, admin, organisation_id=company.id).staff}
        assert names == {"濮红华", "岑光华"}

    def test_utf8_with_latin_names_stays_utf8(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        """José in UTF-8 is also GB18030 ("Jos茅"): an ordinary UTF-8 file is read as it was."""
        rows = [("José García", staff_id(62), "", ""), ("濮红华", staff_id(63), "", "研发部")]
        content = staff_csv(rows, header=HEADER_EN)
        assert run(uow, env, admin, company, content).added == 2
        staff = show_roster(uow, admin, organisation_id=company.id).staff
        assert {(m.name, m.department) for m in staff} == {
            ("José García", ""),
            ("濮红华", "研发部"),
        }

    def test_xlsx_with_english_headers_and_numeric_phones(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        rows = [*staff_rows(2), ("赵丽", wrong_check_char(staff_id(50)), "13812345678", "")]
        content = staff_xlsx(rows, header=HEADER_EN)
        report = run(uow, env, admin, company, content, "员工名单.xlsx")
        assert report.added == 2
        assert reasons(report) == [(4, "id_number", "check_char")]
        phones = {m.phone_masked for m in show_roster(uow, admin, organisation_id=company.id).staff}
        assert phones == {"138****0001", "138****0002"}

    def test_a_missing_column_refuses_the_whole_file_naming_it(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        content = staff_csv(
            [(n, p, d) for n, _i, p, d in staff_rows(2)], header=("姓名", "手机号", "部门")
        )
        with pytest.raises(InvalidInput) as refused:
            run(uow, env, admin, company, content)
        (error,) = refused.value.errors
        assert (error.field, error.code) == ("file", "missing_column")
        assert "身份证号" in error.render()
        assert employees(uow, company) == 0

    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_a_column_named_twice_refuses_the_whole_file_naming_it(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation, kind: str
    ) -> None:
        """A mobile and an office phone (手机号, 电话): the first was read without a
        word, whichever the employer meant. The file is refused naming both headers."""
        header = ("姓名", "身份证号", "手机号", "部门", "电话")
        rows = [(*row, "0543-1234567") for row in staff_rows(2)]
        make = staff_csv if kind == "csv" else staff_xlsx
        with pytest.raises(InvalidInput) as refused:
            run(uow, env, admin, company, make(rows, header=header), f"staff.{kind}")
        (error,) = refused.value.errors
        assert (error.field, error.code) == ("file", "repeated_column")
        assert error.params == {"column": "手机号 (phone)", "headers": "手机号, 电话"}
        assert employees(uow, company) == 0

    def test_too_large_and_too_many_rows_are_refused(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation
    ) -> None:
        with pytest.raises(InvalidInput) as large:
            run(uow, env, admin, company, b"x" * (MAX_BYTES + 1))
        assert large.value.errors[0].code == "too_large"
        many = staff_csv([("李敏", "1", "", "")] * (MAX_ROWS + 1))
        with pytest.raises(InvalidInput) as long:
            run(uow, env, admin, company, many)
        assert long.value.errors[0].code == "too_many_rows"
        assert employees(uow, company) == 0

    @pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage\x81", b"PK\x03\x04broken"])
    def test_an_unreadable_file_is_one_clear_error(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation, content: bytes
    ) -> None:
        with pytest.raises(InvalidInput) as refused:
            run(uow, env, admin, company, content)
        assert refused.value.errors[0].field == "file"

    @pytest.mark.parametrize("content", [b"%PDF-1.7\n%\xe2\xe3", b"\x89PNG\r\n\x1a\n\x00\x00"])
    def test_a_pdf_or_a_photo_is_the_wrong_kind_of_file(
        self, uow: UnitOfWork, env: Env, admin: Principal, company: t.Organisation, content: bytes
    ) -> None:
        """A PDF was told it lacked the name column (found by probing)."""
        with pytest.raises(InvalidInput) as refused:
            run(uow, env, admin, company, content)
        assert [(e.field, e.code) for e in refused.value.errors] == [("file", "wrong_type")]


class TestScope:
    def test_another_employers_admin_is_told_it_does_not_exist(
        self, uow: UnitOfWork, env: Env, company: t.Organisation
    ) -> None:
        other = employer_admin(uow, env, employer(uow, env, name="另一家公司").id)
        with pytest.raises(NotFound):
            run(uow, env, other, company, staff_csv(staff_rows(1)))
        with pytest.raises(NotFound):
            show_roster(uow, other, organisation_id=company.id)
        with pytest.raises(NotFound):
            show_roster(uow, other, organisation_id=uuid.uuid4())

    def test_a_region_admin_covering_it_may_and_one_elsewhere_may_not(
        self, uow: UnitOfWork, env: Env, company: t.Organisation
    ) -> None:
        binzhou = region_admin(uow, env, "371600")
        jinan = region_admin(uow, env, "370100")
        assert run(uow, env, binzhou, company, staff_csv(staff_rows(1))).added == 1
        with pytest.raises(NotFound):
            run(uow, env, jinan, company, staff_csv(staff_rows(1)))

    def test_a_community_is_not_an_employer(self, uow: UnitOfWork, env: Env) -> None:
        from tests.factories.organisations import organisation

        community = organisation(uow, env)
        admin = region_admin(uow, env, "371600")
        with pytest.raises(NotFound):
            roster.show_roster(uow, admin, organisation_id=community.id)


def _rows(uow: UnitOfWork, company: t.Organisation) -> list[t.Employee]:
    query = select(t.Employee).where(t.Employee.organisation_id == company.id)
    return list(uow.session.scalars(query))


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit, for a race; what the test made is deleted after."""
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    with factory.begin() as session:
        session.execute(delete(t.AuditEvent))
        session.execute(delete(t.Account))
        session.execute(delete(t.Employee))
        session.execute(delete(t.Organisation))


def test_two_imports_at_once_add_each_person_once(
    committed: sessionmaker[Session], env: Env
) -> None:
    """The second import waits for the first (the employer's row is locked), then finds
    everyone already there: no duplicate, no error."""
    units = UnitOfWorkFactory(committed)
    with units() as uow:
        company = employer(uow, env)
        admin = employer_admin(uow, env, company.id)
        company_id = company.id
    content = staff_csv(staff_rows(20, start=400))
    reports: list[ImportReport] = []
    start = threading.Barrier(2)

    def one() -> None:
        start.wait()
        with units() as uow:
            reports.append(
                import_staff(uow, env, admin, organisation_id=company_id, content=content)
            )

    racers = [threading.Thread(target=one) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=30)
    assert sorted((r.added, r.unchanged) for r in reports) == [(0, 20), (20, 0)]
    with committed() as session:
        query = select(func.count()).where(t.Employee.organisation_id == company_id)
        assert session.scalar(query) == 20
