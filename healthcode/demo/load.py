"""A realistic demo region: a few hundred residents of Binzhou and Jinan in every colour.

``make run`` loads it on first start so that every page, queue and dashboard has
something true to show. Each resident lives a short story of the last three weeks
through the real services (``demo_stories``), so the colours, their histories, the
14-day streaks and the notifications are the system's own. Everything is drawn from
one seeded random generator: the same seed and day give the same region.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog

from healthcode.demo.people import (
    BINZHOU_COUNTIES,
    COMMUNITY,
    JINAN_COUNTIES,
    WORKPLACES,
    County,
    Population,
    uscc,
)
from healthcode.demo.scenes import SCENES, Scene
from healthcode.demo.stories import BINZHOU, Cast, Stage, Story
from healthcode.domain.clock import Clock, FixedClock, SystemClock, day_of, start_of
from healthcode.domain.errors import Conflict
from healthcode.domain.i18n import N_
from healthcode.domain.scope import org_scope
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.organisations.authorisations import grant
from healthcode.services.organisations.registry import (
    OrganisationKind,
    OrganisationStatus,
    approve_employer,
    register,
)
from healthcode.services.scanning.venues import VenueKind, assign_operator, register_venue
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork

log = structlog.get_logger()

EnvFactory = Callable[[Clock], Env]
Units = Callable[[], AbstractContextManager[UnitOfWork]]  # a UnitOfWorkFactory, or a test's
BASE = 300  # scene shares are residents per 300
HISTORY_DAYS = 21
LAST_HOUR_OF_A_PAST_DAY = 18
PHONES_PER_COLOUR = 3
GREEN_SHARE = 0.7  # of the residents no scene claims: binzhou greens, the rest green passes


class DemoNotEmpty(Conflict):
    code = "demo_not_empty"


@dataclass(frozen=True)
class StaffLogin:
    username: str
    password: str | None  # None: the account was there before the demo and kept its password
    display_name: str
    roles: tuple[tuple[Role, str], ...]


@dataclass(frozen=True)
class StoryResult:
    """How the residents of one kind of story ended, and one of them to try."""

    name: str
    label: str
    policy: str
    expected: str  # the colour the story is written to end in
    colours: Mapping[str, int]
    phone: str


@dataclass(frozen=True)
class DemoSummary:
    today: date
    residents: int
    colours: Mapping[str, Mapping[str, int]]  # policy → colour → residents
    phones: Mapping[str, Mapping[str, tuple[str, ...]]]  # policy → colour → a few to try
    stories: tuple[StoryResult, ...]
    staff: tuple[StaffLogin, ...]


def refuse_if_not_empty(uow: UnitOfWork) -> None:
    """A demo (stories or generated) goes into an empty database only."""
    if count := uow.residents.count():
        raise DemoNotEmpty(
            N_("The database already has {count} residents; the demo needs an empty one"),
            count=count,
        )


def load_demo(
    units: Units,
    env_factory: EnvFactory,
    *,
    residents: int = 300,
    seed: int = 2020,
    today: date | None = None,
) -> DemoSummary:
    """Load the demo into an empty database, in one transaction so that a failure
    leaves it empty (and `demo --if-empty` can simply run again).

    The demo ends at the current instant when `today` is the real today (so nothing
    lies in the future of a live server), else at 18:00 on `today`.
    """
    with units() as uow:
        refuse_if_not_empty(uow)
    rng = random.Random(seed)
    scenes = _casting(residents, rng)
    end = _end(today)
    first = start_of(day_of(end) - timedelta(days=HISTORY_DAYS))
    clock = FixedClock(first + timedelta(hours=7))  # the staff start work
    env = env_factory(clock)
    population = Population(rng)
    results: list[tuple[Scene, str, str]] = []
    with units() as uow:
        logins, cast = _staff(uow, env, _organisations(uow, env, seed))
        stage = Stage(env, clock, end, cast)
        for scene in scenes:
            counties = BINZHOU_COUNTIES if scene.policy == BINZHOU else _pass_counties(rng)
            person = population.person(counties)
            clock.set(first)
            story = Story(stage, uow, person, rng)
            scene.play(story)
            results.append((scene, story.finish().value, person.phone))
    log.info("demo.loaded", residents=len(results), seed=seed, today=day_of(end).isoformat())
    return _summary(day_of(end), results, logins)


def _end(today: date | None) -> datetime:
    """The demo's last instant; never later than now, so a live server sees it all."""
    now = SystemClock().now()
    if today is None or today == day_of(now):
        return now
    if today > day_of(now):
        raise ValueError("the demo cannot end on a day that has not come yet")
    return start_of(today) + timedelta(hours=LAST_HOUR_OF_A_PAST_DAY)


