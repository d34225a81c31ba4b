"""The issuer's review queue for pass applications (seed 000 §二.二.2 通行卡签发).

The queue shows what an issuer needs to decide at a glance (masked identity, the
rules' suggested colour and why); opening one application shows it whole and is
audit-logged. Every staff read and write of an application goes through
``reviewable`` (one application) or the queue query (many), and both ask ``reach``:
a staff member reaches only the applications of the organisations their role is held
for; anything else is "not found", as for residents. A suspended organisation's
applications are refused by name (``OrganisationSuspended``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from healthcode.domain import overrides
from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Forbidden, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import LocalText, Model, Policy
from healthcode.domain.scope import QueueQuery, Scope
from healthcode.domain.state import EvidenceKind, State
from healthcode.services.accounts.permissions import ROLE_PERMISSIONS, Permission, Principal, Role
from healthcode.services.codes.recolour import current_state
from healthcode.services.organisations.applications_seen import seen_from
from healthcode.services.organisations.registry import OrganisationStatus, OrganisationSuspended
from healthcode.services.records.lookup import departments_of
from healthcode.services.residents.results import DeclarationDetail
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


class Source(StrEnum):
    """Where a finding comes from: what the resident declared (or reported), or a
    department's data (the department-data issue adds those records)."""

    DECLARATION = "declaration"
    DEPARTMENT_DATA = "department_data"
    CREDIT = "credit"


@dataclass(frozen=True)
class Finding:
    """One rule the data check found, in words, with where its facts came from."""

    rule_id: str
    colour: Colour
    text: LocalText
    sources: tuple[Source, ...]
    departments: tuple[str, ...] = ()  # the departments whose records it rests on


@dataclass(frozen=True)
class QueueItem:
    application_id: uuid.UUID
    policy: Policy
    submitted_at: datetime
    name_masked: str
    id_masked: str
    region_code: str
    destination: str | None
    purpose: str | None
    state: State
    resident_id: uuid.UUID | None = None
    findings: tuple[Finding, ...] = ()
    temperature_today: float | None = None  # today's latest daily report, if any
    counter: bool = False  # entered at the counter for a person without a phone


@dataclass(frozen=True)
class QueueFilter:
    """What an issuer with a few hundred applications narrows the queue by."""

    suggested: Colour | None = None
    region: str | None = None  # a GB/T 2260 prefix: province, city or county
    purpose: str | None = None
    waiting_hours: int | None = None  # waiting at least this long


@dataclass(frozen=True)
class Named:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class QueueSummary:
    """The whole queue within the caller's reach, filters aside."""

    total: int
    by_suggested: Mapping[Colour, int]
    oldest_since: datetime | None  # when the longest-waiting application was confirmed
    # the organisations whose applications it holds (none: nothing is the caller's to
    # review), and those left out while suspended
    organisations: tuple[Named, ...] = ()
    suspended: tuple[Named, ...] = ()


ACTIVE_GRANT = "active"  # an authorisation in force (``authorisations.AuthorisationStatus``)
REVIEW_PAUSED = N_(
    "Your organisation ({organisation}) is suspended: its pass applications cannot be "
    "reviewed or signed until it is reactivated"
)


class NotAuthorised(Forbidden):
    code = "not_authorised_to_sign"


NOT_AUTHORISED = N_("You are not an authorised issuer of this organisation")


@dataclass(frozen=True)
class Reach:
    """The organisations whose pass applications a staff member acts on with one
    permission: the active ones, those suspended (refused by name), and those a
    signing role names without the organisation's authorisation (refused)."""

    organisations: tuple[Named, ...]
    suspended: tuple[Named, ...]
    unauthorised: frozenset[uuid.UUID] = frozenset()

    @property
    def scope(self) -> Scope:
        return Scope(organisations=frozenset(o.id for o in self.organisations))

    def check(self, organisation_id: uuid.UUID | None) -> None:
        """An application sent to ``organisation_id`` is within reach; else not found
        (one sent nowhere too), or refused while its organisation is suspended or has
        not authorised the caller."""
        paused = [o for o in self.suspended if o.id == organisation_id]
        if paused:
            raise OrganisationSuspended(REVIEW_PAUSED, organisation=paused[0].name)
        if organisation_id is not None and organisation_id in self.unauthorised:
            raise NotAuthorised(NOT_AUTHORISED)
        if all(o.id != organisation_id for o in self.organisations):
            raise NotFound(N_("No such application"))


