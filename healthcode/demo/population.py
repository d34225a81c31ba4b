"""A province-sized population, written with COPY (issue 13 item 11, issue 14 item 5).

``healthcode demo --residents N`` beyond a few thousand, the import and batch
benchmarks, and anyone who needs a million residents use this. Each resident gets
a home county (Binzhou, Jinan), a valid ID number, a binzhou-code declaration, a
code with its colour, reasons and history, the daily reports and department
records their profile implies (``profiles``), and scans at their county's venues.
The colours are the engine's: each profile is evaluated once and copied.

Rows are made a chunk of residents at a time and written with COPY on PostgreSQL
(multi-row INSERT on SQLite, through ``store.bulk``), all in the caller's one
transaction: a failure leaves the database as it was. The same seed gives the same
population; ``id_number_of(n)`` gives resident n's ID number without the database
(a benchmark builds its import file from it).
"""

from __future__ import annotations

import base64
import random
import uuid
from bisect import bisect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from operator import mul
from typing import Any

from healthcode.demo.people import BINZHOU_COUNTIES, JINAN_COUNTIES, County, uscc
from healthcode.demo.profiles import (
    DECLARED_HOUR,
    RECEIVED_HOUR,
    REPORT_HOUR,
    SHARES,
    Template,
    life_of,
    template_of,
)
from healthcode.domain.clock import day_of, start_of
from healthcode.domain.identity.id_number import mask_id_number
from healthcode.domain.identity.names import mask_name
from healthcode.services.codes import colour_cache
from healthcode.services.residents.declarations import PLEDGE_VERSION
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.bulk import keys_set_aside, write_rows
from healthcode.store.uow import UnitOfWork

POLICY = "binzhou-code"
CHUNK = 20_000
VENUES_PER_COUNTY = 40
SCAN_DAYS = 7
COUNTIES: tuple[County, ...] = BINZHOU_COUNTIES + JINAN_COUNTIES
_BIRTH_DAYS = 20_000  # born 1950-01-01 … 2004-10-04
_ORDERS = 999
_SPACE = _BIRTH_DAYS * len(COUNTIES) * _ORDERS  # distinct ID numbers available
_STRIDE = 1_000_003  # coprime with _SPACE: n → ID number is one-to-one
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643
_ASCII_ZERO = ord("0") * sum(_WEIGHTS)
_FIRST_BIRTH = date(1950, 1, 1)
_SURNAMES = "王张李刘陈杨赵孙马高徐郭韩曹宋吴周于田朱孟秦董魏崔"
_GIVEN = "伟强磊军勇涛斌超刚建国志明海波峰芳娜敏静丽艳娟霞燕玲秀英桂兰"

Progress = Callable[[int], None]  # residents written so far


@dataclass
class PopulationSummary:
    residents: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    colours: Counter[str] = field(default_factory=Counter)
    profiles: Counter[str] = field(default_factory=Counter)


def id_number_of(n: int) -> str:
    """Resident n's ID number (0 ≤ n < about 240 million), the same in every run."""
    return _person(n)[0]


def _person(n: int) -> tuple[str, County, date]:
    k = (n * _STRIDE + 7) % _SPACE
    day, rest = k % _BIRTH_DAYS, k // _BIRTH_DAYS
    county, order = COUNTIES[rest % len(COUNTIES)], rest // len(COUNTIES) + 1
    birth = _FIRST_BIRTH + timedelta(days=day)
    body = f"{county.id_code}{birth:%Y%m%d}{order:03d}"
    total = sum(map(mul, body.encode(), _WEIGHTS)) - _ASCII_ZERO
    return body + "10X98765432"[total % 11], county, birth


def generate_population(
    uow: UnitOfWork,
    env: Env,
    *,
    residents: int,
    seed: int = 2020,
    scans_per_resident: float = 1.0,
    progress: Progress | None = None,
) -> PopulationSummary:
    """Write ``residents`` residents and everything about them; the caller commits."""
    now = env.clock.now()
    gen = _Generator(uow, env, random.Random(seed), now, scans_per_resident)
    summary = PopulationSummary()
    with keys_set_aside(uow.session, list(_COLUMNS)):  # made again, checked, at the end
        for first in range(0, residents, CHUNK):
            gen.chunk(range(first, min(first + CHUNK, residents)), summary)
            if progress is not None:
                progress(summary.residents)
    gen.finish(summary)
    # The codes were written without recolour (which forgets each one it changes):
    # a cache kept from an earlier database with the same seed's ids must go.
    uow.after_commit(lambda: colour_cache.forget_all(env))
    return summary


