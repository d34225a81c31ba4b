"""Every staff route, walked with a principal of the wrong scope (issue 10 item 1).

The walker enumerates ``app.routes`` (the JSON API and the pages) and picks every
route that declares a staff permission through ``require(...)``
(``http/security.permissions_of``). It calls each with an officer who holds every
staff role, but only for another community (``org:<B>``) and another prefecture
(``region:370102``), with the ids of real objects of community A in the path, and
asserts "not found" — for a route without ids, that nothing of A's shows (an empty
list, zero counts). The same ids, for an officer of A, must not be "not found", so
the ids are realistic.

A route whose path parameter is not in ``PATH_VALUES`` fails the test by name: a
new staff route is walked as soon as it exists, and one with a new kind of id must be
given a realistic id here (in A's scope) before the suite passes.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI, params
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.colour import Colour
from healthcode.domain.fraud import Cause
from healthcode.domain.records import Department, ImportKind
from healthcode.http.security import SESSION_COOKIE, permissions_of
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.permissions import STAFF_ROLES, Permission, Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.appeals.appeals import submit_appeal
from healthcode.services.fraud.cases import case_for
from healthcode.services.organisations.authorisations import grant
from healthcode.services.organisations.calls import start_call
from healthcode.services.organisations.overrides import decide_override, propose_override
from healthcode.services.organisations.registry import OrganisationKind
from healthcode.services.organisations.roster import enrol
from healthcode.services.records.imports import Sender, import_records
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import PASSWORD, CapturingSender, declare, resident_headers, staff_login
from tests.api.pages import HTML
from tests.factories.inputs import declaration_data
from tests.factories.organisations import organisation
from tests.factories.roster import region_admin, staff_id
from tests.factories.scanning import venue

WRONG_REGION = "370102"  # Jinan: not where community A is (371602)


@dataclass
class World:
    """Objects of community A, and its name and people (what must never leak)."""

    ids: dict[str, str]
    secrets: tuple[str, ...]


# How to fill each path parameter, by name: a realistic id of an object in A's scope.
# Other helpers' routes (call_id, video_id, notification_id, ...) add theirs here.
PATH_VALUES: dict[str, Callable[[World], str]] = {
    "application_id": lambda w: w.ids["application"],
    "declaration_id": lambda w: w.ids["application"],
    "organisation_id": lambda w: w.ids["organisation"],
    "authorisation_id": lambda w: w.ids["authorisation"],
    "employer_id": lambda w: w.ids["employer"],
    "employee_id": lambda w: w.ids["employee"],  # on the employer's roster
    "account_id": lambda w: w.ids["issuer_account"],
    "decision": lambda _w: "suspend",
    "override_id": lambda w: w.ids["override"],
    "call_id": lambda w: w.ids["call"],
    "venue_id": lambda w: w.ids["venue"],
    "scan_id": lambda w: w.ids["scan"],
    "paper_pass_id": lambda w: w.ids["paper_pass"],
    "batch_id": lambda w: w.ids["batch"],
    "appeal_id": lambda w: w.ids["appeal"],
    "resident_id": lambda w: w.ids["resident"],  # tracing: a case is a resident
    "case_id": lambda w: w.ids["fraud_case"],
}
# Request bodies for writes whose input model gives no examples, by "METHOD path".
# "@resident" stands for A's applicant.
BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/counter-applications": {},
    "POST /api/v1/employers/{organisation_id}/roster/imports": {},
    "POST /api/v1/employers/{organisation_id}/checkins": {"entries": []},
    "POST /api/v1/overrides/{override_id}/decision": {"approve": True, "note": "核实无误"},
    "POST /api/v1/staff/appeals/{appeal_id}/decision": {
        "uphold": True,
        "note": "核查无误撤销该记录",
    },
    "POST /api/v1/staff/fraud-cases/{case_id}/decision": {"approve": True},
    "POST /api/v1/overrides": {
        "resident_id": "@resident",
        "policy": "shandong-pass",
        "colour": "red",
        "reason": "核酸检测阳性，等待疾控中心数据导入",
    },
}
# Writes whose body is refused (422, naming no data) before the scope is looked at.
REFUSED_FIRST = {
    "POST /api/v1/employers/{organisation_id}/roster/imports": "a multipart upload, sent none",
    "POST /staff/employers/{organisation_id}/roster": "a multipart upload, sent none",
    "POST /staff/calls/{call_id}/reading": "a form without its reading",
    "POST /staff/overrides/{override_id}/decision": "a form without its decision",
}
# Reads that are 404 in A's scope too, for a reason of their own.
ABSENT_IN_A = {
    "GET /api/v1/applications/{application_id}/video": "the applicant sent no video",
    "GET /api/v1/employers/{organisation_id}/roster": "only the employer's own or the region's",
    "GET /staff/employers/{organisation_id}/roster": "only the employer's own or the region's",
    "GET /staff/employers/{organisation_id}/roster/{employee_id}/remove": "as its roster",
    "GET /api/v1/records/imports/{batch_id}": "imports are kept by region; A's staff hold org:",
    "GET /staff/records/imports/{batch_id}": "imports are kept by region; A's staff hold org:",
    "GET /api/v1/records/imports/{batch_id}/refused.csv": "as the import it belongs to",
    "GET /staff/records/imports/{batch_id}/refused.csv": "as the import it belongs to",
    "GET /staff/appeals/{appeal_id}/evidence": "the resident sent no evidence",
    "GET /api/v1/records/tracing/{resident_id}": "tracing is by region; A's staff hold org:",
    "POST /api/v1/records/tracing/{resident_id}/records": "tracing is by region; A holds org:",
    "GET /staff/records/tracing/{resident_id}": "tracing is by region; A's staff hold org:",
    "POST /staff/records/tracing/{resident_id}": "tracing is by region; A's staff hold org:",
}


@dataclass(frozen=True)
class StaffRoute:
    method: str
    path: str
    route: APIRoute

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)

    @property
    def files(self) -> dict[str, tuple[str, bytes, str]]:
        """The files a route that takes one is sent (a form with its file; JSON there is
        refused as the wrong media type before anything is looked up)."""
        return {
            field.alias: ("名单.csv", "姓名,身份证号\r\n".encode(), "text/csv")
            for field in self.route.dependant.body_params
            if isinstance(field.field_info, params.File)
        }

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def staff_routes(app: FastAPI) -> list[StaffRoute]:
    found = []
    for path, route in _flat(app.routes):
        if isinstance(route, APIRoute) and _needs_permission(route.dependant):
            found += [
                StaffRoute(m, path, route) for m in sorted(route.methods or ()) if m != "HEAD"
            ]
    return found


def _flat(routes: Any) -> Iterator[tuple[str, Any]]:
    """Every route with its full path; FastAPI keeps included routers lazily (each
    ``include_router`` is one entry whose ``effective_candidates`` are its routes)."""
    for route in routes:
        if hasattr(route, "effective_candidates"):
            for candidate in route.effective_candidates():
                if hasattr(candidate, "effective_candidates"):
                    yield from _flat([candidate])
                else:
                    yield candidate.path, candidate.original_route
        else:
            yield getattr(route, "path", ""), route


def _needs_permission(dependant: Any) -> bool:
    return any(permissions_of(d.call) or _needs_permission(d) for d in dependant.dependencies)


def example_body(route: StaffRoute) -> dict[str, Any] | None:
    """The JSON body a write sends: from BODIES, else its model's examples and defaults."""
    key = str(route)
    if key in BODIES:
        return BODIES[key]
    field = route.route.body_field
    if field is None:
        return None
    model = field.field_info.annotation
    assert isinstance(model, type), key
    assert issubclass(model, BaseModel), key
    body: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.examples:
            body[name] = info.examples[0]
        elif info.default is PydanticUndefined and info.default_factory is None:
            if not route.params:  # creates in the caller's own scope: a 422 leaks nothing
                return {}
            pytest.fail(f"{key}: give {model.__name__}.{name} examples= or add a BODIES entry")
    loaded: dict[str, Any] = json.loads(json.dumps(body, default=str))
    return loaded


