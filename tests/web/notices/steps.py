"""Setting the scene for the notification centre: an issuer signed in, an application
waiting in their community's queue, a resident told what is still needed."""

from __future__ import annotations

import itertools
import uuid

import httpx
from playwright.sync_api import BrowserContext

from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from healthcode.services.notices.events import notify_more_information
from healthcode.services.organisations.authorisations import grant
from healthcode.services.residents.declarations import confirm_declaration, submit_declaration
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.inputs import declaration
from tests.factories.organisations import organisation
from tests.web.flows import carry_session
from tests.web.live import LiveServer

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


def _parts(server: LiveServer) -> tuple[UnitOfWorkFactory, Env]:
    return server.app.state.uow_factory, server.app.state.env


def issuer_with_waiting(server: LiveServer, applications: int = 2) -> str:
    """A community in a county of its own, its issuer, and applications waiting in
    its queue (from residents without the app); the issuer's username."""
    units, env = _parts(server)
    username = f"web.issuer.{uuid.uuid4().hex[:6]}"
    with units() as uow:
        community = organisation(uow, env, region="370102", name="泉城路社区居民委员会")
        account = create_staff(
            uow,
            env,
            username=username,
            password=PASSWORD,
            display_name="李签发",
            roles=[(Role.ISSUER, f"org:{community.id}")],
        )
        grant(
            uow,
            env,
            account_id=account.id,
            organisation_id=community.id,
            role=Role.ISSUER,
            name="李签发",
        )
        for _ in range(applications):
            applicant = t.Account(
                id=uuid.uuid4(), kind="resident", created_at=env.clock.now(), language="zh"
            )
            uow.add(applicant)
            uow.flush()
            data = declaration("shandong-pass", region="370102", organisation_id=str(community.id))
            row = submit_declaration(uow, env, account_id=applicant.id, data=data).declaration
            confirm_declaration(uow, env, account_id=applicant.id, declaration_id=row.id)
    return username


def sign_in_staff(context: BrowserContext, server: LiveServer, username: str) -> None:
    """Staff sign in through the API (their sign-in page comes with the staff pages);
    the session goes into the browser as the page cookie."""
    answer = httpx.post(
        f"{server.url}/api/v1/auth/staff/login",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    answer.raise_for_status()
    carry_session(context, server, answer.json()["token"])


def tell_more_needed(server: LiveServer, phone: str, items: list[str]) -> None:
    units, env = _parts(server)
    with units() as uow:
        account = uow.accounts.by_phone_hash(env.protector.keyed_hash(phone, kind="phone"))
        assert account is not None
        assert account.resident_id is not None
        notify_more_information(uow, env, account.resident_id, items)