class _Generator:
    def __init__(
        self, uow: UnitOfWork, env: Env, rng: random.Random, now: datetime, scans: float
    ) -> None:
        self.uow, self.env, self.rng, self.now = uow, env, rng, now
        self.today = day_of(now)
        self.policy = env.policies.find(POLICY)
        self.scans = scans
        self.plans: dict[Any, _Plan] = {}
        self.profiles = list(SHARES)
        self.cumulative = list(accumulate(SHARES.values()))
        self.total = self.cumulative[-1]
        self.created = now - timedelta(days=30)
        self.venues = self._venues()
        self.batches = self._batches()

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128))

    def _plan(self) -> _Plan:
        profile = self.profiles[bisect(self.cumulative, self.rng.random() * self.total)]
        life = life_of(profile, self.rng)
        found = self.plans.get((profile, life))
        if found is None:
            template = template_of(self.policy, profile, life, self.now, self.today)
            found = self.plans[(profile, life)] = _Plan.of(template, self.today, self.batches)
        return found

    def _venues(self) -> dict[str, list[uuid.UUID]]:
        """A community per county and its venues (gates, markets, pharmacies...)."""
        venues: dict[str, list[uuid.UUID]] = {}
        for county in COUNTIES:
            org = t.Organisation(
                id=self._uuid(),
                kind="community",
                credit_code=uscc(self.rng, county.code, "59"),
                name=f"{county.estates[0]}社区居民委员会",
                responsible_person="王主任",
                region_code=county.code,
                status="active",
                created_at=self.now - timedelta(days=60),
            )
            self.uow.add(org)
            venues[county.code] = []
            for i in range(VENUES_PER_COUNTY):
                kind = ("community_gate", "market", "pharmacy", "checkpoint", "school")[i % 5]
                venue = t.Venue(
                    id=self._uuid(),
                    organisation_id=org.id,
                    kind=kind,
                    name=f"{county.streets[i % len(county.streets)]}{kind}{i + 1}",
                    region_code=county.code,
                    code=base64.urlsafe_b64encode(self.rng.randbytes(15)).decode(),
                    created_at=self.now - timedelta(days=60),
                )
                self.uow.add(venue)
                venues[county.code].append(venue.id)
        self.uow.flush()
        return venues

    def _batches(self) -> dict[tuple[str, str], t.ImportBatch]:
        """The import batches the generated department records came in (one per
        department and kind), so that a batch can be listed and rolled back."""
        batches = {}
        for department, kind in (
            ("carrier", "travel"),
            ("health", "close_contact"),
            ("medical_insurance", "fever_clinic"),
            ("health", "confirmed"),
        ):
            batch = t.ImportBatch(
                id=self._uuid(),
                department=department,
                kind=kind,
                file_name=f"generated-{kind}.csv",
                started_at=self.now - timedelta(days=1),
                finished_at=self.now - timedelta(days=1),
                status="committed",
            )
            self.uow.add(batch)
            batches[(department, kind)] = batch
        self.uow.flush()
        return batches

    def chunk(self, numbers: range, summary: PopulationSummary) -> None:
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _COLUMNS}
        for n in numbers:
            self._resident(n, rows, summary)
        session = self.uow.session
        for name, columns in _COLUMNS.items():
            table = t.Base.metadata.tables[name]
            summary.rows[name] += write_rows(session, table, columns, rows[name])
        summary.residents += len(numbers)

    def _resident(
        self, n: int, rows: dict[str, list[tuple[Any, ...]]], summary: PopulationSummary
    ) -> None:
        rng, now, new_id, version = self.rng, self.now, self._uuid, self.policy.version
        plan = self._plan()
        template = plan.template
        summary.profiles[template.profile] += 1
        summary.colours[template.colour.value] += 1
        number, county, birth = _person(n)
        rid = new_id()
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + (rng.choice(_GIVEN) if n % 3 else "")
        masked = mask_name(name)
        protector = self.env.protector
        rows["residents"].append(
            (rid, base64.urlsafe_b64encode(rng.randbytes(12)).decode(), name, masked,
             "resident_id", protector.keyed_hash(number, kind="id_number"),
             protector.encrypt(number.encode(), context="id_number"), mask_id_number(number),
             "M" if int(number[16]) % 2 else "F", birth, "CHN", county.code, "", self.created)
        )  # fmt: skip
        ids = {"@D@": new_id()}
        rows["declarations"].append(
            (ids["@D@"], rid, POLICY, version, plan.declared, plan.declared, 36.5, "[]", "[]",
             plan.trips, "", "", PLEDGE_VERSION, plan.declared)
        )  # fmt: skip
        for i, (at, day) in enumerate(plan.reports):
            report_id = ids[f"@P{i}@"] = new_id()
            rows["daily_reports"].append((report_id, rid, POLICY, at, day, 36.4, "[]", "[]", "[]"))
        for i, record in enumerate(plan.records):
            record_id = ids[f"@R{i}@"] = new_id()
            rows["data_records"].append((record_id, rid, *record[:7], f"G{n}-{i}", *record[7:]))
        state, ahead = template.state_json, template.ahead_json
        for mark in template.placeholders:
            state = state.replace(mark, str(ids[mark]))
            ahead = ahead.replace(mark, str(ids[mark]))
        code_id = new_id()
        rows["codes"].append(
            (code_id, rid, POLICY, version, template.colour.value, state, now,
             template.recheck_at, len(plan.changes), ahead)
        )  # fmt: skip
        for change in plan.changes:
            rows["colour_changes"].append((new_id(), code_id, rid, *change))
        self._scans(rid, masked, county.code, template, rows["scans"])

    def _scans(
        self, rid: uuid.UUID, masked: str, home: str, template: Template, out: list[tuple[Any, ...]]
    ) -> None:
        rng = self.rng
        count = int(self.scans) + (rng.random() < self.scans % 1)
        venues = self.venues[home]
        for _ in range(count):
            at = self.now - timedelta(seconds=rng.randrange(SCAN_DAYS * 86400))
            colour = _colour_at(template, at)
            if colour is None:
                continue
            out.append(
                (self._uuid(), rng.choice(venues), "self_check_in", at, at, colour, POLICY,
                 masked, rid, "[]")
            )  # fmt: skip

    def finish(self, summary: PopulationSummary) -> None:
        for (_department, kind), batch in self.batches.items():
            added = summary.profiles[_PROFILE_OF_KIND[kind]]
            batch.rows_read = batch.rows_added = batch.residents_touched = added
        self.uow.flush()


