"""What every process checks before it uses the database: that its secret key is
the one the database was written with, and that its policy files say what each
version said when first put in force. The server's start and the command line call
this one function, so a new check cannot reach one and miss the other."""

from __future__ import annotations

from healthcode.services.shared.env import Env
from healthcode.services.shared.keycheck import SecretKeyMismatch, check_secret_key
from healthcode.services.shared.policy_versions import PolicyEditedInPlace, check_policies
from healthcode.store.uow import UnitOfWork

# What a refused start raises: the command line prints it and exits.
Refused = (SecretKeyMismatch, PolicyEditedInPlace)


def check_start(uow: UnitOfWork, env: Env, *, policies: bool = True) -> None:
    """Raise one of ``Refused``; ``policies=False``: the key only (a command that
    only reads the policy records, to tell an administrator what a refusal found)."""
    now = env.clock.now()
    check_secret_key(uow, env.protector, now=now)
    if policies:
        check_policies(uow, env.policies, now=now)
