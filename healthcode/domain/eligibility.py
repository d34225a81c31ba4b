"""Declared dates the rules count days after: what a form can warn about before submitting.

A pass is signed no milder than the rules (``signing.py``), so an applicant whose
residence is shorter than the policy needs (SD-SCOPE-RESIDENCE: 14 days after
``residence_since``) will not be signed green. The form says so beside the field, in
the rule's own words and with the days from the policy file; it does not refuse: the
issuer decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from healthcode.domain.colour import Colour
from healthcode.domain.policy import DaysAfter, LocalText, Policy, Source

# Dates the resident types on the declaration itself (not a trip or an exposure row).
DECLARED_DATES = frozenset({"residence_since"})


@dataclass(frozen=True)
class DateRequirement:
    """A date after which ``days`` full days must have passed for ``rule_id`` to lapse."""

    field: str
    days: int
    rule_id: str
    reason: LocalText

    def latest(self, today: date) -> date:
        """The latest date that meets it today (the date's own day is not counted)."""
        return today - timedelta(days=self.days + 1)


def date_requirements(policy: Policy) -> tuple[DateRequirement, ...]:
    """The policy's non-green observation rules that lapse days after a declared date."""
    return tuple(
        DateRequirement(lapse.field, lapse.days, rule.id, rule.reason)
        for rule in policy.rules_on(Source.OBSERVATIONS)
        if rule.colour is not Colour.GREEN
        for lapse in rule.lapses
        if isinstance(lapse, DaysAfter) and lapse.field in DECLARED_DATES
    )


def unmet(
    policy: Policy, dates: dict[str, date | None], today: date
) -> tuple[DateRequirement, ...]:
    """The requirements the given dates do not meet today."""
    return tuple(
        r
        for r in date_requirements(policy)
        if (day := dates.get(r.field)) is not None and day > r.latest(today)
    )