def _casting(residents: int, rng: random.Random) -> list[Scene]:
    """Every scene at least once, scaled to the population; greens fill the rest."""
    counts = _scene_counts(residents)
    if counts is None:
        raise ValueError(f"the demo needs at least {minimum_residents()} residents")
    cast = [s for s in SCENES for _ in range(counts[s.name])]
    rng.shuffle(cast)
    return cast


def _scene_counts(residents: int) -> dict[str, int] | None:
    counts = {s.name: max(1, round(s.share * residents / BASE)) for s in SCENES if s.share}
    rest = residents - sum(counts.values())
    if rest < 2:
        return None
    binzhou = max(1, min(rest - 1, round(rest * GREEN_SHARE)))
    fillers = [s.name for s in SCENES if not s.share]
    return counts | {fillers[0]: binzhou, fillers[1]: rest - binzhou}


def minimum_residents() -> int:
    """The smallest demo that still shows every story."""
    return next(n for n in range(2, 10 * BASE) if _scene_counts(n) is not None)


def _pass_counties(rng: random.Random) -> tuple[County, ...]:
    """Pass holders live in Binzhou or commute from Jinan."""
    return BINZHOU_COUNTIES if rng.random() < 0.6 else JINAN_COUNTIES


_STAFF: tuple[tuple[str, str, str, Role, str], ...] = (
    ("admin", "demo-admin-2020", "指挥部管理员", Role.ADMIN, ""),
    ("issuer.huanghe", "demo-issuer-2020", "黄河五路社区签发人", Role.ISSUER, "community"),
    ("issuer.bohai", "demo-issuer-2020", "渤海示范机械签发人", Role.ISSUER, "employer"),
    ("orgadmin.huanghe", "demo-orgadmin-2020", "黄河五路社区管理员", Role.ORG_ADMIN, "community"),
    ("orgadmin.bohai", "demo-orgadmin-2020", "渤海示范机械管理员", Role.ORG_ADMIN, "employer"),
    ("issuer.bohaiqi", "demo-issuer-2020", "渤海七路社区签发人", Role.ISSUER, "community2"),
    ("orgadmin.bohaiqi", "demo-orgadmin-2020", "渤海七路社区管理员", Role.ORG_ADMIN, "community2"),
    ("issuer.quancheng", "demo-issuer-2020", "泉城路社区签发人", Role.ISSUER, "jinan"),
    ("orgadmin.quancheng", "demo-orgadmin-2020", "泉城路社区管理员", Role.ORG_ADMIN, "jinan"),
    ("checkpoint.west", "demo-checkpoint-2020", "滨州西收费站卡口", Role.CHECKPOINT, "community"),
    ("data.cdc", "demo-data-2020", "市疾控中心数据员", Role.DATA_OPERATOR, "dept:health"),
    ("auditor", "demo-auditor-2020", "审计员", Role.AUDITOR, ""),
)


# Two more communities: one beside the first in Binzhou's Bincheng district, one in Jinan.
_MORE_COMMUNITIES = (
    ("community2", "渤海七路社区居民委员会", "371602", "滨州市滨城区渤海七路 100 号", "李建华"),
    ("jinan", "泉城路社区居民委员会", "370102", "济南市历下区泉城路 180 号", "赵丽"),
)


def _organisations(uow: UnitOfWork, env: Env, seed: int) -> dict[str, uuid.UUID]:
    """The community most demo passes go to, two more, and the employer the rest work
    for (registered pending; its community's administrator approves it, ``_staff``)."""
    more = {
        key: register(
            uow,
            env,
            kind=OrganisationKind.COMMUNITY,
            credit_code=uscc(random.Random(seed + 2 + i), region, authority="59"),
            name=name,
            responsible_person=person,
            region_code=region,
            address=address,
            status=OrganisationStatus.ACTIVE,
        ).id
        for i, (key, name, region, address, person) in enumerate(_MORE_COMMUNITIES)
    }
    community = register(
        uow,
        env,
        kind=OrganisationKind.COMMUNITY,
        credit_code=uscc(random.Random(seed + 1), COMMUNITY.region, authority="59"),
        name=COMMUNITY.name,
        responsible_person="王秀兰",
        region_code=COMMUNITY.region,
        address=COMMUNITY.address,
        status=OrganisationStatus.ACTIVE,
    )
    employer = WORKPLACES[0]
    company = register(
        uow,
        env,
        kind=OrganisationKind.EMPLOYER,
        credit_code=uscc(random.Random(seed), employer.region),
        name=employer.name,
        responsible_person="张建国",
        region_code=employer.region,
        address=employer.address,
        parent_id=community.id,
        status=OrganisationStatus.PENDING,
    )
    return {"community": community.id, "employer": company.id} | more


