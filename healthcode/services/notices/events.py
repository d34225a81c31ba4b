"""The events that notify someone, each to its own recipients and only them.

Every notification is written in the caller's transaction with its outbox message
(``outbox.enqueue``), so it exists, and is sent, only if the change it tells of
commits. Residents' notifications belong to the resident; staff's to the account. A
family member with no account of their own is told through the guardian who holds
their codes (``dependants``): the notification is the guardian account's, naming the
member (``texts.MEMBER``), and its message goes to the guardian's phone. Once the
link ends, the member's new notifications no longer reach the former guardian.

* colour changed → the resident (``recolour`` calls ``colour_changed``); when a
  department record changed it, also the issuers of the organisation that signed
  the resident's pass (``resident_recoloured``)
* application waiting → the active issuers of the application's organisation, at
  most one "N applications waiting" per issuer per interval (``application_waiting``)
* signed → the resident (``pass_signed``)
* more information needed → the resident, with what is needed
  (``notify_more_information``, for the review queue's yellow outcome)
* not eligible → the organisation's prevention contact by phone
  (``notify_prevention_contact``, for the red outcome)
* a staff check-in flagged (fever or symptoms) → the employer's administrators
  (``checkin_flagged``)
* pass about to lapse, report due → the resident (``reminders``, run by a job)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog

from healthcode.domain.errors import FieldError, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Model
from healthcode.services.notices import outbox
from healthcode.services.notices.outbox import Recipient, recipient_of
from healthcode.services.notices.texts import MEMBER, MEMBER_ID, Kind
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

log = structlog.get_logger()
ISSUER = "issuer"  # the authorisations' role that reviews applications
DATA_CAUSE = "data"  # recolour's cause for a department record (codes/recolour.py Cause.DATA)
ORG_ADMIN = "org_admin"  # the authorisations' role that administers an organisation
MAX_ITEMS, MAX_ITEM_CHARS = 20, 200


def notify(
    uow: UnitOfWork,
    env: Env,
    *,
    kind: Kind,
    params: Mapping[str, Any],
    resident_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    dedup_key: str | None = None,
    at: datetime | None = None,
) -> t.Notification | None:
    """One notification to one person, and its message for the outbound channel;
    None if one with the same ``dedup_key`` exists already."""
    assert (resident_id is None) != (account_id is None), "exactly one recipient"
    if resident_id is not None:
        resident_id, account_id, payload, account = _reached(uow, resident_id, params)
    else:
        payload, account = dict(params), uow.accounts.by_id(account_id)  # type: ignore[arg-type]
    row = t.Notification(
        id=uuid.uuid4(),
        resident_id=resident_id,
        account_id=account_id,
        at=at or env.clock.now(),
        kind=kind.value,
        payload=payload,
        dedup_key=dedup_key,
    )
    if dedup_key is None:
        uow.add(row)
    elif not uow.notifications.add_once(row):
        return None
    outbox.enqueue(uow, env, kind=kind.value, to=recipient_of(account), notification_id=row.id)
    return row


def _reached(
    uow: UnitOfWork, resident_id: uuid.UUID, params: Mapping[str, Any]
) -> tuple[uuid.UUID | None, uuid.UUID | None, dict[str, Any], t.Account | None]:
    """A resident's notification, to their own account or, for a family member with
    none, to their guardian's (``_addressed``), and the account whose phone it goes to."""
    account = uow.accounts.by_resident(resident_id)
    held = uow.dependants.guardian_of(resident_id) if account is None else None
    if held is None:
        return resident_id, None, dict(params), account
    guardian, member = held
    return (*_addressed(resident_id, params, guardian=guardian.id, member=member), guardian)


def _addressed(
    resident_id: uuid.UUID,
    params: Mapping[str, Any],
    *,
    guardian: uuid.UUID | None,
    member: str | None,
) -> tuple[uuid.UUID | None, uuid.UUID | None, dict[str, Any]]:
    """Whose a resident's notification is, and what it says: the resident's own, or,
    for a family member with no account, the guardian account's, naming the member
    (the resident id, the account id, the parameters)."""
    if guardian is None:
        return resident_id, None, dict(params)
    named = {**params, MEMBER: member, MEMBER_ID: str(resident_id)}
    return None, guardian, named