@dataclass(frozen=True)
class _Plan:
    """A template's rows with their instants worked out once, ids left to fill."""

    template: Template
    declared: datetime
    trips: str
    reports: tuple[tuple[datetime, date], ...]
    records: tuple[tuple[Any, ...], ...]  # data_records columns after resident_id
    changes: tuple[tuple[Any, ...], ...]  # colour_changes columns after resident_id

    @classmethod
    def of(
        cls, template: Template, today: date, batches: dict[tuple[str, str], t.ImportBatch]
    ) -> _Plan:
        life = template.life

        def at(days: int, hour: int) -> datetime:
            return start_of(today - timedelta(days=days)) + timedelta(hours=hour)

        def day(days: int | None) -> date | None:
            return None if days is None else today - timedelta(days=days)

        trips = "[]"
        if life.trip is not None:
            region, left = life.trip
            trips = f'[{{"region":"{region}","end":"{day(left)}","start":"{day(left + 3)}"}}]'
        records = []
        for r in life.records:
            batch = batches[(r.department, r.kind.value)]
            records.append(
                (r.kind.value, day(r.start), day(r.end), r.region, batch.file_name,
                 at(r.received, RECEIVED_HOUR), r.department, batch.id, None, "")
            )  # fmt: skip
        changes = tuple(
            (seq, c.at, c.from_colour, c.to_colour, _json_list(c.rule_ids),
             template.version, c.cause, "")
            for seq, c in enumerate(template.changes, start=1)
        )  # fmt: skip
        return cls(
            template,
            at(life.declared, DECLARED_HOUR),
            trips,
            tuple((at(d, REPORT_HOUR), today - timedelta(days=d)) for d in life.reports),
            tuple(records),
            changes,
        )


_PROFILE_OF_KIND = {
    "travel": "green_travel",
    "close_contact": "close_contact",
    "fever_clinic": "fever_clinic",
    "confirmed": "confirmed",
}


def _colour_at(template: Template, at: datetime) -> str | None:
    """The colour the code showed at ``at`` (None: no code yet)."""
    colour = None
    for change in template.changes:
        if change.at > at:
            break
        colour = change.to_colour
    return colour


def _json_list(items: tuple[str, ...]) -> str:
    return "[" + ",".join(f'"{i}"' for i in items) + "]"


_COLUMNS: dict[str, tuple[str, ...]] = {
    "residents": ("id", "ref", "name", "name_masked", "id_type", "id_hash", "id_cipher",
                  "id_masked", "sex", "birth_date", "nationality", "region_code", "address",
                  "created_at"),
    "declarations": ("id", "resident_id", "policy_id", "policy_version", "submitted_at",
                     "confirmed_at", "temperature", "symptoms", "exposures", "trips",
                     "destination_detail", "employer", "pledge", "checked_at"),
    "daily_reports": ("id", "resident_id", "policy_id", "reported_at", "day", "temperature",
                      "symptoms", "exposures", "trips"),
    "data_records": ("id", "resident_id", "kind", "start", "end", "region", "source",
                     "received_at", "department", "source_id", "batch_id", "setting", "detail"),
    "codes": ("id", "resident_id", "policy_id", "policy_version", "colour", "state",
              "evaluated_at", "recheck_at", "history_seq", "ahead"),
    "colour_changes": ("id", "code_id", "resident_id", "seq", "at", "from_colour", "to_colour",
                       "rule_ids", "policy_version", "cause", "note"),
    "scans": ("id", "venue_id", "lane", "scanned_at", "recorded_at", "colour", "policy_id",
              "masked_name", "resident_id", "flags"),
}  # fmt: skip