def reach(uow: UnitOfWork, who: Principal, permission: Permission) -> Reach:
    """Where ``who`` reads (``APPLICATION_READ``) or signs (``PASS_SIGN``) pass
    applications: one rule for the queue and for each application (``reviewable``,
    which signing, calls and paper passes go through). Only the organisations the
    permission is held for (``org:<id>``, given with an authorisation) count. An issuer
    signs in an organisation's name, authorised by it (seed 000 §三 签发人员实行授权签发
    管理; the signature names the authorisation): a role held for a region or the whole
    deployment names no organisation, so it reaches nothing. It used to read every
    application of its region and could sign none of them.

    A signing role (issuer, ``employer_admin``) reaches, to read as to sign, only the
    organisations that authorised the account as an issuer (an active authorisation,
    what a signature names): until stop 43 an ``employer_admin`` role with none read
    the queue (full names and addresses), printed paper passes and entered daily
    reports, though its signature was refused (an outside probe). An organisation's
    administrator reads by its role."""
    held, unauthorised = _held(uow, who, permission)
    rows = uow.organisations.among(held) if held else ()

    def named(status: OrganisationStatus) -> tuple[Named, ...]:
        return tuple(Named(r.id, r.name) for r in rows if r.status == status)

    return Reach(
        named(OrganisationStatus.ACTIVE), named(OrganisationStatus.SUSPENDED), unauthorised
    )


def _held(
    uow: UnitOfWork, who: Principal, permission: Permission
) -> tuple[frozenset[uuid.UUID], frozenset[uuid.UUID]]:
    """The organisations ``permission`` is held for (``org:``) and may be used in, and
    those only a signing role names, without the organisation's issuer authorisation."""
    by_role: set[uuid.UUID] = set()  # a role that does not sign (an administrator)
    by_signer: set[uuid.UUID] = set()
    for role, scope in who.roles:
        if permission in ROLE_PERMISSIONS[role]:
            signs = Permission.PASS_SIGN in ROLE_PERMISSIONS[role]
            (by_signer if signs else by_role).update(Scope.of([scope]).organisations)
    unauthorised = by_signer - by_role
    if unauthorised:
        unauthorised -= {
            a.organisation_id
            for a in uow.authorisations.of_account(who.account_id)
            if a.status == ACTIVE_GRANT and a.role == Role.ISSUER.value
        }
    return frozenset((by_role | by_signer) - unauthorised), frozenset(unauthorised)


def _queue_reach(uow: UnitOfWork, who: Principal) -> Reach:
    """The queue's reach; refused when every organisation in it is suspended."""
    found = reach(uow, who, Permission.APPLICATION_READ)
    if found.suspended and not found.organisations:
        names = "、".join(o.name for o in found.suspended)
        raise OrganisationSuspended(REVIEW_PAUSED, organisation=names)
    return found


@dataclass(frozen=True)
class SignedBy:
    """A signature, explained: who, under which authorisation, and its status now
    (a signature made before a revocation keeps naming the grant it was made under)."""

    colour: str
    note: str
    signed_at: datetime
    authorisation_id: uuid.UUID | None
    signer_name: str
    position: str
    organisation_name: str
    authorisation_status: str


@dataclass(frozen=True)
class ApplicationDetail:
    item: QueueItem
    name: str
    sex: str
    birth_date: date
    address: str
    declaration: DeclarationDetail
    signatures: tuple[SignedBy, ...] = ()


def list_pass_policies(env: Env) -> list[Policy]:
    return [p for p in env.policies.values() if p.model is Model.PASS]


def list_pending_applications(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    filters: QueueFilter | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[QueueItem]]:
    """The waiting applications the caller may read, oldest first, filtered."""
    policies = {p.id: p for p in list_pass_policies(env)}
    query = _query(env, _queue_reach(uow, who), policies, filters or QueueFilter())
    rows = uow.applications.pending(query, limit=limit, offset=offset)
    total = uow.applications.count_pending(query)
    return total, [_item(uow, env, policies[c.policy_id], r, d) for c, r, d in rows]


def summarise_queue(uow: UnitOfWork, env: Env, who: Principal) -> QueueSummary:
    """Counts per suggested colour and the oldest waiting time, within the caller's reach."""
    policies = {p.id: p for p in list_pass_policies(env)}
    found = _queue_reach(uow, who)
    rows = uow.applications.summary(_query(env, found, policies, QueueFilter()))
    counts: dict[Colour, int] = {}
    for suggested, n, _oldest in rows:
        colour = Colour(suggested) if suggested else Colour.GREEN  # no finding
        counts[colour] = counts.get(colour, 0) + n
    oldest = [at for _c, _n, at in rows if at is not None]
    return QueueSummary(
        total=sum(counts.values()),
        by_suggested=MappingProxyType(counts),
        oldest_since=min(oldest) if oldest else None,
        organisations=found.organisations,
        suspended=found.suspended,
    )


def _query(
    env: Env, found: Reach, policies: Mapping[str, Policy], filters: QueueFilter
) -> QueueQuery:
    before = (
        env.clock.now() - timedelta(hours=filters.waiting_hours) if filters.waiting_hours else None
    )
    return QueueQuery(
        policy_ids=list(policies),
        scope=found.scope,
        suggested=filters.suggested.value if filters.suggested else None,
        region_prefix=filters.region or None,
        purpose=filters.purpose or None,
        confirmed_before=before,
    )


