"""What the accounts tests share: numbers, a recording SMS sender, sign-in steps."""

from __future__ import annotations

from healthcode.services.accounts import login as a
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import (
    Role,
)
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork

PHONE = "13812341234"
OTHER = "13900001111"
PASSWORD = "correct horse battery"


class Sender:
    def __init__(self) -> None:
        self.sent: dict[str, str] = {}
        self.texts: list[str] = []  # every number texted, once per text

    def send(self, phone: str, code: str) -> None:
        self.sent[phone] = code
        self.texts.append(phone)


OWNER, STRANGER = "10.0.0.1", "6.6.6.6"  # client addresses


def code_for(
    uow: UnitOfWork, env: Env, sender: Sender, phone: str = PHONE, client: str = OWNER
) -> str:
    a.request_login_code(uow, env, phone=phone, client=client)
    uow.commit()
    return sender.sent[phone]


def login(uow: UnitOfWork, env: Env, sender: Sender, phone: str = PHONE) -> sessions.IssuedSession:
    code = code_for(uow, env, sender, phone)
    return a.verify_login_code(uow, env, phone=phone, code=code, client=OWNER, user_agent="ua")


def verify(uow: UnitOfWork, env: Env, code: str, client: str = OWNER) -> sessions.IssuedSession:
    return a.verify_login_code(uow, env, phone=PHONE, code=code, client=client, user_agent="ua")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def staff(
    uow: UnitOfWork, env: Env, name: str = "issuer01", *roles: Role
) -> sessions.AccountSummary:
    held = [(r, "") for r in roles or (Role.ISSUER,)]
    return a.create_staff(
        uow, env, username=name, password=PASSWORD, display_name="王 签发", roles=held
    )
