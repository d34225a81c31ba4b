"""Where a staff member may act: the deployment, some organisations, some regions.

A role is held within a scope string (``account_roles.scope``): "" is the whole
deployment, ``org:<uuid>`` one organisation (granted by an active authorisation),
``region:<GB/T 2260 code>`` a region with everything inside it (370000 the province,
371600 a prefecture, 371602 a county), ``dept:<department>`` one source department's
records (``dept:health``), ``dept:<department>/<region code>`` its records of residents
in that region (``dept:health/371602``); region scopes name no department, so they
never reach a department's records. Everything a staff member reads or changes is
filtered by the ``Scope`` of the permission used; out of scope reads as not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

ORG = "org:"
REGION = "region:"
DEPT = "dept:"


def org_scope(organisation_id: uuid.UUID) -> str:
    return f"{ORG}{organisation_id}"


def region_scope(code: str) -> str:
    return f"{REGION}{code}"


def dept_scope(department: str, region: str = "") -> str:
    return f"{DEPT}{department}/{region}" if region else f"{DEPT}{department}"


def canonical(scope: str) -> str:
    """One spelling per scope: an organisation's id as ``uuid.UUID`` writes it. A role
    given as ``org:C9D8…`` (or braced, or without hyphens) was stored beside the one
    taken away as ``org:c9d8…``, and stayed."""
    if scope.startswith(ORG):
        try:
            return org_scope(uuid.UUID(scope[len(ORG) :]))
        except ValueError:
            return scope  # refused where it is checked
    return scope


def region_prefix(code: str) -> str:
    """The prefix every code inside a region shares: 370000 → 37, 371600 → 3716."""
    if code.endswith("0000"):
        return code[:2]
    return code[:4] if code.endswith("00") else code


@dataclass(frozen=True)
class Scope:
    everywhere: bool = False
    organisations: frozenset[uuid.UUID] = frozenset()
    regions: frozenset[str] = frozenset()  # prefixes (see region_prefix)
    # (department, region prefix); "" for the department's records everywhere
    departments: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, scopes: Iterable[str]) -> Scope:
        """Parse scope strings; an unreadable one grants nothing (never everything)."""
        everywhere, organisations, regions = False, set(), set()
        departments: set[tuple[str, str]] = set()
        for scope in scopes:
            if scope == "":
                everywhere = True
            elif scope.startswith(ORG):
                try:
                    organisations.add(uuid.UUID(scope[len(ORG) :]))
                except ValueError:
                    continue
            elif scope.startswith(REGION):
                code = scope[len(REGION) :]
                if _region_code(code):
                    regions.add(region_prefix(code))
            elif scope.startswith(DEPT):
                department, _, code = scope[len(DEPT) :].partition("/")
                if _department(department) and (code == "" or _region_code(code)):
                    departments.add((department, region_prefix(code) if code else ""))
        return cls(everywhere, frozenset(organisations), frozenset(regions), frozenset(departments))

    @property
    def empty(self) -> bool:
        return not (self.everywhere or self.organisations or self.regions or self.departments)

    def covers_department(self, department: str, region_code: str) -> bool:
        """A department's record of a resident in ``region_code`` is within scope."""
        return self.everywhere or any(
            held == department and region_code.startswith(prefix)
            for held, prefix in self.departments
        )

    @property
    def departments_only(self) -> Scope:
        """The departments' part of the scope: an appeal against a department's record
        is decided by that department (docs/appeals.md), which a deployment-wide
        scope ("") does not name. A data clerk holding "" decided every department's
        appeals, though never told of one."""
        return Scope(departments=self.departments)

    def covers_region(self, region_code: str) -> bool:
        return self.everywhere or any(region_code.startswith(p) for p in self.regions)

    def covers_records(self, department: str, region_code: str | None) -> bool:
        """A department's records about ``region_code`` (an import batch listed there, a
        traced case living there; None: the department everywhere) are within scope:
        by region, or as that department. A data clerk scoped to ``dept:health`` saw no
        batch, not even their own, and traced no case."""
        code = region_code or ""
        return self.covers_region(code) or self.covers_department(department, code)

    def covers(self, *, organisation_id: uuid.UUID | None, region_code: str) -> bool:
        """An organisation's records (or, without one, a region's) are within scope."""
        if organisation_id is not None and organisation_id in self.organisations:
            return True
        return self.covers_region(region_code)


def _region_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def _department(name: str) -> bool:
    return 0 < len(name) <= 32 and name.isascii() and name.replace("_", "").isalnum()


@dataclass(frozen=True)
class QueueQuery:
    """Which waiting applications: within a scope, then narrowed by the issuer's filters."""

    policy_ids: Sequence[str]
    scope: Scope
    suggested: str | None = None
    region_prefix: str | None = None
    purpose: str | None = None
    confirmed_before: datetime | None = None  # waiting longer than some hours