def reviewable(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    application_id: uuid.UUID,
    *,
    permission: Permission = Permission.APPLICATION_READ,
    lock: bool = False,
) -> tuple[t.Declaration, t.Resident, Policy]:
    """One pass application the caller may act on with ``permission`` (``reach``), else
    not found, or refused while its organisation is suspended."""
    declaration = uow.declarations.by_id(application_id, lock=lock)
    policies = {p.id: p for p in list_pass_policies(env)}
    if (
        declaration is None
        or declaration.confirmed_at is None
        or declaration.resident_id is None
        or declaration.policy_id not in policies
    ):
        raise NotFound(N_("No such application"))
    reach(uow, who, permission).check(declaration.organisation_id)
    resident = uow.residents.by_id(declaration.resident_id)
    assert resident is not None
    return declaration, resident, policies[declaration.policy_id]


def open_application(
    uow: UnitOfWork, env: Env, who: Principal, *, application_id: uuid.UUID, client: str = ""
) -> ApplicationDetail:
    declaration, resident, policy = reviewable(uow, env, who, application_id)
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="application.viewed",
        resident_id=resident.id,
        detail={"application": str(application_id)},
        client=client,
    )
    return ApplicationDetail(
        item=_item(uow, env, policy, resident, declaration),
        name=resident.name,
        sex=resident.sex,
        birth_date=resident.birth_date,
        address=resident.address,
        declaration=DeclarationDetail.of(declaration),
        signatures=signatures_of(uow, application_id),
    )


def signatures_of(uow: UnitOfWork, application_id: uuid.UUID) -> tuple[SignedBy, ...]:
    return tuple(
        SignedBy(
            colour=s.colour,
            note=s.note,
            signed_at=s.signed_at,
            authorisation_id=s.authorisation_id,
            signer_name=a.name if a else "",
            position=a.position if a else "",
            organisation_name=o.name if o else "",
            authorisation_status=a.status if a else "",
        )
        for s, a, o in uow.authorisations.of_signatures(application_id)
    )


def _item(
    uow: UnitOfWork, env: Env, policy: Policy, resident: t.Resident, declaration: t.Declaration
) -> QueueItem:
    assert declaration.confirmed_at is not None
    now = current_state(uow, env, resident_id=resident.id, policy=policy)
    state = seen_from(uow, policy, now, declaration)  # nothing of another organisation's
    theirs = state.colour is Colour.NONE and now.colour is not Colour.NONE
    return QueueItem(
        application_id=declaration.id,
        policy=policy,
        submitted_at=declaration.confirmed_at,
        name_masked=resident.name_masked,
        id_masked=resident.id_masked,
        region_code=resident.region_code,
        destination=declaration.destination,
        purpose=declaration.purpose,
        state=state,
        resident_id=resident.id,
        findings=findings_of(policy, state, _departments(uow, state)),
        temperature_today=None
        if theirs
        else _temperature_today(uow, env, resident.id, declaration.id),
        counter=declaration.entered_by is not None,
    )


def _departments(uow: UnitOfWork, state: State) -> dict[str, str]:
    ids = [e.id for r in state.reasons for e in r.evidence if e.kind is EvidenceKind.RECORD]
    return departments_of(uow, ids) if ids else {}


def _temperature_today(
    uow: UnitOfWork, env: Env, resident_id: uuid.UUID, application_id: uuid.UUID
) -> float | None:
    """Today's latest temperature: a daily report, or a reading taken on a video call."""
    day = day_of(env.clock.now())
    report = uow.daily_reports.latest_on(resident_id, day)
    readings = [
        (c.reading_at, c.temperature)
        for c in uow.video_calls.of_application(application_id, limit=5)
        if c.temperature is not None and c.reading_at is not None and day_of(c.reading_at) == day
    ]
    if report is not None and report.temperature is not None:
        readings.append((report.reported_at, report.temperature))
    return max(readings)[1] if readings else None


_SOURCES = {
    EvidenceKind.OBSERVATION: Source.DECLARATION,
    EvidenceKind.RECORD: Source.DEPARTMENT_DATA,
    EvidenceKind.CREDIT_RECORD: Source.CREDIT,
}


def findings_of(
    policy: Policy, state: State, departments: Mapping[str, str] | None = None
) -> tuple[Finding, ...]:
    """What the data check found: the rules that fired (the pass life cycle aside),
    each with its sources and, for department data, the departments (record id →
    department in `departments`)."""
    life = {r.id for r in policy.rules if r.mechanism is not None}
    known = departments or {}
    return tuple(
        Finding(
            rule_id=r.rule_id,
            colour=r.colour,
            text=r.text,
            sources=tuple(
                dict.fromkeys(_SOURCES[e.kind] for e in r.evidence if e.kind in _SOURCES)
            ),
            departments=tuple(
                dict.fromkeys(
                    known[e.id]
                    for e in r.evidence
                    if e.kind is EvidenceKind.RECORD and e.id in known
                )
            ),
        )
        for r in state.reasons
        if r.rule_id not in life and r.rule_id != overrides.RULE_ID
    )
