"""The code types this deployment offers, looked up by id (a refusal names them all)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.i18n import pick, translate
from healthcode.policies import builtin_policy


class Policies(Mapping[str, Policy]):
    """The policies in force, by id; ``find`` turns an unknown id into a field error."""

    def __init__(self, policies: Mapping[str, Policy]) -> None:
        self._policies = dict(policies)

    @classmethod
    def builtin(cls, names: tuple[str, ...] | list[str]) -> Policies:
        return cls({name: builtin_policy(name) for name in names})

    def __getitem__(self, policy_id: str) -> Policy:
        return self._policies[policy_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._policies)

    def __len__(self) -> int:
        return len(self._policies)

    def find(self, policy_id: str, *, field: str = "policy") -> Policy:
        try:
            return self._policies[policy_id]
        except KeyError:
            raise InvalidInput.single(
                field,
                "unknown_policy",
                N_("Unknown code type '{policy}'; choose one of: {known}"),
                policy=policy_id,
                known=", ".join(self._policies),
            ) from None


def colour_label(policy: Policy, colour: Colour) -> str:
    """The colour in words: the policy's own (绿色健康通行卡（通行）), else 绿码/黄码/红码.
    One choice for every place a colour is named (the API, the pages, the paper pass)."""
    own = policy.labels.get(colour)
    return pick(own) if own else translate(colour.label)