@pytest.fixture
def world(
    client: TestClient,
    sms: CapturingSender,
    app: FastAPI,
    sessions: sessionmaker[Session],
    community: uuid.UUID,
) -> World:
    code = declare(client, resident_headers(client, sms), declaration_data("shandong-pass"))
    application = code["application_id"]
    assert application
    env: Env = app.state.env
    uow = UnitOfWork(sessions())
    ids = {"organisation": str(community), "application": str(application)}
    issuer = _staff(uow, env, "walker.a.issuer", [(Role.ISSUER, f"org:{community}")])
    row = grant(
        uow, env, account_id=issuer, organisation_id=community, role=Role.ISSUER, name="李娜"
    )
    ids |= {"authorisation": str(row.id), "issuer_account": str(issuer)}
    who = principal_of(uow, account_id=issuer)
    declaration = uow.declarations.by_id(uuid.UUID(application))
    assert declaration is not None
    assert declaration.resident_id is not None
    # the appealed colour is decided first: one proposal per code is open at a time
    ids["appeal"] = str(_appeal(uow, env, community, declaration.resident_id))
    proposal = propose_override(
        uow,
        env,
        who,
        resident_id=declaration.resident_id,
        policy_id="shandong-pass",
        colour=Colour.RED,
        reason="核酸检测阳性，等待疾控中心数据导入",
    )
    call = start_call(uow, env, who, application_id=declaration.id)
    ids |= {"override": str(proposal.id), "call": str(call.id)}
    ids["paper_pass"] = str(_paper_pass(uow, env, declaration, issuer))
    ids["batch"] = str(_import_batch(uow, env))
    ids["resident"] = str(declaration.resident_id)
    employer = organisation(uow, env, kind=OrganisationKind.EMPLOYER, parent_id=community)
    ids["employer"] = str(employer.id)
    ids["employee"] = str(_employee(uow, env, employer.id))
    ids["venue"] = str(venue(uow, env, region_admin(uow, env, "371602"), community).id)
    ids["scan"] = str(_scan(uow, env, uuid.UUID(ids["venue"]), declaration.resident_id))
    ids["fraud_case"] = str(case_for(uow, env, declaration.resident_id, Cause.DISTANT_VENUES).id)
    found = uow.organisations.by_id(community)
    assert found is not None
    other = organisation(uow, env, name="别的社区居民委员会").id
    _staff(
        uow,
        env,
        "walker.outsider",
        [(r, f"org:{other}") for r in STAFF_ROLES]
        + [(r, f"region:{WRONG_REGION}") for r in STAFF_ROLES],
    )
    _staff(uow, env, "walker.insider", [(r, f"org:{community}") for r in STAFF_ROLES])
    uow.commit()
    uow.close()
    return World(ids, (*ids.values(), found.name, found.credit_code, "张三", "李娜"))


