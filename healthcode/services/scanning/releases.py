"""Release and "not the holder": the taps on a scan's result.

A release lets the holder of a valid green code through, with the temperature if one
was taken; a fever (at or above the policy's ``fever_threshold_c``) is recorded and
not released. "Not the holder" refuses the scan and opens a fraud case (once per
scan; the case and its workflow: ``services/fraud``), in the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.checkpoint import Verdict, is_fever
from healthcode.domain.clock import local
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict
from healthcode.domain.i18n import N_, Words
from healthcode.domain.temperature import check_range
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes.health_codes import colour_now
from healthcode.services.fraud import cases
from healthcode.services.scanning.scans import (
    ScanResult,
    outcome_of,
    policy_of,
    result_of,
    scan_in_reach,
)
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


class NotReleasable(Conflict):
    code = "not_releasable"


class FeverRecorded(NotReleasable):
    """A second reading on a scan refused for a fever: a new scan takes it, so the
    refused reading stays on record for tracing."""

    code = "fever_recorded"


class AlreadyReleased(NotReleasable):
    """A temperature sent after the release: a second tap changes nothing, and says so
    when it brings a reading."""

    code = "already_released"


class ColourChanged(NotReleasable):
    code = "colour_changed"


class NoHolder(Conflict):
    code = "no_holder"


def release(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    scan_id: uuid.UUID,
    temperature: float | None = None,
    client: str = "",
) -> ScanResult:
    """One tap: let the holder of a valid green code through, with the temperature if
    taken. A fever (at or above the policy's line) is recorded and not released; a
    second tap changes nothing (one bringing another reading is refused by name)."""
    row = scan_in_reach(uow, who, scan_id, lock=True, act=True)
    if row.released_at is not None:
        if temperature is not None and temperature != row.temperature:
            raise AlreadyReleased(  # kept silently, a fever taken late was lost
                N_(
                    "This person was released at {time} and the reading is not recorded: "
                    "a temperature is taken before the release. Scan their code again to "
                    "record it"
                ),
                time=local(row.released_at).strftime("%H:%M"),
            )
        return result_of(env, row)
    if temperature is not None:
        check_range(temperature)
    if row.verdict == Verdict.FEVER.value:
        raise FeverRecorded(
            N_(
                "This scan recorded a temperature of {temperature} ℃ and was refused; to "
                "measure again, scan their code again (the first reading is kept)"
            ),
            temperature=row.temperature,
        )
    outcome = outcome_of(env, row)
    if not outcome.releasable:
        raise NotReleasable(N_("Only a valid green code is released"))
    _still_green(uow, env, row)
    row.temperature = temperature
    if is_fever(temperature, policy_of(env, row.policy_id)):
        row.verdict = Verdict.FEVER.value
    else:
        row.released_at, row.released_by = env.clock.now(), who.account_id
    uow.flush()
    return result_of(env, row)


def _still_green(uow: UnitOfWork, env: Env, row: t.Scan) -> None:
    """A release is a decision now: a code scanned green whose colour has worsened
    since (a fever reported while the person queued) is not let through. Until
    stop 43 a release minutes after the scan did not look (an outside probe)."""
    policy = policy_of(env, row.policy_id)
    if row.resident_id is None or policy is None:
        return  # another region's code: its colour is what its region signed
    now = colour_now(uow, env, resident_id=row.resident_id, policy=policy)
    if now is not None and now is not Colour.GREEN:
        raise ColourChanged(
            N_("The code is {colour} now, since it was scanned: scan their refreshed code"),
            colour=Words(now.label),
        )


@dataclass(frozen=True)
class FraudCaseOpened:
    id: uuid.UUID
    scan_id: uuid.UUID
    status: str
    at: datetime
    new: bool


def report_not_the_holder(
    uow: UnitOfWork, env: Env, who: Principal, *, scan_id: uuid.UUID, client: str = ""
) -> FraudCaseOpened:
    """The person is not the code's holder: the scan is refused and a fraud case is
    opened (once per scan), in the audit log. A code that names nobody (not read,
    forged) has no holder to report."""
    row = scan_in_reach(uow, who, scan_id, lock=True)
    if row.resident_id is None and row.region_code is None:
        # not read (or forged, or an ID card of nobody we know): it names no holder,
        # and a case against nobody could only be dismissed. Another region's code
        # names its holder there: reported, as docs/fraud.md says.
        raise NoHolder(N_("This code names nobody, so there is no holder to report: refuse entry"))
    case, new = cases.open_from_gate_report(
        uow, env, scan=row, reported_by=who.account_id, client=client
    )
    if new:
        if row.released_at is None:
            row.verdict = Verdict.NOT_THE_HOLDER.value
        row.flags = [*row.flags, {"code": Verdict.NOT_THE_HOLDER.value}]
        audit.record(
            uow,
            env,
            actor_id=who.account_id,
            action="scan.not_the_holder",
            resident_id=row.resident_id,
            detail={"scan_id": str(row.id), "venue_id": str(row.venue_id), "case": str(case.id)},
            client=client,
        )
        uow.flush()
    return FraudCaseOpened(case.id, row.id, case.status, case.at, new)
