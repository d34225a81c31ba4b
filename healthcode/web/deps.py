"""Page dependencies: the optional resident, the account, the request's client."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData

from healthcode.domain.errors import NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.security import TokenDep
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import AccountKind, Principal
from healthcode.services.shared.bounds import check_text
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


NEXT_MAX = 400  # characters: no page of ours has a longer path


def local_path(target: str | None, default: str = "/") -> str:
    """Only same-site paths: ``next=`` must never send a resident elsewhere. Anything
    else (another site, too long, a control character) is ``default``, never a
    refusal: a sign-in must not fail for where it goes afterwards."""
    if (
        not target
        or len(target) > NEXT_MAX
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
    ):
        return default
    try:
        return check_text(target)
    except PydanticCustomError:
        return default


# ``next`` as a form posts it: left to ``local_path`` (as SafeText with a length, one
# too long was a 422 page that lost the sign-in form)
NextField = Annotated[str, Form()]


def known_policy(env: Env, policy_id: str) -> Policy:
    """The code type named in a page's path; an unknown one is a missing page."""
    policy = env.policies.get(policy_id)
    if policy is None:
        raise NotFound(N_("Not found"))
    return policy
