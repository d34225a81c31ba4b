"""What a resident does in the browser, step by step, for the tests to reuse."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from healthcode.domain.colour import Colour
from healthcode.http.security import SESSION_COOKIE
from healthcode.services.accounts import login, sessions
from healthcode.services.codes import health_codes as codes
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.inputs import id_number
from tests.factories.organisations import sign_as_issuer
from tests.factories.qr import decode
from tests.web.live import LiveServer


def resident_of(server: LiveServer, phone: str) -> uuid.UUID:
    """The resident an account signed in with ``phone`` declared as."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        account = uow.accounts.by_phone_hash(env.protector.keyed_hash(phone, kind="phone"))
        assert account is not None
        assert account.resident_id is not None
        return account.resident_id


def ask_for_code(page: Page, phone: str) -> None:
    """The first step of signing in: the phone number, and a code texted to it."""
    page.goto("/login")
    page.fill("#phone", phone)
    page.click("form[action='/login/code'] button.primary")


def sign_in_by_sms(page: Page, server: LiveServer, phone: str) -> None:
    """Sign in as a resident does: the number, the texted code, "My codes"."""
    ask_for_code(page, phone)
    page.fill("#code", server.sms.sent[phone])
    page.click("form[action='/login'] button.primary")
    page.wait_for_url(f"{server.url}/")


def sign_in(page: Page, server: LiveServer, phone: str) -> None:
    """Signed in as ``sign_in_by_sms`` leaves the phone, on "My codes", without its
    three pages: the session is opened on the server and its cookie handed to the
    browser. The sign-in pages have tests of their own (tests/web/accounts); the
    rest spend the shared CPU on what they test."""
    env: Env = server.app.state.env
    with server.app.state.uow_factory() as uow:
        account = login.ensure_resident_account(uow, env, phone=phone)
        issued = sessions.open_session(uow, env, account, client="127.0.0.1", user_agent="")
    carry_session(page.context, server, issued.token)
    page.goto("/")


def carry_session(context: BrowserContext, server: LiveServer, token: str) -> None:
    """The browser holds the session ``token`` as its sign-in cookie."""
    context.add_cookies(
        [{"name": SESSION_COOKIE, "value": token, "url": server.url, "httpOnly": True}]
    )


def fill_declaration(page: Page, policy: str = "binzhou-code", **values: str) -> None:
    """Fill the form with a valid declaration (values override by input id)."""
    page.goto(f"/declare/{policy}")
    fields = {"name": "张三", "id_number": id_number(), "region": "371602"}
    if policy == "shandong-pass":
        fields |= {"residence_since": "2019-12-01", "destination": "370102"}
        page.check("#purpose-work")
    fields |= values
    chosen = fields.pop("organisation_id", None)
    for name, value in fields.items():
        page.fill(f"#{name}", value)
    if "temperature" not in values:
        page.click(".chip:has-text('36.5')")
    community = page.locator("select#organisation_id")
    if chosen is not None:
        community.select_option(chosen)
    elif community.count() and community.is_visible():
        # several communities registered on the shared server: the resident picks one
        community.select_option(index=1)
    page.check("#pledge-box")


def declare_and_confirm(page: Page, policy: str = "binzhou-code", **values: str) -> None:
    fill_declaration(page, policy, **values)
    page.click("button[value=submit]")
    page.wait_for_url("**/declarations/*")
    page.click("form.actions button.primary")
    page.wait_for_url(f"**/codes/{policy}?welcome=1")


# A browser without WebCrypto: the code page falls back to server-made display tokens.
NO_WEBCRYPTO = "Object.defineProperty(Crypto.prototype, 'subtle', { get() { return undefined; } });"


def read_qr(page: Page) -> str:
    """The text of the QR code on screen, read from a screenshot as a scanner would.
    The phone redraws its own code every few seconds: a shot taken as the drawing is
    swapped is taken again."""
    for _attempt in range(3):
        try:
            shot = page.locator(".qr-box svg").screenshot()
        except PlaywrightError as error:
            if "not attached" not in str(error):
                raise
            continue
        text: str = decode(shot).text
        return text
    raise AssertionError("the QR code kept changing while being read")


def verify(server: LiveServer, token: str) -> dict[str, Any]:
    """What an online scanner hears back from POST /api/v1/verify."""
    answer = httpx.post(f"{server.url}/api/v1/verify", json={"token": token}, timeout=10)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def sign_pass(server: LiveServer, phone: str, colour: Colour = Colour.GREEN) -> None:
    """An issuer signs the resident's pending pass (the issuer's pages come later)."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        account = uow.accounts.by_phone_hash(env.protector.keyed_hash(phone, kind="phone"))
        assert account is not None
        assert account.resident_id is not None
        state = codes.read_code_state(
            uow, env, resident_id=account.resident_id, policy_id="shandong-pass"
        )
        assert state.application_id is not None
        sign_as_issuer(
            uow,
            env,
            uuid.UUID(state.application_id),
            colour,
            "" if colour is Colour.GREEN else "视频核实时体温偏高",  # stricter needs a reason
        )
