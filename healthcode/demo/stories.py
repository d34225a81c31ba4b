"""One resident's last few weeks, played through the real services on a moving clock.

A story moves a ``FixedClock`` forward through its events (declarations, daily
reports, signatures, department records, credit findings) and, before each one,
lets time do what the scheduled rollover would have done at that instant (a pass
expiring, a missed report at midnight). So colours, histories, streaks and
notifications are the services' own, not painted on.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from healthcode.demo.people import Person, Workplace
from healthcode.domain.clock import FixedClock, day_of, start_of
from healthcode.domain.colour import Colour
from healthcode.domain.facts import RecordKind
from healthcode.domain.signing import InfoNeeded
from healthcode.domain.state import State
from healthcode.services.accounts.login import ensure_resident_account
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.codes.recolour import Cause, recolour
from healthcode.services.organisations.roster import enrol
from healthcode.services.organisations.signing import sign_pass
from healthcode.services.residents.daily_reports import submit_daily_report
from healthcode.services.residents.declarations import confirm_declaration, submit_declaration
from healthcode.services.residents.inputs import DailyReportInput, DeclarationInput, Purpose
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

BINZHOU = "binzhou-code"
SHANDONG = "shandong-pass"


@dataclass(frozen=True)
class Cast:
    """The staff accounts stories act through."""

    community_issuer: uuid.UUID
    employer_issuer: uuid.UUID
    community: uuid.UUID  # the organisations that review the demo's passes
    employer_organisation: uuid.UUID
    employer: Workplace
    data_operator: uuid.UUID
    admin: uuid.UUID


@dataclass(frozen=True)
class Stage:
    """What every story shares: the moving clock, the demo's last instant, the cast."""

    env: Env
    clock: FixedClock
    end: datetime
    cast: Cast

    @property
    def today(self) -> date:
        return day_of(self.end)


