"""Page dependencies: the optional resident, the account, the request's client."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from healthcode.domain.errors import NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.security import TokenDep
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import AccountKind, Principal
from healthcode.services.shared.env import Env


def optional_resident(token: TokenDep, uow: UowDep, env: EnvDep) -> Principal | None:
    """The signed-in resident, or None: pages like the start page serve both."""
    principal = sessions.authenticate(uow, env, token=token) if token else None
    if principal is None or principal.kind is not AccountKind.RESIDENT:
        return None
    return principal


MaybeResidentDep = Annotated[Principal | None, Depends(optional_resident)]


async def form_data(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


def local_path(target: str | None, default: str = "/") -> str:
    """Only same-site paths: ``next=`` must never send a resident elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target


def known_policy(env: Env, policy_id: str) -> Policy:
    """The code type named in a page's path; an unknown one is a missing page."""
    policy = env.policies.get(policy_id)
    if policy is None:
        raise NotFound(N_("Not found"))
    return policy