def _scan(uow: UnitOfWork, env: Env, venue_id: uuid.UUID, resident_id: uuid.UUID) -> uuid.UUID:
    """A scan of A's resident at A's venue, as an operator recorded it."""
    row = t.Scan(
        venue_id=venue_id,
        lane="camera",
        scanned_at=env.clock.now(),
        recorded_at=env.clock.now(),
        colour="green",
        policy_id="binzhou-code",
        masked_name="张*",
        resident_id=resident_id,
        flags=[],
    )
    uow.add(row)
    uow.flush()
    return row.id


def _appeal(uow: UnitOfWork, env: Env, community: uuid.UUID, resident_id: uuid.UUID) -> uuid.UUID:
    """An appeal of a manual colour approved in community A (decided in A's scope)."""
    proposer = _staff(uow, env, "walker.a.proposer", [(Role.ISSUER, f"org:{community}")])
    approver = _staff(uow, env, "walker.a.approver", [(Role.ISSUER, f"org:{community}")])
    painted = propose_override(
        uow,
        env,
        principal_of(uow, account_id=proposer),
        resident_id=resident_id,
        policy_id="shandong-pass",
        colour=Colour.YELLOW,
        reason="体温视频无法看清读数，暂赋黄码",
    )
    decide_override(
        uow, env, principal_of(uow, account_id=approver), override_id=painted.id, approve=True
    )
    made = submit_appeal(
        uow,
        env,
        resident_id=resident_id,
        policy_id="shandong-pass",
        override_id=painted.id,
        reason="我的体温正常，视频里体温计读数清楚，请复核",
    )
    return made.id


def _employee(uow: UnitOfWork, env: Env, employer_id: uuid.UUID) -> uuid.UUID:
    """A person on the roster of A's employer."""
    enrol(uow, env, organisation_id=employer_id, name="王强", id_number=staff_id())
    (row,) = uow.employees.of(employer_id, limit=1)[1]
    return row.id


def _import_batch(uow: UnitOfWork, env: Env) -> uuid.UUID:
    """A committed import of community A's region (371602)."""
    batch = import_records(
        uow,
        env,
        sender=Sender(region="371602"),
        department=Department.HEALTH,
        kind=ImportKind.CLOSE_CONTACT,
        stream=io.BytesIO(b"source_id,id_number,start\r\n"),
        file_name="walker.csv",
    )
    return batch.batch_id


def _filled(body: dict[str, Any] | None, world: World) -> dict[str, Any] | None:
    if body is None:
        return None
    return {k: world.ids["resident"] if v == "@resident" else v for k, v in body.items()}


def _paper_pass(
    uow: UnitOfWork, env: Env, application: t.Declaration, issuer: uuid.UUID
) -> uuid.UUID:
    """A paper pass of A's application (as if printed; the walker needs only its id)."""
    assert application.resident_id is not None
    row = t.PaperPass(
        id=uuid.uuid4(),
        token_id=secrets.token_bytes(16),
        application_id=application.id,
        resident_id=application.resident_id,
        policy_id="shandong-pass",
        colour="green",
        valid_until=env.clock.now() + timedelta(days=5),
        issued_by=issuer,
        issued_at=env.clock.now(),
        organisation_id=application.organisation_id,
    )
    uow.add(row)
    uow.flush()
    return row.id