def colour_changed(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID, at: datetime, params: Mapping[str, Any]
) -> None:
    notify(uow, env, kind=Kind.COLOUR_CHANGED, params=params, resident_id=resident_id, at=at)
    if params.get("cause") == DATA_CAUSE:
        _tell_issuers(uow, env, resident_id=resident_id, at=at, params=params)


def _tell_issuers(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID, at: datetime, params: Mapping[str, Any]
) -> None:
    """A department record recoloured a pass an issuer signed: tell the active issuers
    of the organisation it was signed in (issue 13 item 4), once per change each."""
    policy_id = str(params.get("policy", ""))
    policy = env.policies.get(policy_id)
    if policy is None or policy.model is not Model.PASS:
        return  # only passes are signed: no query for an automatic code
    application = uow.signatures.latest_signed(resident_id, policy_id)
    if application is None or application.organisation_id is None:
        return
    organisation = uow.organisations.by_id(application.organisation_id)
    resident = uow.residents.by_id(resident_id)
    if organisation is None or resident is None:
        return
    told = {
        **params,
        "resident": resident.name_masked,
        "application": str(application.id),
        "organisation_name": organisation.name,
    }
    for account_id in uow.authorisations.holders(organisation.id, ISSUER):
        notify(
            uow,
            env,
            kind=Kind.RESIDENT_RECOLOURED,
            params=told,
            account_id=account_id,
            dedup_key=f"recoloured:{resident_id}:{policy_id}:{at.isoformat()}:{account_id}",
            at=at,
        )


def colour_changes(
    uow: UnitOfWork, env: Env, changes: Sequence[tuple[uuid.UUID, datetime, Mapping[str, Any]]]
) -> None:
    """``colour_changed`` for many (resident, at, params) at once: one read of the
    recipients (family members' guardians among them), one insert of the
    notifications, one of their outbox messages."""
    if not changes:
        return
    accounts = uow.code_batches.recipients(resident_id for resident_id, _, _ in changes)
    notices: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    kind = Kind.COLOUR_CHANGED.value
    for resident_id, at, params in changes:
        notice_id = uuid.uuid4()
        contact = accounts.get(resident_id)
        guardian, member = (contact.guardian, contact.member) if contact else (None, None)
        owner, account_id, payload = _addressed(
            resident_id, params, guardian=guardian, member=member
        )
        notice = {
            "id": notice_id,
            "resident_id": owner,
            "account_id": account_id,
            "at": at,
            "kind": kind,
            "payload": payload,
            "dedup_key": None,
        }
        notices.append(notice)
        to = recipient_of(contact)
        messages.append(outbox.message_values(env, kind, to, notification_id=notice_id))
    uow.code_batches.insert(t.Notification, notices)
    uow.code_batches.insert(t.OutboxMessage, messages)
    for resident_id, at, params in changes:
        if params.get("cause") == DATA_CAUSE:  # a pass's issuers, as colour_changed does
            _tell_issuers(uow, env, resident_id=resident_id, at=at, params=params)


def application_waiting(uow: UnitOfWork, env: Env, *, application_id: uuid.UUID) -> None:
    """An application has entered its organisation's queue: tell that organisation's
    active issuers, batched (one notification per issuer per interval whose count
    grows; one outbound message for it)."""
    application = uow.declarations.by_id(application_id)
    if application is None or application.organisation_id is None:
        return
    if application.entered_by is not None:  # at a counter: signed there, it never waits
        return
    organisation = uow.organisations.by_id(application.organisation_id)
    if organisation is None:
        return
    for account_id in uow.authorisations.holders(organisation.id, ISSUER):
        _waiting(uow, env, account_id, organisation)


def waiting_for_new_issuer(
    uow: UnitOfWork, env: Env, *, account_id: uuid.UUID, organisation_id: uuid.UUID, count: int
) -> None:
    """An issuer authorised now for an organisation whose queue already holds ``count``
    applications: told once, with how many. They were announced to the issuers of the
    moment, and a community just registered has none: an unrouted county's applications
    routed to it waited for whoever would be authorised first."""
    organisation = uow.organisations.by_id(organisation_id)
    if organisation is not None and count > 0:
        _waiting(uow, env, account_id, organisation, count)


