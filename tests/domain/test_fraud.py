"""Fraud, pure: the contradiction between a declaration and a travel record, the
two-officer transitions and the flags that open cases."""

from __future__ import annotations

from datetime import date

import pytest

from healthcode.domain.errors import InvalidInput
from healthcode.domain.fraud import (
    AlreadyProposed,
    CaseDecided,
    Cause,
    DeclaredTrips,
    NoResident,
    NotProposed,
    Outcome,
    OwnProposal,
    Status,
    TravelStay,
    causes_of_flags,
    check_decide,
    check_propose,
    check_reason,
    contradicts,
)

HOME = "371602"  # 滨城区
DECLARED = date(2020, 2, 23)
NO_TRAVEL = DeclaredTrips("d", DECLARED, ())


def stay(region: str, start: date | None, end: date | None) -> TravelStay:
    return TravelStay("r", region, start, end)


@pytest.mark.parametrize(
    ("declared", "record", "expected"),
    [
        (NO_TRAVEL, stay("320102", date(2020, 2, 15), date(2020, 2, 18)), True),
        (NO_TRAVEL, stay("320102", None, date(2020, 2, 20)), True),  # only the day left
        (NO_TRAVEL, stay("371602", date(2020, 2, 15), date(2020, 2, 18)), False),  # home
        (NO_TRAVEL, stay("320102", date(2020, 1, 20), date(2020, 2, 1)), False),  # before
        (NO_TRAVEL, stay("320102", date(2020, 2, 24), date(2020, 2, 25)), False),  # after
        (NO_TRAVEL, stay("320102", date(2020, 1, 20), date(2020, 2, 10)), True),  # overlaps
        (NO_TRAVEL, stay("320102", None, None), False),  # no dates: nothing to compare
        # declared the province, the city or the county: covered either way
        (
            DeclaredTrips("d", DECLARED, (("320000", None, date(2020, 2, 18)),)),
            stay("320102", None, date(2020, 2, 18)),
            False,
        ),
        (
            DeclaredTrips("d", DECLARED, (("320102", None, date(2020, 2, 18)),)),
            stay("320100", None, date(2020, 2, 18)),
            False,
        ),
        # declared somewhere else: the record's region is still undeclared
        (
            DeclaredTrips("d", DECLARED, (("110101", None, date(2020, 2, 18)),)),
            stay("320102", None, date(2020, 2, 18)),
            True,
        ),
    ],
)
def test_contradiction(declared: DeclaredTrips, record: TravelStay, expected: bool) -> None:
    assert contradicts(declared, record, home=HOME, window_days=14) is expected


@pytest.mark.parametrize(
    ("status", "outcome", "resident", "error"),
    [
        (Status.OPEN, Outcome.CONFIRM, True, None),
        (Status.OPEN, Outcome.DISMISS, False, None),
        (Status.OPEN, Outcome.CONFIRM, False, NoResident),
        (Status.PROPOSED, Outcome.CONFIRM, True, AlreadyProposed),
        (Status.CONFIRMED, Outcome.DISMISS, True, CaseDecided),
        (Status.DISMISSED, Outcome.CONFIRM, True, CaseDecided),
    ],
)
def test_propose(status: Status, outcome: Outcome, resident: bool, error: type | None) -> None:
    if error is None:
        check_propose(status, outcome, has_resident=resident)
    else:
        with pytest.raises(error):
            check_propose(status, outcome, has_resident=resident)


@pytest.mark.parametrize(
    ("status", "proposer", "error"),
    [
        (Status.PROPOSED, "a", None),
        (Status.PROPOSED, "b", OwnProposal),
        (Status.OPEN, "a", NotProposed),
        (Status.CONFIRMED, "a", CaseDecided),
    ],
)
def test_decide(status: Status, proposer: str, error: type | None) -> None:
    if error is None:
        check_decide(status, proposed_by=proposer, officer="b")
    else:
        with pytest.raises(error):
            check_decide(status, proposed_by=proposer, officer="b")


def test_a_reason_has_ten_characters_to_five_hundred() -> None:
    assert check_reason("  核实为转发截图，证据充分  ") == "核实为转发截图，证据充分"
    for bad in ("太短", "长" * 501):
        with pytest.raises(InvalidInput):
            check_reason(bad)


def test_only_the_duplicate_and_distance_flags_open_cases_once_each() -> None:
    flags = [
        {"code": "distant_venues"},
        {"code": "not_the_holder"},
        {"code": "same_token_elsewhere"},
        {"code": "distant_venues"},
        "junk",
    ]
    assert causes_of_flags(flags) == [Cause.DISTANT_VENUES, Cause.SAME_TOKEN_ELSEWHERE]