def _staff(uow: UnitOfWork, env: Env, username: str, roles: list[tuple[Role, str]]) -> uuid.UUID:
    made = accounts.create_staff(
        uow, env, username=username, password=PASSWORD, display_name="走查", roles=roles
    )
    return made.id


class Caller:
    def __init__(self, client: TestClient, username: str) -> None:
        response = staff_login(client, username)
        assert response.status_code == 200, response.text
        self.client, self.token = client, response.json()["token"]

    @staticmethod
    def path(route: StaffRoute, world: World) -> str:
        path = route.path
        for name in route.params:
            value = PATH_VALUES[name](world)
            if name == "organisation_id" and "/employers/" in path:  # a roster's employer
                value = world.ids["employer"]
            path = re.sub(r"{" + name + r"(?::\w+)?}", value, path)
        return path

    def call(self, route: StaffRoute, world: World) -> Any:
        path = self.path(route, world)
        if path.startswith("/api/"):
            bearer = {"Authorization": f"Bearer {self.token}"}
            if route.files:
                return self.client.request(route.method, path, headers=bearer, files=route.files)
            return self.client.request(
                route.method,
                path,
                headers=bearer,
                json=_filled(example_body(route), world) if route.method != "GET" else None,
            )
        self.client.cookies.set(SESSION_COOKIE, self.token)
        try:
            headers = dict(HTML)
            if route.method != "GET":
                page = self.client.get("/help", headers=HTML).text
                token = re.search(r'name="csrf-token" content="([^"]+)"', page)
                assert token is not None
                headers["x-csrf-token"] = token.group(1)
            return self.client.request(
                route.method, path, headers=headers, data={}, follow_redirects=False
            )
        finally:
            self.client.cookies.delete(SESSION_COOKIE)


@pytest.fixture
def routes(app: FastAPI) -> list[StaffRoute]:
    found = staff_routes(app)
    unknown = sorted({f"{r}: {{{p}}}" for r in found for p in r.params if p not in PATH_VALUES})
    assert not unknown, (
        "staff routes with a path parameter the walker cannot fill; add a realistic "
        f"id to PATH_VALUES in {__file__}: {unknown}"
    )
    return found


def test_every_staff_route_is_found(routes: list[StaffRoute]) -> None:
    walked = {str(r) for r in routes}
    for expected in (
        "GET /api/v1/applications/{application_id}",
        "POST /api/v1/applications/{application_id}/signature",
        "POST /api/v1/authorisations/{authorisation_id}/{decision}",
        "GET /api/v1/organisations",
        "DELETE /api/v1/employers/{organisation_id}/roster/{employee_id}",
        # pages whose permission is checked by their own dependency (staff_with):
        # until stop 31 the walker did not see them
        "GET /staff/applications/{application_id}",
        "POST /staff/applications/{application_id}/sign",
        "POST /staff/paper-passes/{paper_pass_id}/revoke",
        "POST /staff/overrides/{override_id}/decision",
        "GET /staff/venues/{venue_id}/code",
    ):
        assert expected in walked


def test_the_wrong_scope_finds_nothing(
    client: TestClient, world: World, routes: list[StaffRoute]
) -> None:
    outsider = Caller(client, "walker.outsider")
    leaks = []
    for route in routes:
        response = outsider.call(route, world)
        asked = Caller.path(route, world)  # a 404 page may repeat the address asked for
        shown = [s for s in world.secrets if s in response.text and s not in asked]
        refused_first = str(route) in REFUSED_FIRST and response.status_code == 422
        if route.params and response.status_code != 404 and not refused_first:
            leaks.append(f"{route}: {response.status_code} (expected 404) {response.text[:200]}")
        elif response.status_code >= 500 or shown:
            leaks.append(f"{route}: {response.status_code} shows {shown}")
        elif response.status_code == 200 and "json" in response.headers.get("content-type", ""):
            body = response.json()
            if isinstance(body, dict) and body.get("total", 0) != 0:
                leaks.append(f"{route}: counts {body['total']}")
    assert not leaks, "\n".join(leaks)


def test_the_right_scope_finds_the_same_ids(
    client: TestClient, world: World, routes: list[StaffRoute]
) -> None:
    """The ids the walker uses are real: an officer of A reads every one of them."""
    insider = Caller(client, "walker.insider")
    missing = [
        f"{r}: {insider.call(r, world).status_code}"
        for r in routes
        if r.method == "GET"
        and r.params
        and str(r) not in ABSENT_IN_A
        and insider.call(r, world).status_code == 404
    ]
    assert not missing, "PATH_VALUES gives ids that do not exist in A's scope: " + ", ".join(
        missing
    )


def test_permission_marker_is_found_on_require() -> None:
    from healthcode.http.security import require

    assert permissions_of(require(Permission.PASS_SIGN)) == frozenset({Permission.PASS_SIGN})
    assert permissions_of(lambda: None) is None