class Story:
    """One resident: what they and the staff do, each step through the real service."""

    def __init__(self, stage: Stage, uow: UnitOfWork, person: Person, rng: random.Random) -> None:
        self.stage, self.uow, self.person, self.rng = stage, uow, person, rng
        self.env, self.clock = stage.env, stage.clock
        self.account: t.Account | None = None
        self.policy_id = ""
        self.application: uuid.UUID | None = None

    # -- time ----------------------------------------------------------------------

    def at(self, days_ago: int, first_hour: float = 8, last_hour: float = 20) -> datetime:
        """A random instant between two hours of a day, counted back from today."""
        minutes = self.rng.randrange(int(first_hour * 60), int(last_hour * 60))
        return start_of(self.stage.today - timedelta(days=days_ago)) + timedelta(minutes=minutes)

    def before_end(self, earliest: timedelta, latest: timedelta) -> datetime:
        """A random instant in the given span before the demo's last instant."""
        span = int((latest - earliest).total_seconds() // 60)
        at = self.stage.end - earliest - timedelta(minutes=self.rng.randrange(span))
        return at.replace(microsecond=0)

    def go(self, at: datetime) -> None:
        """Move the clock to `at`, first letting every time-driven change happen."""
        if at < self.clock.now():
            raise ValueError("a demo story went back in time")
        resident_id = self.account.resident_id if self.account else None
        codes = self.uow.codes.all_of_resident(resident_id) if resident_id else ()
        while codes:
            due = [c for c in codes if c.recheck_at is not None and c.recheck_at <= at]
            if not due:
                break
            code = min(due, key=lambda c: c.recheck_at or at)
            self.clock.set(max(self.clock.now(), code.recheck_at or at))
            policy = self.env.policies.find(code.policy_id)
            recolour(
                self.uow, self.env, resident_id=code.resident_id, policy=policy, cause=Cause.TIME
            )
        self.clock.set(at)

    def finish(self) -> Colour:
        self.go(self.stage.end)
        code = self.uow.codes.of_resident(self._resident_id(), self.policy_id)
        return Colour(code.colour) if code else Colour.NONE

    # -- what residents do ---------------------------------------------------------

    def declare(self, policy: str, at: datetime, **health: Any) -> State:
        """Submit with the pledge, then confirm a minute or two later."""
        self.go(at)
        if self.account is None:
            self.account = ensure_resident_account(self.uow, self.env, phone=self.person.phone)
        data = DeclarationInput.model_validate(self._identity(policy) | health)
        row = submit_declaration(
            self.uow, self.env, account_id=self.account.id, data=data
        ).declaration
        self.clock.advance(timedelta(seconds=self.rng.randrange(30, 240)))
        state = confirm_declaration(
            self.uow, self.env, account_id=self.account.id, declaration_id=row.id
        )
        self.policy_id, self.application = policy, row.id
        return state

    def apply(self, at: datetime, place: Workplace, **health: Any) -> State:
        """A pass application (seed 000): where to, why, and since when in Shandong; it
        goes to the employer's issuers for its staff, else to the community's."""
        cast = self.stage.cast
        since = max(self.person.birth_date, date(2000, 1, 1)) + timedelta(
            days=self.rng.randrange(3000)
        )
        fields = {
            "residence_since": min(since, self.stage.today - timedelta(days=60)).isoformat(),
            "destination": place.region,
            "destination_detail": f"{place.name}，{place.address}",
            "purpose": (Purpose.SCHOOL if place.school else Purpose.WORK).value,
            "employer": "" if place.school else place.name,
            "organisation_id": str(
                cast.employer_organisation if place == cast.employer else cast.community
            ),
        }
        if place == cast.employer:  # on the employer's staff roster, as its import made it
            enrol(
                self.uow,
                self.env,
                organisation_id=cast.employer_organisation,
                name=self.person.name,
                id_number=self.person.id_number,
            )
        return self.declare(SHANDONG, at, **(fields | health))

    def report(self, at: datetime, **health: Any) -> State | None:
        """A daily report, unless its time has not come yet on the demo's last day."""
        if at >= self.stage.end:
            return None
        self.go(at)
        assert self.account is not None
        data = DailyReportInput.model_validate({"temperature": self.normal()} | health)
        return submit_daily_report(
            self.uow,
            self.env,
            resident_id=self.account.resident_id,
            policy_id=self.policy_id,
            data=data,
        )

    def reports(self, first_ago: int, last_ago: int, *, skip: tuple[int, ...] = ()) -> None:
        """One morning report a day from `first_ago` days ago to `last_ago`."""
        for days_ago in range(first_ago, last_ago - 1, -1):
            if days_ago not in skip:
                self.report(self.at(days_ago, 6.5, 10))

    def quiet_reports(self, first_ago: int, last_ago: int, *, twice: bool = False) -> None:
        """Normal reports of a green code, written in one go: nothing about them can
        change a colour, so only the last is recoloured (as the service would)."""
        last: datetime | None = None
        for days_ago in range(first_ago, last_ago - 1, -1):
            if self.rng.random() < 0.08:
                continue  # a forgotten day changes nothing for a green code
            hours = ((6.5, 10), (17, 21.5)) if twice else ((6.5, 10),)
            for first, latest in hours:
                at = self.at(days_ago, first, latest)
                if at < self.stage.end:
                    self._add_report(at)
                    last = at
        if last is not None:
            self.go(last)
            self._recolour(Cause.DAILY_REPORT)

    def normal(self) -> float:
        return round(self.rng.uniform(36.0, 36.9), 1)

    # -- what staff and departments do ---------------------------------------------

    def sign(self, at: datetime, colour: Colour, note: str = "", *, issuer: uuid.UUID) -> State:
        self.go(at)
        assert self.application is not None
        return sign_pass(
            self.uow,
            self.env,
            principal_of(self.uow, account_id=issuer),
            application_id=self.application,
            colour=colour,
            note=note,
            requested=(InfoNeeded.TEMPERATURE,) if colour is Colour.YELLOW else (),
        )

    def record(self, at: datetime, kind: RecordKind, source: str, **dates: Any) -> None:
        """A department record matched to this resident (大数据核验), then recolouring."""
        self.go(at)
        self.uow.add(
            t.DataRecord(
                resident_id=self._resident_id(),
                kind=kind.value,
                start=dates.get("start"),
                end=dates.get("end"),
                region=dates.get("region"),
                source=source,
                received_at=at,
                department="carrier" if kind is RecordKind.TRAVEL else "health",
            )
        )
        self.uow.flush()
        self._recolour(Cause.DATA, self.stage.cast.data_operator)

    def credit(self, at: datetime, reason: str, detail: str) -> None:
        """A confirmed fraud finding (诚信记录), then recolouring."""
        self.go(at)
        row = t.CreditRecord(resident_id=self._resident_id(), at=at, reason=reason, detail=detail)
        self.uow.add(row)
        self.uow.flush()
        self._recolour(Cause.CREDIT, self.stage.cast.admin)

    # -- helpers -------------------------------------------------------------------

    def _identity(self, policy: str) -> dict[str, Any]:
        p = self.person
        return {
            "policy": policy,
            "name": p.name,
            "id_number": p.id_number,
            "region": p.county.code,
            "address": p.address,
            "temperature": self.normal(),
            "pledge": True,
        }

    def _add_report(self, at: datetime) -> None:
        self.uow.add(
            t.DailyReport(
                resident_id=self._resident_id(),
                policy_id=self.policy_id,
                reported_at=at,
                day=day_of(at),
                temperature=self.normal(),
                symptoms=[],
                exposures=[],
                trips=[],
            )
        )

    def _recolour(self, cause: Cause, actor: uuid.UUID | None = None) -> None:
        resident_id = self._resident_id()
        for code in self.uow.codes.all_of_resident(resident_id):
            policy = self.env.policies.find(code.policy_id)
            recolour(
                self.uow,
                self.env,
                resident_id=resident_id,
                policy=policy,
                cause=cause,
                actor_id=actor,
            )

    def _resident_id(self) -> uuid.UUID:
        assert self.account is not None
        assert self.account.resident_id is not None
        return self.account.resident_id
