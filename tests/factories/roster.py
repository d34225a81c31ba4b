"""Employers, their administrators and staff files (CSV in any encoding, XLSX) for tests."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from collections.abc import Sequence
from datetime import date

import xlsxwriter

from healthcode.domain.scope import region_scope
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.organisations import registry
from healthcode.services.organisations.registry import OrganisationKind
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.identity import make_id_number
from tests.factories.organisations import authorised_issuer, organisation

HEADER_ZH = ("姓名", "身份证号", "手机号", "部门")
HEADER_EN = ("Name", "ID number", "Phone", "Department")
_seq = itertools.count(100)


def staff_id(seq: int | None = None) -> str:
    return make_id_number(birth=date(1988, 5, 17), seq=seq if seq is not None else next(_seq))


def wrong_check_char(id_number: str) -> str:
    """The same number with a wrong last character."""
    return id_number[:17] + ("1" if id_number[17] != "1" else "2")


def employer(
    uow: UnitOfWork, env: Env, *, region: str = "371602", name: str = ""
) -> t.Organisation:
    return organisation(
        uow, env, region=region, kind=OrganisationKind.EMPLOYER, name=name or "渤海示范机械有限公司"
    )


def employer_admin(uow: UnitOfWork, env: Env, organisation_id: uuid.UUID) -> Principal:
    """The employer's own administrator (an active org_admin authorisation)."""
    return authorised_issuer(uow, env, organisation_id, role=Role.ORG_ADMIN)


def region_admin(uow: UnitOfWork, env: Env, region: str, *, username: str = "") -> Principal:
    account = create_staff(
        uow,
        env,
        username=username or f"admin.{next(_seq)}",
        password="correct horse battery",
        display_name="区管理员",
        roles=[(Role.ADMIN, region_scope(region))],
    )
    return principal_of(uow, account_id=account.id)


def set_suspended(
    uow: UnitOfWork, env: Env, organisation_id: uuid.UUID, suspended: bool = True
) -> None:
    """Suspend (or reactivate) an organisation, as its region's administrator would."""
    registry.set_suspended(
        uow,
        env,
        region_admin(uow, env, "371602"),
        organisation_id=organisation_id,
        suspended=suspended,
        reason="整改" if suspended else "",
    )


def staff_rows(count: int = 3, *, start: int = 1) -> list[tuple[str, str, str, str]]:
    names = ("李敏", "王建国", "赵丽", "陈晓东", "刘芳", "周杰")
    return [
        (names[i % len(names)], staff_id(start + i), f"1381234{start + i:04d}", "生产部")
        for i in range(count)
    ]


def staff_csv(
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADER_ZH,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def staff_xlsx(rows: Sequence[Sequence[str]], *, header: Sequence[str] = HEADER_ZH) -> bytes:
    """An XLSX workbook as a spreadsheet would save it: phones typed as numbers."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("员工")
    sheet.write_row(0, 0, list(header))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if c == 2 and value.isdigit():
                sheet.write_number(r, c, int(value))
            else:
                sheet.write_string(r, c, value)
    book.close()
    return out.getvalue()
