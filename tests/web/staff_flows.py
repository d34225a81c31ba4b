"""What an employer's administrator does in the browser, for the tests and screenshots."""

from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

from healthcode.domain.scope import org_scope
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.authorisations import grant
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.roster import employer
from tests.web.live import LiveServer

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Employer:
    id: uuid.UUID
    name: str
    admin: str  # the administrator's username


def add_employer(
    server: LiveServer, name: str = "渤海示范机械有限公司", *, username: str = ""
) -> Employer:
    """An active employer with its administrator (an org_admin authorisation)."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    username = username or f"hr.{os.getpid()}.{next(_serial)}"
    with units() as uow:
        company = employer(uow, env, name=name)
        made = create_staff(
            uow, env, username=username, password=PASSWORD, display_name="人事部 李敏",
            roles=[(Role.ORG_ADMIN, org_scope(company.id))],
        )  # fmt: skip
        grant(
            uow,
            env,
            account_id=made.id,
            organisation_id=company.id,
            role=Role.ORG_ADMIN,
            name="李敏",
        )
        return Employer(company.id, company.name, username)


def staff_sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/staff/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/staff/login'] button.primary")


def import_file(page: Page, company: Employer, path: Path) -> None:
    page.goto(f"/staff/employers/{company.id}/roster")
    page.set_input_files("#file", str(path))
    page.click("form[enctype] button.primary")
