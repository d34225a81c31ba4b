"""Scope strings: organisations, regions, and a department's records (appeals)."""

from __future__ import annotations

import uuid

import pytest

from healthcode.domain.scope import Scope, dept_scope

COUNTY, OTHER_COUNTY = "371602", "370102"


@pytest.mark.parametrize(
    ("held", "department", "region", "covered"),
    [
        (["dept:health"], "health", COUNTY, True),
        (["dept:health"], "police", COUNTY, False),
        (["dept:health/371602"], "health", COUNTY, True),
        (["dept:health/371602"], "health", OTHER_COUNTY, False),
        (["dept:health/371600"], "health", COUNTY, True),  # the prefecture holds its counties
        (["region:371602"], "health", COUNTY, False),  # a region names no department
        ([f"org:{uuid.UUID(int=1)}"], "health", COUNTY, False),
        ([""], "police", OTHER_COUNTY, True),  # the deployment
        (["dept:"], "health", COUNTY, False),  # unreadable: nothing, never everything
        (["dept:health/37"], "health", COUNTY, False),
        (["dept:he alth"], "he alth", COUNTY, False),
    ],
)
def test_department_scopes(held: list[str], department: str, region: str, covered: bool) -> None:
    assert Scope.of(held).covers_department(department, region) is covered


def test_a_department_scope_is_not_empty_and_grants_no_region() -> None:
    scope = Scope.of([dept_scope("health", COUNTY)])
    assert not scope.empty
    assert not scope.covers(organisation_id=None, region_code=COUNTY)
    assert dept_scope("health") == "dept:health"
