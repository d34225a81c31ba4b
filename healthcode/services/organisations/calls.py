"""Video verification (视频通话, issue 10 item 5): an issuer calls the applicant of a pass
application, asks for a temperature reading on camera and records it.

The media go browser to browser (WebRTC) and are never stored; the server relays only
the signalling (web/pages/organisations/signalling.py). What is kept is the call's
life: offered (ringing, for ``OFFER`` at most), answered, ended (by whom, why), and the
reading. Only the issuer who placed the call, while the application is still within
their signing scope (``reviewable``), and the applicant reach a call: anyone else is
"not found". One live call per application (a partial unique index backs the check
made under the application's row lock).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from healthcode.domain.clock import aware, day_of
from healthcode.domain.errors import Conflict, Forbidden, NotFound
from healthcode.domain.i18n import N_
from healthcode.services.accounts.permissions import AccountKind, Permission, Principal
from healthcode.services.organisations.applications import reviewable
from healthcode.services.organisations.registry import OrganisationSuspended
from healthcode.services.residents.validation import check_temperature
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

OFFER = timedelta(minutes=2)  # an unanswered call stops ringing then
HISTORY = 20  # calls shown with an application


class Party(StrEnum):
    ISSUER = "issuer"
    RESIDENT = "resident"

    @property
    def other(self) -> Party:
        return Party.RESIDENT if self is Party.ISSUER else Party.ISSUER


class CallStatus(StrEnum):
    RINGING = "ringing"
    ACTIVE = "active"
    ENDED = "ended"
    DECLINED = "declined"
    EXPIRED = "expired"


LIVE = frozenset({CallStatus.RINGING, CallStatus.ACTIVE})


class EndReason(StrEnum):
    HANG_UP = "hang_up"
    DECLINED = "declined"
    EXPIRED = "expired"  # nobody answered in time
    CANCELLED = "cancelled"  # the issuer gave up before an answer
    DISCONNECTED = "disconnected"  # a page was closed or lost its connection


class CallOver(Conflict):
    code = "call_over"
    keeps_changes = True  # an offer found expired stays recorded as expired


class CallBusy(Conflict):
    code = "call_busy"


class NotAnswered(Conflict):
    code = "call_not_answered"


@dataclass(frozen=True)
class CallView:
    id: uuid.UUID
    application_id: uuid.UUID
    issuer_id: uuid.UUID
    status: CallStatus
    organisation_name: str
    offered_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    ended_by: Party | None
    end_reason: EndReason | None
    temperature: float | None
    reading_at: datetime | None

    @property
    def live(self) -> bool:
        return self.status in LIVE

    @property
    def duration_seconds(self) -> int | None:
        """How long the two were connected; None for a call never answered."""
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.answered_at).total_seconds()))


@dataclass(frozen=True)
class Reading:
    temperature: float
    at: datetime
    call_id: uuid.UUID


def start_call(
    uow: UnitOfWork, env: Env, who: Principal, *, application_id: uuid.UUID, client: str = ""
) -> CallView:
    """Ring the applicant; the caller's own live call is given back rather than doubled."""
    declaration, resident, _policy = reviewable(
        uow, env, who, application_id, permission=Permission.PASS_SIGN, lock=True
    )
    now = env.clock.now()
    live = uow.video_calls.live_for_application(application_id)
    if live is not None and _settle(uow, env, live) in LIVE:
        if live.issuer_id != who.account_id:
            raise CallBusy(N_("Another issuer is already on a call with this applicant"))
        return _view(uow, live)
    row = t.VideoCall(
        id=uuid.uuid4(),
        application_id=declaration.id,
        resident_id=resident.id,
        organisation_id=declaration.organisation_id,
        issuer_id=who.account_id,
        status=CallStatus.RINGING.value,
        offered_at=now,
        expires_at=now + OFFER,
    )
    uow.add(row)
    uow.flush()
    _audit(uow, env, who, "call.started", row, client=client)
    return _view(uow, row)


def incoming_call(uow: UnitOfWork, env: Env, who: Principal) -> CallView | None:
    """The call ringing for this resident now, if any (the newest)."""
    if who.kind is not AccountKind.RESIDENT or who.resident_id is None:
        return None
    for row in uow.video_calls.ringing_for_resident(who.resident_id):
        if _settle(uow, env, row) is CallStatus.RINGING:
            return _view(uow, row)
    return None


def open_call(
    uow: UnitOfWork, env: Env, who: Principal, *, call_id: uuid.UUID
) -> tuple[CallView, Party]:
    """A call and the caller's side of it, for its page."""
    row = _load(uow, call_id)
    party = _party(uow, env, who, row)
    _settle(uow, env, row)
    return _view(uow, row), party


def join_call(
    uow: UnitOfWork, env: Env, who: Principal, *, call_id: uuid.UUID
) -> tuple[CallView, Party]:
    """A party enters the call's signalling room; the applicant entering answers it."""
    row = _load(uow, call_id, lock=True)
    party = _party(uow, env, who, row)
    if _settle(uow, env, row) not in LIVE:
        raise CallOver(N_("This call is over"))
    if party is Party.RESIDENT and row.status == CallStatus.RINGING:
        row.status = CallStatus.ACTIVE.value
        row.answered_at = env.clock.now()
        _audit(uow, env, who, "call.answered", row)
    return _view(uow, row), party


def decline_call(uow: UnitOfWork, env: Env, who: Principal, *, call_id: uuid.UUID) -> CallView:
    """The applicant says no to a ringing call."""
    row = _load(uow, call_id, lock=True)
    if _party(uow, env, who, row) is not Party.RESIDENT:
        raise NotFound(N_("No such call"))
    if _settle(uow, env, row) is not CallStatus.RINGING:
        raise CallOver(N_("This call is over"))
    _finish(row, CallStatus.DECLINED, env.clock.now(), who.account_id, EndReason.DECLINED)
    _audit(uow, env, who, "call.declined", row)
    return _view(uow, row)


