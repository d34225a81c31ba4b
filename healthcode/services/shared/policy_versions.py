"""Each policy version means one text, for good.

Codes store the ``id@version`` they were evaluated under and the words they were
told; a policy change recolours the codes of other versions only. A file edited
without a new version would be served as the version the codes already have, and
they would keep the old rules' colours and words. So the first process that puts a
version in force records its canonical text and fingerprint
(``domain/policy_content.py``), and every process starting later compares its own
files with the record before doing anything else (``check_policies``; the server's
start and the command line's ``context``, beside the secret key's check).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import structlog

from healthcode.domain.clock import day_of
from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.domain.policy_content import canonical_text, differences, fingerprint
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

log = structlog.get_logger()
SHOWN = 5  # differences named in a refusal; the rest are counted


class PolicyEditedInPlace(DomainError):
    status = 500
    code = "policy_edited_in_place"


_EDITED = N_(
    "The policy file {policy}@{version} says other rules or words than that version did "
    "when first put in force on {since} ({changes}), and codes evaluated under it would "
    "keep the old ones: bump the version in the file and run 'healthcode codes recolour "
    "--policy {policy}', or restore the text recorded for it ('healthcode policies show "
    "{policy}@{version}')"
)


def check_policies(uow: UnitOfWork, policies: Mapping[str, Policy], *, now: datetime) -> None:
    """Record each policy version first put in force now; refuse one whose file says
    another text than its record (which a concurrent start may have written)."""
    for policy in policies.values():
        text = canonical_text(policy)
        row = t.PolicyVersion(
            policy_id=policy.id,
            version=policy.version,
            fingerprint=fingerprint(text),
            content=text,
            first_seen_at=now,
        )
        recorded = uow.policy_versions.get(policy.id, policy.version)
        if recorded is None:
            recorded = uow.policy_versions.add_once(row)
            if recorded is row:
                log.info("policy.version_recorded", policy=policy.ref, fingerprint=row.fingerprint)
        if recorded.fingerprint != row.fingerprint:
            raise _edited(recorded, text)


def _edited(recorded: t.PolicyVersion, text: str) -> PolicyEditedInPlace:
    found = differences(json.loads(recorded.content), json.loads(text))
    more = f" and {len(found) - SHOWN} more" if found[SHOWN:] else ""
    log.error("policy.edited_in_place", policy=f"{recorded.policy_id}@{recorded.version}")
    return PolicyEditedInPlace(
        _EDITED,
        policy=recorded.policy_id,
        version=recorded.version,
        since=day_of(recorded.first_seen_at).isoformat(),
        changes=", ".join(found[:SHOWN]) + more,
    )


class Standing(StrEnum):
    """A recorded version beside this installation's policy files."""

    IN_FORCE = "in force"  # the file's version, the same text
    EDITED = "edited without a new version"  # the file's version, another text
    EARLIER = "not in force here"  # another version than the file's
    NEW = "not recorded yet"  # the file's version, recorded at the next start


@dataclass(frozen=True)
class RecordedVersion:
    policy_id: str
    version: str
    fingerprint: str
    first_seen_at: datetime | None  # None: not recorded yet
    standing: Standing

    @property
    def ref(self) -> str:
        return f"{self.policy_id}@{self.version}"


def recorded_versions(uow: UnitOfWork, policies: Mapping[str, Policy]) -> list[RecordedVersion]:
    """Every version ever put in force, by policy, with how this installation's files
    stand to it, then the files' versions not recorded yet (read only: listing records
    nothing, so it works while a start is refused)."""
    rows = uow.policy_versions.all()
    found = [
        RecordedVersion(
            row.policy_id,
            row.version,
            row.fingerprint,
            row.first_seen_at,
            _standing(row, policies.get(row.policy_id)),
        )
        for row in rows
    ]
    seen = {(row.policy_id, row.version) for row in rows}
    found += [
        RecordedVersion(p.id, p.version, fingerprint(canonical_text(p)), None, Standing.NEW)
        for p in policies.values()
        if (p.id, p.version) not in seen
    ]
    return found


def _standing(row: t.PolicyVersion, policy: Policy | None) -> Standing:
    if policy is None or policy.version != row.version:
        return Standing.EARLIER
    if fingerprint(canonical_text(policy)) != row.fingerprint:
        return Standing.EDITED
    return Standing.IN_FORCE


def recorded_text(uow: UnitOfWork, ref: str) -> str | None:
    """The canonical text recorded for ``id@version``, if that version was in force."""
    policy_id, _, version = ref.partition("@")
    row = uow.policy_versions.get(policy_id, version)
    return row.content if row is not None else None
