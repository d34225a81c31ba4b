"""Staff rosters and staff accounts over HTTP: a multipart import with its per-row report,
applying as staff, and staff accounts made within the caller's scope."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.scope import org_scope
from healthcode.services.accounts import login
from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.authorisations import grant
from healthcode.services.organisations.roster_files import MAX_BYTES
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import (
    PASSWORD,
    CapturingSender,
    bearer,
    error,
    resident_headers,
    staff_headers,
    staff_login,
)
from tests.api.organisations.test_issuer import apply, issuer
from tests.api.organisations.test_issuer_reach import staff_with
from tests.api.pages import HTML, page_token
from tests.factories.inputs import declaration_data
from tests.factories.roster import (
    employer,
    staff_csv,
    staff_id,
    staff_rows,
    staff_xlsx,
    wrong_check_char,
)

ON_ROSTER = staff_id(21)


def _account(
    app: FastAPI, sessions: sessionmaker[Session], username: str, role: Role, org: uuid.UUID
) -> None:
    uow = UnitOfWork(sessions())
    env = app.state.env
    made = login.create_staff(
        uow, env, username=username, password=PASSWORD, display_name="人事 李敏",
        roles=[(role, org_scope(org))],
    )  # fmt: skip
    grant(uow, env, account_id=made.id, organisation_id=org, role=role, name="李敏")
    uow.commit()
    uow.close()


@pytest.fixture
def company(app: FastAPI, sessions: sessionmaker[Session]) -> uuid.UUID:
    """An employer with its administrator ``hr.bohai`` and its issuer ``issuer.bohai``."""
    uow = UnitOfWork(sessions())
    found = employer(uow, app.state.env).id
    uow.commit()
    uow.close()
    _account(app, sessions, "hr.bohai", Role.ORG_ADMIN, found)
    _account(app, sessions, "issuer.bohai", Role.ISSUER, found)
    return found


@pytest.fixture
def hr(client: TestClient, company: uuid.UUID) -> dict[str, str]:
    return staff_headers(client, "hr.bohai")


def upload(
    client: TestClient, company: uuid.UUID, headers: dict[str, str], content: bytes,
    name: str = "staff.csv", **more: Any,
) -> Any:  # fmt: skip
    return client.post(
        f"/api/v1/employers/{company}/roster/imports",
        files={"file": (name, content, "application/octet-stream")},
        headers=headers | more.get("extra", {}),
    )


class TestImport:
    def test_the_report_names_each_refused_row_in_the_callers_language(
        self, client: TestClient, company: uuid.UUID, hr: dict[str, str]
    ) -> None:
        rows = [*staff_rows(2), ("钱伟", wrong_check_char(staff_id(30)), "", "")]
        report = upload(client, company, hr, staff_csv(rows, encoding="gbk"))
        assert report.status_code == 200, report.text
        body = report.json()
        assert (body["added"], body["refused"]) == (2, 1)
        [refusal] = body["refusals"]
        assert (refusal["line"], refusal["field"], refusal["code"]) == (
            4,
            "id_number",
            "check_char",
        )
        assert "最后一位应为" in refusal["message"]
        english = upload(
            client, company, hr, staff_csv(rows), extra={"Accept-Language": "en"}
        ).json()
        assert (english["added"], english["unchanged"]) == (0, 2)
        assert "last character" in english["refusals"][0]["message"].lower()
        roster = client.get(f"/api/v1/employers/{company}/roster", headers=hr).json()
        assert roster["total"] == 2
        assert {m["name"] for m in roster["staff"]} == {"李敏", "王建国"}

    def test_xlsx_upload(self, client: TestClient, company: uuid.UUID, hr: dict[str, str]) -> None:
        body = upload(client, company, hr, staff_xlsx(staff_rows(3)), "名单.xlsx").json()
        assert (body["added"], body["refused"]) == (3, 0)

    def test_a_missing_column_and_a_file_too_large_are_clear_errors(
        self, client: TestClient, company: uuid.UUID, hr: dict[str, str]
    ) -> None:
        missing = upload(client, company, hr, staff_csv([("李敏",)], header=("姓名",)))
        assert missing.status_code == 422
        assert error(missing)["fields"][0]["field"] == "file"
        assert "身份证号" in error(missing)["fields"][0]["message"]
        large = upload(client, company, hr, b"a" * (MAX_BYTES + 10))
        assert large.status_code == 422
        assert error(large)["fields"][0]["code"] == "too_large"
        huge = upload(client, company, hr, b"a" * (2 * MAX_BYTES + 10))
        assert huge.status_code == 413

    def test_out_of_scope_is_404_and_without_the_permission_403(
        self, client: TestClient, company: uuid.UUID, community: uuid.UUID, add_staff: Any
    ) -> None:
        issuer = staff_headers(client, "issuer.bohai")
        assert upload(client, company, issuer, staff_csv(staff_rows(1))).status_code == 403
        add_staff("other.admin", Role.ORG_ADMIN)  # administers the community, not the employer
        other = staff_headers(client, "other.admin")
        assert upload(client, company, other, staff_csv(staff_rows(1))).status_code == 404
        assert client.get(f"/api/v1/employers/{company}/roster", headers=other).status_code == 404
        hr = staff_headers(client, "hr.bohai")
        assert client.get(f"/api/v1/employers/{community}/roster", headers=hr).status_code == 404


class TestRemove:
    def test_off_the_roster_and_board_then_not_found_and_back_by_import(
        self, client: TestClient, company: uuid.UUID, hr: dict[str, str]
    ) -> None:
        content = staff_csv(staff_rows(2))
        upload(client, company, hr, content)
        staff = client.get(f"/api/v1/employers/{company}/roster", headers=hr).json()["staff"]
        gone = staff[0]["id"]
        member = f"/api/v1/employers/{company}/roster/{gone}"
        removed = client.delete(member, headers=hr)
        assert removed.status_code == 204, removed.text
        assert removed.content == b""
        roster = client.get(f"/api/v1/employers/{company}/roster", headers=hr).json()
        assert (roster["total"], [m["id"] for m in roster["staff"]]) == (1, [staff[1]["id"]])
        board = client.get(f"/api/v1/employers/{company}/board", headers=hr).json()
        assert gone not in {r["employee_id"] for r in board["rows"]}
        assert board["counts"]["total"] == 1
        again = client.delete(member, headers=hr)
        assert again.status_code == 404  # as a venue's operator removed twice
        unknown = client.delete(f"/api/v1/employers/{company}/roster/{uuid.uuid4()}", headers=hr)
        assert unknown.status_code == 404
        assert upload(client, company, hr, content).json()["added"] == 1
        back = client.get(f"/api/v1/employers/{company}/roster", headers=hr).json()
        assert gone in {m["id"] for m in back["staff"]}

    def test_out_of_scope_is_404_and_without_the_permission_403(
        self, client: TestClient, company: uuid.UUID, hr: dict[str, str], add_staff: Any
    ) -> None:
        upload(client, company, hr, staff_csv(staff_rows(1)))
        staff = client.get(f"/api/v1/employers/{company}/roster", headers=hr).json()["staff"]
        member = f"/api/v1/employers/{company}/roster/{staff[0]['id']}"
        issuer = staff_headers(client, "issuer.bohai")
        assert client.delete(member, headers=issuer).status_code == 403
        add_staff("other.admin", Role.ORG_ADMIN)  # administers the community, not the employer
        other = staff_headers(client, "other.admin")
        assert client.delete(member, headers=other).status_code == 404
        assert client.get(f"/api/v1/employers/{company}/roster", headers=hr).json()["total"] == 1


class TestApplyAsStaff:
    def test_routed_to_the_employer_and_refused_off_the_roster(
        self, client: TestClient, sms: CapturingSender, company: uuid.UUID, hr: dict[str, str],
        app: FastAPI, sessions: sessionmaker[Session],
    ) -> None:  # fmt: skip
        upload(client, company, hr, staff_csv([("张三", ON_ROSTER, "", "生产部")]))
        uow = UnitOfWork(sessions())
        code = uow.organisations.by_id(company)
        assert code is not None
        credit_code = code.credit_code
        uow.close()
        me = resident_headers(client, sms)
        data = declaration_data("shandong-pass", employer_code=credit_code)
        refused = client.post("/api/v1/declarations", json=data, headers=me)
        assert refused.status_code == 422
        assert error(refused)["fields"][0]["field"] == "employer_code"
        data["id_number"] = ON_ROSTER
        submitted = client.post("/api/v1/declarations", json=data, headers=me)
        assert submitted.status_code == 201, submitted.text
        client.post(f"/api/v1/declarations/{submitted.json()['id']}/confirm", headers=me)
        issuer = staff_headers(client, "issuer.bohai")
        assert client.get("/api/v1/applications", headers=issuer).json()["total"] == 1


class TestStaffAccounts:
    def test_create_within_scope_and_refused_beyond(
        self, client: TestClient, company: uuid.UUID, hr: dict[str, str]
    ) -> None:
        scope = org_scope(company)
        body = {"username": "issuer.b2", "password": PASSWORD, "display_name": "王芳"}
        made = client.post(
            "/api/v1/staff-accounts", json=body | {"roles": [{"role": "issuer", "scope": scope}]},
            headers=hr,
        )  # fmt: skip
        assert made.status_code == 201, made.text
        assert made.json()["roles"] == [{"role": "issuer", "scope": scope}]
        admin = body | {"username": "admin.b", "roles": [{"role": "admin", "scope": ""}]}
        refused = client.post("/api/v1/staff-accounts", json=admin, headers=hr)
        assert refused.status_code == 403
        assert error(refused)["code"] == "grant_refused"
        assert error(refused)["message"] == "您不能在此范围内授予“管理员”角色"  # not "admin"
        english = client.post(
            "/api/v1/staff-accounts", json=admin, headers=hr | {"accept-language": "en"}
        )
        assert error(english)["message"] == "You cannot give the role Administrator in this scope"
        listed = client.get("/api/v1/staff-accounts", headers=hr).json()
        assert {a["username"] for a in listed} == {"hr.bohai", "issuer.bohai", "issuer.b2"}

    def test_deactivated_staff_cannot_sign_in_and_stay_listed(
        self, client: TestClient, company: uuid.UUID, hr: dict[str, str]
    ) -> None:
        listed = client.get("/api/v1/staff-accounts", headers=hr).json()
        issuer = next(a for a in listed if a["username"] == "issuer.bohai")
        token = staff_login(client, "issuer.bohai").json()["token"]
        done = client.post(
            f"/api/v1/staff-accounts/{issuer['id']}/deactivation",
            json={"reason": "调离岗位"},
            headers=hr,
        )
        assert done.status_code == 200, done.text
        assert done.json()["active"] is False
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
        again = staff_login(client, "issuer.bohai")
        assert again.status_code == 403
        assert error(again)["code"] == "account_disabled"
        shown = client.get(f"/api/v1/staff-accounts/{issuer['id']}", headers=hr).json()
        assert shown["disabled_at"] is not None
        assert shown["roles"] == issuer["roles"]

    def test_a_deactivated_account_refuses_new_roles_until_reactivated(
        self, client: TestClient, company: uuid.UUID, hr: dict[str, str]
    ) -> None:
        """Roles given to a deactivated account answered 200 and served nobody; and no
        endpoint gave the account back."""
        listed = client.get("/api/v1/staff-accounts", headers=hr).json()
        issuer = next(a for a in listed if a["username"] == "issuer.bohai")
        old = staff_login(client, "issuer.bohai").json()["token"]
        url = f"/api/v1/staff-accounts/{issuer['id']}"
        client.post(f"{url}/deactivation", json={"reason": "误停用"}, headers=hr)
        more = {"add": [{"role": "org_admin", "scope": org_scope(company)}]}
        refused = client.post(f"{url}/roles", json=more, headers=hr)
        assert refused.status_code == 409, refused.text
        assert error(refused)["code"] == "account_deactivated"
        assert error(refused)["message"] == "该账号已停用：请先重新启用，再授予角色"
        english = client.post(f"{url}/roles", json=more, headers=hr | {"accept-language": "en"})
        assert "reactivate it first" in error(english)["message"]
        back = client.post(f"{url}/reactivation", json={"reason": "停错了人"}, headers=hr)
        assert back.status_code == 200, back.text
        assert back.json()["active"] is True
        assert back.json()["disabled_at"] is None
        assert back.json()["roles"] == issuer["roles"]
        assert client.get("/api/v1/me", headers=bearer(old)).status_code == 401  # stays ended
        assert staff_login(client, "issuer.bohai").status_code == 200
        twice = client.post(f"{url}/reactivation", json={"reason": "再次"}, headers=hr)
        assert twice.status_code == 409
        assert error(twice)["code"] == "account_active"
        assert client.post(f"{url}/roles", json=more, headers=hr).status_code == 200

    def test_reactivation_out_of_scope_is_404_and_without_the_permission_403(
        self, client: TestClient, company: uuid.UUID, hr: dict[str, str], add_staff: Any,
        app: FastAPI, sessions: sessionmaker[Session],
    ) -> None:  # fmt: skip
        listed = client.get("/api/v1/staff-accounts", headers=hr).json()
        issuer = next(a for a in listed if a["username"] == "issuer.bohai")
        url = f"/api/v1/staff-accounts/{issuer['id']}"
        client.post(f"{url}/deactivation", json={"reason": "离职"}, headers=hr)
        add_staff("other.admin", Role.ORG_ADMIN)  # administers the community, not the employer
        other = staff_headers(client, "other.admin")
        hidden = client.post(f"{url}/reactivation", json={"reason": "x"}, headers=other)
        assert hidden.status_code == 404
        _account(app, sessions, "issuer.plain", Role.ISSUER, company)
        plain = staff_headers(client, "issuer.plain")
        mine = client.post(f"{url}/reactivation", json={"reason": "x"}, headers=plain)
        assert mine.status_code == 403
        empty = client.post(f"{url}/reactivation", json={"reason": " "}, headers=hr)
        assert empty.status_code == 422
        assert error(empty)["code"] == "invalid_input"

    def test_its_last_role_taken_away_it_stays_listed_and_is_given_back(
        self, client: TestClient, company: uuid.UUID, hr: dict[str, str], add_staff: Any
    ) -> None:
        """It vanished from the employer's list: only a deployment administrator could
        still see it and reactivate it."""
        grant = {"role": "issuer", "scope": org_scope(company)}
        listed = client.get("/api/v1/staff-accounts", headers=hr).json()
        url = "/api/v1/staff-accounts/" + next(
            a["id"] for a in listed if a["username"] == "issuer.bohai"
        )
        taken = client.post(f"{url}/roles", json={"remove": [grant]}, headers=hr)
        assert taken.status_code == 200, taken.text
        assert taken.json() | {"disabled_at": "…"} == taken.json() | {
            "active": False, "roles": [], "former_roles": [grant], "disabled_reason": "",
            "disabled_at": "…",
        }  # fmt: skip
        listed = client.get("/api/v1/staff-accounts", headers=hr).json()
        [seen] = [a for a in listed if a["username"] == "issuer.bohai"]
        assert (seen["active"], seen["former_roles"]) == (False, [grant])
        add_staff("other.admin", Role.ORG_ADMIN)
        other = staff_headers(client, "other.admin")
        assert client.get(url, headers=other).status_code == 404
        hidden = client.post(f"{url}/reactivation", json={"reason": "误收回"}, headers=other)
        assert hidden.status_code == 404
        back = client.post(f"{url}/reactivation", json={"reason": "凌晨误收回"}, headers=hr)
        assert back.status_code == 200, back.text
        assert (back.json()["roles"], back.json()["former_roles"]) == ([grant], [])
        assert staff_login(client, "issuer.bohai").status_code == 200
        off = client.post(f"{url}/deactivation", json={"reason": "调离岗位"}, headers=hr)
        assert off.json()["disabled_reason"] == "调离岗位"


SCOPE_REFUSAL = {
    "zh": "“签发人员（签发通行卡）”须授权到具体单位（社区、村或企业），"
    "不能授权到地区或全域：请选择单位",
    "en": "Issuer (signs passes) is given for one organisation (a community, village or "
    "employer), not a region or everywhere: choose the organisation",
}


class TestOrganisationScope:
    """An issuer given for a region or everywhere reached no application: it was
    granted, and its queue stayed empty with nobody knowing why."""

    def test_refused_as_a_field_error_when_made_or_given_and_an_organisation_is_fine(
        self, client: TestClient, app: FastAPI, sessions: sessionmaker[Session],
        community: uuid.UUID,
    ) -> None:  # fmt: skip
        staff_with(app, sessions, "admin.county", Role.ADMIN, "region:371602")
        admin = staff_headers(client, "admin.county")
        body = {"username": "issuer.c1", "password": PASSWORD, "display_name": "王芳"}
        for scope in ("region:371602", ""):
            grants = {"roles": [{"role": "issuer", "scope": scope}]}
            for language, words in SCOPE_REFUSAL.items():
                refused = client.post(
                    "/api/v1/staff-accounts", json=body | grants,
                    headers=admin | {"accept-language": language},
                )  # fmt: skip
                assert refused.status_code == 422, refused.text
                [field] = error(refused)["fields"]
                assert (field["field"], field["code"]) == ("scope", "organisation_scope_required")
                assert field["message"] == words
        grants = {"roles": [{"role": "issuer", "scope": org_scope(community)}]}
        made = client.post("/api/v1/staff-accounts", json=body | grants, headers=admin)
        assert made.status_code == 201, made.text
        assert made.json()["reaching_nothing"] == []
        more = {"add": [{"role": "employer_admin", "scope": "region:371602"}]}
        url = f"/api/v1/staff-accounts/{made.json()['id']}/roles"
        refused = client.post(url, json=more, headers=admin)
        assert refused.status_code == 422, refused.text
        assert error(refused)["fields"][0]["code"] == "organisation_scope_required"

    def test_one_made_before_is_listed_as_reaching_nothing_and_why(
        self, client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
    ) -> None:
        staff_with(app, sessions, "admin.county", Role.ADMIN, "region:371602")
        staff_with(app, sessions, "issuer.county", Role.ISSUER, "region:371602")
        admin = staff_headers(client, "admin.county")
        listed = client.get("/api/v1/staff-accounts", headers=admin).json()
        [old] = [a for a in listed if a["username"] == "issuer.county"]
        assert old["roles"] == [{"role": "issuer", "scope": "region:371602"}]  # kept
        [warning] = old["reaching_nothing"]
        assert warning | {"message": "…"} == {
            "role": "issuer", "scope": "region:371602", "code": "organisation_scope_required",
            "message": "…",
        }  # fmt: skip
        assert "签发人员须授权到具体单位" in warning["message"]
        assert "重新授予" in warning["message"]  # what to do
        [admin_row] = [a for a in listed if a["username"] == "admin.county"]
        assert admin_row["reaching_nothing"] == []

    def test_the_pages_offer_the_community_refuse_the_region_and_mark_one_made_before(
        self, client: TestClient, app: FastAPI, sessions: sessionmaker[Session],
        community: uuid.UUID,
    ) -> None:  # fmt: skip
        """The form offered the region and the employers, never the community: an
        issuer for the community could not be made there, one for the region could."""
        staff_with(app, sessions, "admin.county", Role.ADMIN, "region:371602")
        staff_with(app, sessions, "issuer.county", Role.ISSUER, "region:371602")
        token = page_token(client, "/staff/login")
        client.post(
            "/staff/login",
            data={"username": "admin.county", "password": PASSWORD, "csrf_token": token},
            headers=HTML,
        )
        form = client.get("/staff/accounts/new", headers=HTML)
        token = page_token(client, "/staff/accounts/new")
        assert f'<option value="{org_scope(community)}" data-organisation' in form.text
        assert '<option value="region:371602">' in form.text  # for the roles it suits
        typed = {"display_name": "王芳", "username": "issuer.c2", "password": PASSWORD}
        refused = client.post(
            "/staff/accounts/new",
            data=typed | {"role": "issuer", "scope": "region:371602", "csrf_token": token},
            headers=HTML,
        )
        assert refused.status_code == 422
        assert 'id="scope-error"' in refused.text
        assert "须授权到具体单位（社区、村或企业）" in refused.text
        assert 'aria-describedby="scope-hint scope-error"' in refused.text
        made = client.post(
            "/staff/accounts/new",
            data=typed | {"role": "issuer", "scope": org_scope(community), "csrf_token": token},
            headers=HTML,
            follow_redirects=False,
        )
        assert made.status_code == 303, made.text[:500]
        listed = client.get("/staff/accounts", headers=HTML).text
        assert listed.count("不能处理任何通行卡申请") == 1  # the old one, not the new
        old = listed.index("issuer.county")
        assert listed.index("不能处理任何通行卡申请", old) < listed.index("</li>", old)


class TestAnEmployersIssuer:
    """A community's administrator made ``ea.huanghe`` an employer's issuer of the
    community: it read the 37 applications of its queue with names and addresses,
    printed paper passes and entered daily reports, signing alone refused (an outside
    probe, stop 43)."""

    def test_is_refused_for_a_community_and_one_made_before_reads_nothing(
        self, client: TestClient, app: FastAPI, sessions: sessionmaker[Session],
        sms: CapturingSender, add_staff: Any, community: uuid.UUID,
    ) -> None:  # fmt: skip
        apply(client, sms)
        [item] = client.get("/api/v1/applications", headers=issuer(client, add_staff)).json()[
            "items"
        ]
        _account(app, sessions, "orgadmin.huanghe", Role.ORG_ADMIN, community)
        admin = staff_headers(client, "orgadmin.huanghe")
        body = {"username": "ea.huanghe", "password": PASSWORD, "display_name": "王芳"}
        grants = {"roles": [{"role": "employer_admin", "scope": org_scope(community)}]}
        refused = client.post("/api/v1/staff-accounts", json=body | grants, headers=admin)
        assert refused.status_code == 422, refused.text
        [field] = error(refused)["fields"]
        assert (field["field"], field["code"]) == ("scope", "employer_required")
        assert field["message"] == (
            "“单位签发人员”只能授权到企业；社区或村请授予“签发人员（签发通行卡）”角色"
        )

        staff_with(app, sessions, "ea.old", Role.EMPLOYER_ADMIN, org_scope(community))
        old = staff_headers(client, "ea.old")
        queue = client.get("/api/v1/applications", headers=old).json()
        assert (queue["total"], queue["items"], queue["summary"]["organisations"]) == (0, [], [])
        for answer in (
            client.get(f"/api/v1/applications/{item['id']}", headers=old),
            client.post(f"/api/v1/applications/{item['id']}/paper-passes", headers=old),
        ):
            assert (answer.status_code, error(answer)["code"]) == (403, "not_authorised_to_sign")
