"""Video calls in the browser: an applicant with a pass application waiting, and the
issuer of its community signed in in another browser context."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from playwright.sync_api import Browser, BrowserContext, Page

from healthcode.services.accounts.permissions import Principal
from healthcode.services.accounts.sessions import open_session
from healthcode.services.codes import health_codes as codes
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.organisations import authorised_issuer, issuer_for, organisation
from tests.web.conftest import new_context, new_phone
from tests.web.flows import carry_session, declare_and_confirm, sign_in
from tests.web.live import LiveServer

# Chromium's own camera and microphone (a test pattern and a beep), allowed without asking
MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@dataclass
class Applicant:
    page: Page
    phone: str
    application_id: uuid.UUID


def _env(server: LiveServer) -> tuple[Env, UnitOfWorkFactory]:
    return server.app.state.env, server.app.state.uow_factory


def apply_for_pass(page: Page, server: LiveServer, **values: str) -> Applicant:
    """A resident signed in with a pass application waiting for an issuer."""
    phone = new_phone()
    sign_in(page, server, phone)
    declare_and_confirm(page, "shandong-pass", **values)
    env, units = _env(server)
    with units() as uow:
        account = uow.accounts.by_phone_hash(env.protector.keyed_hash(phone, kind="phone"))
        assert account is not None
        state = codes.read_code_state(
            uow, env, resident_id=account.resident_id, policy_id="shandong-pass"
        )
    assert state.application_id is not None
    return Applicant(page, phone, uuid.UUID(state.application_id))


def issuer_of(server: LiveServer, application_id: uuid.UUID) -> Principal:
    """An issuer authorised by the application's community (made if it has none)."""
    env, units = _env(server)
    with units() as uow:
        return issuer_for(uow, env, application_id)


def issuer_elsewhere(server: LiveServer) -> Principal:
    """An active issuer of another community."""
    env, units = _env(server)
    with units() as uow:
        return authorised_issuer(uow, env, organisation(uow, env, region="370102").id)


def session_token(server: LiveServer, who: Principal) -> str:
    env, units = _env(server)
    with units() as uow:
        account = uow.accounts.by_id(who.account_id)
        assert account is not None
        return open_session(uow, env, account, client="127.0.0.1", user_agent="test").token


def signed_in_as(
    browser: Browser, server: LiveServer, who: Principal, **options: object
) -> BrowserContext:
    """A browser context carrying the staff member's session cookie (the staff sign-in
    page is another part of the issue; the session is the same kind)."""
    context = new_context(browser, server, **options)
    carry_session(context, server, session_token(server, who))
    return context