def _staff(
    uow: UnitOfWork, env: Env, organisations: Mapping[str, uuid.UUID]
) -> tuple[tuple[StaffLogin, ...], Cast]:
    """The staff accounts, issuers authorised for their organisation; a username already
    taken is kept as it is."""
    logins, ids = [], {}
    for username, password, shown, role, place in _STAFF:
        organisation = organisations.get(place)
        scope = org_scope(organisation) if organisation else place
        roles = ((role, scope),)
        ids[username], created = _ensure_staff(uow, env, username, password, shown, roles)
        if created and organisation and role is not Role.CHECKPOINT:  # guards: _venues
            grant(
                uow,
                env,
                account_id=ids[username],
                organisation_id=organisation,
                role=role,
                name=shown,
                position="管理员" if role is Role.ORG_ADMIN else "签发人",
            )
        logins.append(StaffLogin(username, password if created else None, shown, roles))
    employer = uow.organisations.by_id(organisations["employer"])
    approver = principal_of(uow, account_id=ids["orgadmin.huanghe"])
    if employer is not None and employer.status == OrganisationStatus.PENDING:
        approve_employer(uow, env, approver, organisation_id=employer.id)
    _venues(uow, env, approver, organisations["community"], ids["checkpoint.west"])
    cast = Cast(
        community_issuer=ids["issuer.huanghe"],
        employer_issuer=ids["issuer.bohai"],
        community=organisations["community"],
        employer_organisation=organisations["employer"],
        employer=WORKPLACES[0],
        data_operator=ids["data.cdc"],
        admin=ids["admin"],
    )
    return tuple(logins), cast


# The community's venues: a checkpoint its guard scans at, and a market whose printed
# code (场所码) residents scan to check in. (name, kind, address, latitude, longitude)
_VENUES = (
    ("滨州西收费站卡口", VenueKind.CHECKPOINT, "G25 长深高速滨州西收费站", 37.3835, 117.9261),
    ("黄河五路农贸市场", VenueKind.MARKET, "滨州市滨城区黄河五路 210 号", 37.3781, 117.9903),
)


def _venues(
    uow: UnitOfWork, env: Env, admin: Principal, community: uuid.UUID, guard: uuid.UUID
) -> None:
    """Registered by the community's administrator, the checkpoint operated by its guard."""
    for name, kind, address, latitude, longitude in _VENUES:
        venue = register_venue(
            uow, env, admin, organisation_id=community, kind=kind, name=name,
            address=address, latitude=latitude, longitude=longitude,
        )  # fmt: skip
        if kind is VenueKind.CHECKPOINT:
            assign_operator(uow, env, admin, venue_id=venue.id, account_id=guard)


def _ensure_staff(
    uow: UnitOfWork,
    env: Env,
    username: str,
    password: str,
    shown: str,
    roles: tuple[tuple[Role, str], ...],
) -> tuple[uuid.UUID, bool]:
    existing = uow.accounts.by_username(username)
    if existing is not None:
        return existing.id, False
    account = create_staff(
        uow, env, username=username, password=password, display_name=shown, roles=roles
    )
    return account.id, True


def _summary(
    today: date, results: list[tuple[Scene, str, str]], staff: tuple[StaffLogin, ...]
) -> DemoSummary:
    colours: dict[str, Counter[str]] = defaultdict(Counter)
    phones: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    by_scene: dict[str, Counter[str]] = defaultdict(Counter)
    first_phone: dict[str, str] = {}
    for scene, colour, phone in results:
        colours[scene.policy][colour] += 1
        if len(phones[scene.policy][colour]) < PHONES_PER_COLOUR:
            phones[scene.policy][colour].append(phone)
        by_scene[scene.name][colour] += 1
        first_phone.setdefault(scene.name, phone)
    return DemoSummary(
        today=today,
        residents=len(results),
        colours={p: dict(sorted(c.items())) for p, c in sorted(colours.items())},
        phones={
            p: {c: tuple(v) for c, v in sorted(by.items())} for p, by in sorted(phones.items())
        },
        stories=tuple(
            StoryResult(
                s.name,
                s.label,
                s.policy,
                s.colour.value,
                dict(by_scene[s.name]),
                first_phone[s.name],
            )
            for s in SCENES
            if s.name in first_phone
        ),
        staff=staff,
    )