def _waiting(
    uow: UnitOfWork, env: Env, account_id: uuid.UUID, organisation: t.Organisation, count: int = 1
) -> None:
    now = env.clock.now()
    interval = env.settings.notify_waiting_minutes * 60
    key = f"waiting:{account_id}:{organisation.id}:{int(now.timestamp() // interval)}"
    row = uow.notifications.by_key(key, lock=True)
    if row is None:
        params = {
            "organisation": str(organisation.id),
            "organisation_name": organisation.name,
            "count": count,
        }
        if notify(
            uow,
            env,
            kind=Kind.APPLICATIONS_WAITING,
            params=params,
            account_id=account_id,
            dedup_key=key,
        ):
            return
        row = uow.notifications.by_key(key, lock=True)  # a concurrent first one
        assert row is not None
    row.payload = {**row.payload, "count": int(row.payload.get("count", 0)) + count}
    row.at, row.read_at = now, None


def pass_signed(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_id: uuid.UUID,
    policy_id: str,
    application_id: uuid.UUID,
    colour: str,
) -> None:
    params = {"policy": policy_id, "application": str(application_id), "colour": colour}
    notify(uow, env, kind=Kind.PASS_SIGNED, params=params, resident_id=resident_id)


def notify_more_information(
    uow: UnitOfWork,
    env: Env,
    resident_id: uuid.UUID,
    items: list[str],
    *,
    policy_id: str = "shandong-pass",
) -> t.Notification:
    """Tell the resident exactly what is needed (the review's yellow outcome)."""
    needed = [item.strip() for item in items if item and item.strip()]
    if not needed or len(needed) > MAX_ITEMS or any(len(i) > MAX_ITEM_CHARS for i in needed):
        raise InvalidInput(
            FieldError(
                "items", "invalid", N_("Say what is needed: 1 to 20 items of up to 200 characters")
            )
        )
    if uow.residents.by_id(resident_id) is None:
        raise NotFound(N_("Not found"))
    row = notify(
        uow,
        env,
        kind=Kind.MORE_INFORMATION,
        params={"policy": policy_id, "items": needed},
        resident_id=resident_id,
    )
    assert row is not None
    return row


def notify_prevention_contact(
    uow: UnitOfWork, env: Env, organisation_id: uuid.UUID, resident_id: uuid.UUID, reason: str
) -> t.OutboxMessage | None:
    """Text the organisation's prevention contact that a resident was found not
    eligible (red); None when the organisation has no contact phone on record."""
    organisation = uow.organisations.by_id(organisation_id)
    resident = uow.residents.by_id(resident_id)
    if organisation is None or resident is None:
        raise NotFound(N_("Not found"))
    if organisation.contact_phone_cipher is None:
        log.warning("notice.no_contact_phone", organisation=str(organisation_id))
        return None
    return outbox.enqueue(
        uow,
        env,
        kind=Kind.NOT_ELIGIBLE.value,
        to=Recipient(organisation.contact_phone_cipher, organisation.contact_phone_masked, "zh"),
        organisation_id=organisation.id,
        params={
            "organisation_name": organisation.name,
            "resident": resident.name_masked,
            "region": resident.region_code,
            "reason": reason.strip()[:200],
        },
    )


def checkin_flagged(
    uow: UnitOfWork,
    env: Env,
    *,
    organisation_id: uuid.UUID,
    organisation_name: str,
    checkin_id: uuid.UUID,
    name: str,
    window: str,
    temperature: float,
    symptoms: bool,
) -> None:
    """A staff check-in showed a fever or symptoms: tell each of the employer's active
    administrators, once per check-in."""
    params = {
        "organisation": str(organisation_id),
        "organisation_name": organisation_name,
        "name": name,
        "window": window,
        "temperature": temperature,
        "symptoms": symptoms,
    }
    for account_id in uow.authorisations.holders(organisation_id, ORG_ADMIN):
        notify(
            uow,
            env,
            kind=Kind.CHECKIN_FLAGGED,
            params=params,
            account_id=account_id,
            dedup_key=f"checkin:{checkin_id}:{account_id}",
        )
