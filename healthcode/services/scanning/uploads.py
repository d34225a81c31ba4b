"""Offline scans uploaded once the network is back.

An offline scanner verified each code itself and queued a record with its own
``client_id``. The server verifies each again *at its* ``scanned_at`` (the key's
window, the token's expiry and the revocations known at that instant: the lists the
scanner had), and records it in the ``offline_upload`` lane. ``client_id`` is unique
per venue, so a batch sent twice (the reply was lost) records nothing new: its items
come back as duplicates. Within one batch a client id names one item, its first: a
later one is refused (``duplicate_in_batch``, not recorded); until stop 43 it was
listed as accepted and as a duplicate, and not recorded (an outside probe). A valid
green code counts as released at ``scanned_at``, unless its temperature is a fever
(then the record says ``fever``).

Every refusal names its item, the field at fault and why, and says whether the scan
is on record (refused as the verifier said) or not recorded at all (a time or a reading
the server does not take: the same rules, ``scans.scanned_at_error`` and
``domain/temperature.range_error``, as a scan sent at once). While the venue's
organisation is suspended, no item scanned since the suspension is recorded: each is
refused as ``organisation_suspended`` (``venues.open_gate``); one scanned before it
was scanned at an open gate, and is taken as usual. Nothing is dropped without a word:
the scanner shows the guard which scans were not recorded.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from healthcode.domain.checkpoint import Verdict
from healthcode.domain.errors import DomainError, FieldError
from healthcode.domain.i18n import N_
from healthcode.domain.temperature import range_error
from healthcode.domain.tokens import Refusal
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes.health_codes import verify_scanned
from healthcode.services.scanning.scans import (
    Lane,
    message_of,
    read_code,
    record_scan,
    scanned_at_error,
)
from healthcode.services.scanning.venues import open_gate, venue_row_revoked
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store.uow import GateRow, UnitOfWork


@dataclass(frozen=True)
class OfflineScan:
    client_id: str
    token: str
    scanned_at: datetime
    temperature: float | None = None
    # The scanner's ID-card lane found the card shown to be another person's. Taken on
    # the operator's word (the number itself never leaves the device): it can only turn
    # a valid code into a refusal, never the other way.
    wrong_person: bool = False


# The field a recorded refusal is about (else the code: ``token``).
_REFUSAL_FIELDS: Mapping[str, str] = {
    Verdict.FEVER: "temperature",
    Refusal.WRONG_PERSON: "wrong_person",
}


_TWICE_IN_BATCH = FieldError(
    "client_id",
    "duplicate_in_batch",
    N_("An earlier item of this batch has this client_id: only that one is taken"),
)


@dataclass(frozen=True)
class Refused:
    """An item refused: ``item`` its place among the scans uploaded (from 0),
    ``reason`` a stable code (a recorded one's verdict, else the code of the field
    error a scan sent at once gets), ``field`` the item's field at fault, ``message``
    (an English message id, with ``params``) why, in words; ``recorded`` whether the
    scan is on record with its refusal or not at all."""

    client_id: str
    item: int
    reason: str
    field: str = "token"
    message: str = ""
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    recorded: bool = True

    @classmethod
    def unrecorded(cls, client_id: str, item: int, problem: FieldError) -> Refused:
        """Named by the shared rule's code, as a scan sent at once is (``future``)."""
        return cls(
            client_id, item, problem.code, problem.field, problem.message, problem.params, False
        )

    @classmethod
    def refused_here(cls, client_id: str, item: int, error: DomainError) -> Refused:
        """Not recorded, for what is wrong at the venue (not with the item)."""
        return cls(client_id, item, error.code, "venue", error.message, error.params, False)

    @classmethod
    def on_record(cls, client_id: str, item: int, verdict: str) -> Refused:
        field = _REFUSAL_FIELDS.get(verdict, "token")
        return cls(client_id, item, verdict, field, message_of(verdict))


@dataclass(frozen=True)
class UploadResult:
    accepted: tuple[str, ...]  # recorded now, the code valid at its scan time
    duplicates: tuple[str, ...]  # recorded before, by an earlier upload
    refused: tuple[Refused, ...]  # recorded with its refusal, or not recordable at all


def upload_scans(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    venue_id: uuid.UUID,
    scans: Sequence[OfflineScan],
    client: str = "",
) -> UploadResult:
    gate = venue_row_revoked(uow, who, venue_id, None)
    venue, paused = gate.venue, _paused(gate)
    since = None if paused is None else _suspended_since(uow, venue.organisation_id)
    now = env.clock.now()
    accepted: list[str] = []
    duplicates: list[str] = []
    refused: list[Refused] = []
    taken: set[str] = set()  # the client ids of this batch judged already
    for place, item in enumerate(scans):
        if item.client_id in taken:
            refused.append(Refused.unrecorded(item.client_id, place, _TWICE_IN_BATCH))
            continue
        taken.add(item.client_id)
        if paused is not None and (since is None or item.scanned_at >= since):
            refused.append(Refused.refused_here(item.client_id, place, paused))
            continue
        problem = _unrecordable(env, item, now)
        if problem is not None:
            refused.append(Refused.unrecorded(item.client_id, place, problem))
            continue
        if uow.scans.by_client_id(venue.id, item.client_id) is not None:
            duplicates.append(item.client_id)
            continue
        verification = verify_scanned(
            uow, env, text=item.token, at=item.scanned_at,
            is_revoked=_revoked_at(uow, item.scanned_at),
        )  # fmt: skip
        if item.wrong_person and verification.ok:
            verification = replace(verification, reason=Refusal.WRONG_PERSON)
        result = record_scan(
            uow,
            env,
            venue=venue,
            operator_id=who.account_id,
            lane=Lane.OFFLINE_UPLOAD,
            reading=read_code(uow, env, venue, verification, item.token),
            client_id=item.client_id,
            scanned_at=item.scanned_at,
            released=True,
            temperature=item.temperature,
        )
        if result.duplicate:
            duplicates.append(item.client_id)
        elif result.verdict is not None:
            refused.append(Refused.on_record(item.client_id, place, result.verdict))
        else:
            accepted.append(item.client_id)
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="scan.upload",
        detail={
            "venue_id": str(venue.id),
            "accepted": len(accepted),
            "duplicates": len(duplicates),
            "refused": len(refused),
        },
        client=client,
    )
    return UploadResult(tuple(accepted), tuple(duplicates), tuple(refused))


def _paused(gate: GateRow) -> DomainError | None:
    """Why no scan is taken at the venue now (its organisation is suspended), or None."""
    try:
        open_gate(gate)
    except DomainError as error:
        return error
    return None


def _suspended_since(uow: UnitOfWork, organisation_id: uuid.UUID) -> datetime | None:
    """When the venue's organisation was suspended: a scan the offline scanner made
    before then was made at an open gate, and is recorded (a guard's queue uploaded
    after the suspension is not lost)."""
    organisation = uow.organisations.by_id(organisation_id)
    return None if organisation is None else organisation.suspended_at


def _revoked_at(uow: UnitOfWork, at: datetime) -> Callable[[bytes], bool]:
    """Revoked by ``at``: the list the scanner could have had then."""

    def revoked(token_id: bytes) -> bool:
        return uow.revocations.revoked_by(token_id, at)

    return revoked


def _unrecordable(env: Env, item: OfflineScan, now: datetime) -> FieldError | None:
    """Why an item cannot be recorded at all (it is not, and says why): the rules a
    scan sent at once and a release are held to."""
    problem = scanned_at_error(env, item.scanned_at, now)
    if problem is None and item.temperature is not None:
        problem = range_error(item.temperature)
    return problem
