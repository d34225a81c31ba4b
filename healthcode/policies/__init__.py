"""The built-in policy files, loaded and validated.

Later the command centre stores edited versions in the database; these files are
the seeds' rules as first published.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from healthcode.domain.policy import Policy, parse_policy

BUILTIN = ("binzhou-code", "shandong-pass")


def parse_policy_text(text: str) -> Policy:
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("a policy file must hold a mapping at its top level")
    return parse_policy(data)


@cache
def builtin_policy(name: str) -> Policy:
    if name not in BUILTIN:
        raise LookupError(f"no built-in policy {name!r}; known: {', '.join(BUILTIN)}")
    return parse_policy_text(
        resources.files(__package__).joinpath(f"{name}.yaml").read_text("utf-8")
    )