def end_call(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    call_id: uuid.UUID,
    reason: EndReason = EndReason.HANG_UP,
) -> CallView:
    """Hang up (either party); a call already over stays as it ended."""
    row = _load(uow, call_id, lock=True)
    party = _party(uow, env, who, row)
    if _settle(uow, env, row) in LIVE:
        status = CallStatus.ENDED
        if row.status == CallStatus.RINGING and party is Party.ISSUER:
            reason = EndReason.CANCELLED
        elif row.status == CallStatus.RINGING:
            status, reason = CallStatus.DECLINED, EndReason.DECLINED
        _finish(row, status, env.clock.now(), who.account_id, reason)
        view = _view(uow, row)
        _audit(uow, env, who, "call.ended", row, duration=view.duration_seconds)
    return _view(uow, row)


def record_reading(
    uow: UnitOfWork, env: Env, who: Principal, *, call_id: uuid.UUID, temperature: float
) -> CallView:
    """The temperature the issuer read on camera; a new reading replaces the last."""
    row = _load(uow, call_id, lock=True)
    if _party(uow, env, who, row) is not Party.ISSUER:
        raise Forbidden(N_("Only the issuer records the reading"))
    _settle(uow, env, row)
    if row.answered_at is None:
        raise NotAnswered(
            N_("The applicant has not answered this call: a reading is taken on camera")
        )
    row.temperature = check_temperature(temperature)
    row.reading_at = env.clock.now()
    row.reading_by = who.account_id
    _audit(uow, env, who, "call.reading", row, temperature=row.temperature)
    return _view(uow, row)


def calls_of_application(
    uow: UnitOfWork, env: Env, who: Principal, *, application_id: uuid.UUID
) -> list[CallView]:
    """The application's calls, newest first, for whoever may read it."""
    reviewable(uow, env, who, application_id)
    rows = uow.video_calls.of_application(application_id, limit=HISTORY)
    for row in rows:
        _settle(uow, env, row)
    return [_view(uow, row) for row in rows]


def reading_of_day(
    uow: UnitOfWork, env: Env, who: Principal, *, application_id: uuid.UUID, day: date | None = None
) -> Reading | None:
    """The latest temperature read on a call on ``day`` (today): the review counts it as
    that day's temperature."""
    wanted = day or day_of(env.clock.now())
    for call in calls_of_application(uow, env, who, application_id=application_id):
        at = call.reading_at
        if call.temperature is not None and at is not None and day_of(at) == wanted:
            return Reading(call.temperature, at, call.id)
    return None


def _load(uow: UnitOfWork, call_id: uuid.UUID, *, lock: bool = False) -> t.VideoCall:
    row = uow.video_calls.by_id(call_id, lock=lock)
    if row is None:
        raise NotFound(N_("No such call"))
    return row


def _party(uow: UnitOfWork, env: Env, who: Principal, row: t.VideoCall) -> Party:
    """Which side the caller is on; the issuer only while the application is still
    theirs to sign (a revoked or suspended authorisation, or a suspended organisation,
    loses the call too)."""
    if who.account_id == row.issuer_id:
        try:
            reviewable(uow, env, who, row.application_id, permission=Permission.PASS_SIGN)
        except OrganisationSuspended:
            raise NotFound(N_("No such call")) from None
        return Party.ISSUER
    if who.kind is AccountKind.RESIDENT and who.resident_id == row.resident_id:
        return Party.RESIDENT
    raise NotFound(N_("No such call"))


def _settle(uow: UnitOfWork, env: Env, row: t.VideoCall) -> CallStatus:
    """The call's status now: an offer nobody answered in time has expired."""
    if row.status == CallStatus.RINGING and aware(row.expires_at) <= env.clock.now():
        _finish(row, CallStatus.EXPIRED, aware(row.expires_at), None, EndReason.EXPIRED)
        uow.flush()
    return CallStatus(row.status)


def _finish(
    row: t.VideoCall,
    status: CallStatus,
    at: datetime,
    by: uuid.UUID | None,
    reason: EndReason,
) -> None:
    row.status = status.value
    row.ended_at = at
    row.ended_by = by
    row.end_reason = reason.value


def _view(uow: UnitOfWork, row: t.VideoCall) -> CallView:
    organisation = (
        uow.organisations.by_id(row.organisation_id) if row.organisation_id is not None else None
    )
    ended_by = None
    if row.ended_by is not None:
        ended_by = Party.ISSUER if row.ended_by == row.issuer_id else Party.RESIDENT
    return CallView(
        id=row.id,
        application_id=row.application_id,
        issuer_id=row.issuer_id,
        status=CallStatus(row.status),
        organisation_name=organisation.name if organisation is not None else "",
        offered_at=aware(row.offered_at),
        expires_at=aware(row.expires_at),
        answered_at=aware(row.answered_at) if row.answered_at else None,
        ended_at=aware(row.ended_at) if row.ended_at else None,
        ended_by=ended_by,
        end_reason=EndReason(row.end_reason) if row.end_reason else None,
        temperature=row.temperature,
        reading_at=aware(row.reading_at) if row.reading_at else None,
    )


def _audit(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    action: str,
    row: t.VideoCall,
    *,
    client: str = "",
    **detail: object,
) -> None:
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action=action,
        resident_id=row.resident_id,
        detail={"call": str(row.id), "application": str(row.application_id)} | detail,
        client=client,
    )
