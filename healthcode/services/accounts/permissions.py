"""Roles, permissions, and who is asking.

Role → permission is a table of data (DESIGN.md §5), so reviewing who may do what
means reading one mapping, and a route declares the permission it needs rather than
the roles that happen to hold it. A role is held within a scope (an organisation or
venue id; "" for the whole deployment; ``domain/scope.py``); ``can`` only answers
whether the permission is held anywhere, ``scope`` where: the services filter every
record a staff member reaches by it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from healthcode.domain.i18n import N_
from healthcode.domain.scope import Scope


class AccountKind(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"


class Role(StrEnum):
    RESIDENT = "resident"
    ISSUER = "issuer"
    ORG_ADMIN = "org_admin"  # administers one organisation: its issuers, staff, employers
    EMPLOYER_ADMIN = "employer_admin"
    CHECKPOINT = "checkpoint"
    DATA_OPERATOR = "data_operator"
    ADMIN = "admin"
    AUDITOR = "auditor"


# A role as people read it (message ids): the pages' lists and a refusal's words
# (``web/labels.py`` hands the same mapping to the pages).
ROLE_NAMES: Mapping[Role, str] = MappingProxyType(
    {
        Role.RESIDENT: N_("Resident"),
        Role.ISSUER: N_("Issuer (signs passes)"),
        Role.ORG_ADMIN: N_("Organisation administrator"),
        Role.EMPLOYER_ADMIN: N_("Employer's issuer"),
        Role.CHECKPOINT: N_("Checkpoint (scans codes)"),
        Role.DATA_OPERATOR: N_("Data operator"),
        Role.ADMIN: N_("Administrator"),
        Role.AUDITOR: N_("Auditor"),
    }
)


class Permission(StrEnum):
    CODE_OWN = "code.own"  # see and show one's own code
    DECLARATION_OWN = "declaration.own"  # declare, pledge, confirm for oneself
    REPORT_OWN = "report.own"  # daily reports for oneself
    APPLICATION_READ = "application.read"  # the review queue of one's organisation
    PASS_SIGN = "pass.sign"  # sign passes
    SCAN = "scan"
    RELEASE = "release"
    RECORDS_IMPORT = "records.import"  # department data imports
    AUDIT_READ = "audit.read"
    STAFF_MANAGE = "staff.manage"
    ISSUERS_APPROVE = "issuers.approve"  # decide issuer authorisations (签发人员维护)
    ORGANISATIONS_MANAGE = "organisations.manage"  # register, approve, suspend organisations
    KEYS_MANAGE = "keys.manage"
    POLICY_MANAGE = "policy.manage"
    RESIDENT_DETAILS = "resident.details"  # unmasked personal data, always audit-logged
    COLOUR_OVERRIDE = "colour.override"  # propose or approve a manual colour (two officers)
    APPEALS_DECIDE = (
        "appeals.decide"  # uphold or reject residents' appeals of a department's records
    )
    FRAUD_REVIEW = "fraud.review"  # propose or approve a fraud case's decision (two officers)


P = Permission
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.RESIDENT: frozenset({P.CODE_OWN, P.DECLARATION_OWN, P.REPORT_OWN}),
        Role.ISSUER: frozenset(
            {P.APPLICATION_READ, P.PASS_SIGN, P.COLOUR_OVERRIDE, P.FRAUD_REVIEW}
        ),
        Role.EMPLOYER_ADMIN: frozenset({P.APPLICATION_READ, P.PASS_SIGN}),
        Role.ORG_ADMIN: frozenset(
            {
                P.APPLICATION_READ,
                P.ISSUERS_APPROVE,
                P.ORGANISATIONS_MANAGE,
                P.STAFF_MANAGE,
                P.COLOUR_OVERRIDE,
                P.FRAUD_REVIEW,
            }
        ),
        Role.CHECKPOINT: frozenset({P.SCAN, P.RELEASE}),
        Role.DATA_OPERATOR: frozenset({P.RECORDS_IMPORT, P.APPEALS_DECIDE}),
        Role.ADMIN: frozenset(
            {
                P.AUDIT_READ,
                P.STAFF_MANAGE,
                P.KEYS_MANAGE,
                P.POLICY_MANAGE,
                P.RESIDENT_DETAILS,
                P.ISSUERS_APPROVE,
                P.ORGANISATIONS_MANAGE,
                P.COLOUR_OVERRIDE,
                P.FRAUD_REVIEW,
            }
        ),
        Role.AUDITOR: frozenset({P.AUDIT_READ}),
    }
)
STAFF_ROLES: frozenset[Role] = frozenset(Role) - {Role.RESIDENT}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: an account and the roles it holds, with their scopes."""

    account_id: uuid.UUID
    kind: AccountKind
    resident_id: uuid.UUID | None
    roles: frozenset[tuple[Role, str]]
    session_id: uuid.UUID | None = None  # the sign-in session; per-session limits count by it
    # its password was set by someone else: only calls about the account itself get
    # this far (``sessions.admitted``), and its password page says why
    must_change_password: bool = False

    def has_role(self, role: Role) -> bool:
        return any(held == role for held, _scope in self.roles)

    def can(self, permission: Permission) -> bool:
        return any(permission in ROLE_PERMISSIONS[role] for role, _scope in self.roles)

    def scope(self, permission: Permission) -> Scope:
        """Where the permission is held: what the services filter every record by."""
        return Scope.of(s for r, s in self.roles if permission in ROLE_PERMISSIONS[r])

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset(p for role, _scope in self.roles for p in ROLE_PERMISSIONS[role])
