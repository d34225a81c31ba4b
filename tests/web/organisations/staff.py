"""Staff for the browser tests: a community, its issuers, applications waiting."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from playwright.sync_api import Page

from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.authorisations import grant
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.inputs import id_number
from tests.factories.organisations import organisation
from tests.factories.roster import set_suspended as suspend
from tests.services.organisations.review import apply
from tests.web.live import LiveServer

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Desk:
    """A community with its issuers' usernames and the applications waiting there."""

    organisation_id: uuid.UUID
    issuers: tuple[str, ...]
    applications: tuple[uuid.UUID, ...]


def desk(
    server: LiveServer,
    *,
    region: str = "371602",
    issuers: int = 1,
    temperatures: tuple[float, ...] = (),
) -> Desk:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        org = organisation(uow, env, region=region)
        names = []
        for _ in range(issuers):
            name = f"desk{next(_serial)}"
            account = create_staff(
                uow,
                env,
                username=name,
                password=PASSWORD,
                display_name="签发人",
                roles=[(Role.ISSUER, f"org:{org.id}")],
            )
            grant(
                uow,
                env,
                account_id=account.id,
                organisation_id=org.id,
                role=Role.ISSUER,
                name="签发人",
                position="社区干部",
            )
            names.append(name)
        applied = tuple(apply(uow, env, org, temperature=c) for c in temperatures)
        for application in applied:  # the applicants may sign in on the web too
            row = uow.declarations.by_id(application)
            assert row is not None
            uow.add(t.AccountRole(account_id=row.account_id, role=Role.RESIDENT.value, scope=""))
        return Desk(org.id, tuple(names), applied)


def staff_holding(server: LiveServer, role: Role, scope: str) -> str:
    """A staff account holding ``role`` for ``scope`` as given (no authorisation): its
    username."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    name = f"staff{next(_serial)}"
    with units() as uow:
        create_staff(
            uow, env, username=name, password=PASSWORD, display_name="审核员", roles=[(role, scope)]
        )
    return name


def set_suspended(server: LiveServer, organisation_id: uuid.UUID, suspended: bool) -> None:
    """Suspend (or reactivate) the organisation, as its region's administrator would."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        suspend(uow, env, organisation_id, suspended)


def resident_phone(server: LiveServer, application: uuid.UUID) -> str:
    """The phone of the account that applied (to sign the resident in)."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        row = uow.declarations.by_id(application)
        assert row is not None
        assert row.account_id is not None
        account = uow.session.get(t.Account, row.account_id)
        assert account is not None
        assert account.phone_cipher is not None
        return env.protector.decrypt(account.phone_cipher, context="phone").decode()


def staff_sign_in(
    page: Page, server: LiveServer, username: str, then: str = "/staff/queue"
) -> None:
    page.goto(then)
    page.wait_for_url("**/staff/login?*")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form[action='/staff/login'] button.primary")
    page.wait_for_url(f"{server.url}{then}")


def fill_counter(page: Page, *, id_card_checked: bool = True) -> None:
    """A valid counter application for a new person, decided green, not yet sent."""
    page.goto("/staff/counter")
    values = {
        "#name": "李四",
        "#id_number": id_number(),
        "#region": "371602",
        "#residence_since": "2019-12-01",
        "#destination": "370102",
    }
    for selector, value in values.items():
        page.fill(selector, value)
    page.check("#purpose-work")
    page.click(".chip:has-text('36.5')")
    if id_card_checked:
        page.check("#id_card_checked")
    page.check("#pledge-box")
    page.check("input[name=colour][value=green]")
