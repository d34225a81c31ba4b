"""Reads and writes for recolouring many codes at once (``services/codes/batches.py``).

A page of 1,000 codes costs a fixed handful of statements, whatever its size: one
lock, one read per kind of fact (each ordered as the one-resident reads order it, so
the engine sees the same facts in the same order), and one multi-row statement per
table written. Facts come back as table rows grouped by resident; codes as plain
column rows (the batch never loads a code object it would have to flush).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Row,
    Select,
    Text,
    bindparam,
    case,
    cast,
    func,
    inspect,
    literal_column,
    null,
    select,
    text,
    union,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from healthcode.domain.policy import OBSERVED, Source
from healthcode.store import tables as t
from healthcode.store.bulk import among, is_postgresql, write_dicts
from healthcode.store.repositories.residents import recolour_lock
from healthcode.store.state_json import micros

Rows = dict[uuid.UUID, list[Any]]
# How long a statement that takes its codes' locks in no set order (a rename, the
# rollover's advance) waits for one another transaction holds before it gives its page
# up (``_unless_held``): well under PostgreSQL's deadlock_timeout (1 s), so in a cycle
# of waits it gives up, not the other transaction.
HELD_WAIT_MS = 100
_LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE lock_not_available: lock_timeout passed
Renamed = tuple[int, uuid.UUID | None]  # codes renamed, the last resident's id
Done = TypeVar("Done")
# The tables the items of a source that is not the declarations and reports are made of.
_MADE_OF = ((Source.RECORDS, t.DataRecord), (Source.CREDIT_RECORDS, t.CreditRecord))
# The code columns a recolour reads and writes.
CODE_COLUMNS: tuple[Any, ...] = (
    t.Code.id,
    t.Code.resident_id,
    t.Code.policy_id,
    t.Code.policy_version,
    t.Code.colour,
    cast(t.Code.state, Text).label("state"),  # parsed only if the colour changes
    t.Code.recheck_at,
    t.Code.awaiting_id,
    t.Code.history_seq,
)
# What the facts are made of (``store/facts.py``): a declaration's name, ID and form
# fields, a record's source and note are not read (a page read 24 columns a
# declaration).
_DECLARED = (
    "id", "resident_id", "confirmed_at", "temperature", "symptoms", "exposures", "trips",
    "residence_since",
)  # fmt: skip
_RECORDED = (
    "id", "resident_id", "kind", "received_at", "start", "end", "region", "department",
    "setting", "withdrawn_at",
)  # fmt: skip
_WRITTEN = (
    "policy_version",
    "colour",
    "state",
    "evaluated_at",
    "recheck_at",
    "valid_until",
    "application_id",
    "awaiting_id",
    "suggested",
    "history_seq",
    "ahead",
)


@dataclass(frozen=True)
class IdRange:
    """The residents whose ids fall from ``low`` (included) to ``high`` (excluded);
    None is open. A batch job split across processes gives each one range: a
    resident's codes are in exactly one, so no two processes wait on the same locks."""

    low: uuid.UUID | None = None
    high: uuid.UUID | None = None

    def where(self, column: Any) -> list[Any]:
        bounds = []
        if self.low is not None:
            bounds.append(column >= self.low)
        if self.high is not None:
            bounds.append(column < self.high)
        return bounds


EVERYONE = IdRange()


def id_ranges(parts: int) -> list[IdRange]:
    """The resident ids in ``parts`` ranges of equal width (random ids: about equal
    counts), in order, together covering every id once."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    cuts = [uuid.UUID(int=(1 << 128) * i // parts) for i in range(1, parts)]
    return [IdRange(low, high) for low, high in zip([None, *cuts], [*cuts, None], strict=True)]


# The rollover's advance (``CodeBatches.advance``): each due code of the page whose
# states ahead (``codes.ahead``, written by ``recolour.plan``) run unbroken from its
# recheck to now takes the last of them that has come, as evaluating would give it
# (``timeline.carried``: until ``u``); each colour change on the way is recorded. A
# code whose states ahead do not reach now, or whose step enters an application in an
# issuer's queue, or whose resident holds a paper pass, is left due for the engine. The
# steps are read from the statement's snapshot; a code another transaction wrote since
# (PostgreSQL reads it again before updating it) is no longer the code they were read
# from, and is left as that transaction wrote it.
_ADVANCE = text(
    """
WITH moved AS (
    UPDATE codes c SET
        colour = m.last->>'colour',
        state = (m.last->'state')
            || jsonb_build_object('policy', c.state->'policy',
                                  'evaluated_at', CAST(:now_iso AS text)),
        evaluated_at = :now,
        recheck_at = CAST(m.last->>'recheck' AS timestamptz),
        valid_until = CAST(m.last->>'valid_until' AS timestamptz),
        application_id = CAST(m.last->>'application_id' AS uuid),
        awaiting_id = CAST(m.last->>'awaiting_id' AS uuid),
        suggested = m.last->>'suggested',
        history_seq = c.history_seq + jsonb_array_length(m.changes)
    FROM (
        SELECT d.id, d.evaluated_at, d.history_seq, a.steps->-1 AS last,
               jsonb_path_query_array(a.steps, '$[*] ? (exists(@.rules))') AS changes
        FROM codes d
        CROSS JOIN LATERAL (
            SELECT jsonb_path_query_array(
                d.ahead, '$[*] ? (@.t >= $due && @.t <= $now)',
                jsonb_build_object(
                    'due', (extract(epoch FROM d.recheck_at) * 1000000)::bigint,
                    'now', CAST(:now_us AS bigint))) AS steps
            OFFSET 0  -- once per code, not once per use
        ) a
        WHERE d.resident_id IN (SELECT unnest(CAST(:residents AS uuid[])))
          AND d.policy_id = :policy AND d.policy_version = :version
          AND d.recheck_at <= :due
          AND (a.steps->0->>'t')::bigint = (extract(epoch FROM d.recheck_at) * 1000000)::bigint
          AND a.steps->0->>'was' = d.colour
          AND (a.steps->-1->>'u')::bigint > :now_us
          AND NOT jsonb_path_exists(a.steps, '$[*].announce')
          AND NOT (CAST(:printed AS boolean) AND EXISTS (
              SELECT 1 FROM paper_passes p
              WHERE p.resident_id = d.resident_id AND p.policy_id = :policy
                AND p.revoked_at IS NULL AND p.valid_until > :now))
    ) m
    -- read again if another transaction wrote the code meanwhile: untouched since
    WHERE c.id = m.id AND c.evaluated_at = m.evaluated_at AND c.history_seq = m.history_seq
      AND c.policy_version = :version
    RETURNING c.id, c.resident_id, c.history_seq,
              c.history_seq - jsonb_array_length(m.changes) AS seq, m.changes
),
logged AS (
    INSERT INTO colour_changes (id, code_id, resident_id, seq, at, from_colour, to_colour,
                                rule_ids, policy_version, cause, actor_id, note)
    SELECT gen_random_uuid(), moved.id, moved.resident_id, moved.seq + x.n,
           CAST(x.step->>'at' AS timestamptz), x.step->>'was', x.step->>'colour',
           x.step->'rules', :version, :cause, NULL, ''
    FROM moved CROSS JOIN LATERAL jsonb_array_elements(moved.changes) WITH ORDINALITY AS x(step, n)
)
SELECT CAST(NULL AS uuid) AS resident_id, CAST(NULL AS jsonb) AS changes, count(*) AS moved
FROM moved
UNION ALL
SELECT resident_id, changes, NULL FROM moved WHERE seq < history_seq
"""
)


# A code the rollover at an instant (``at_us``) needs no evaluation by day for: a state
# ahead holds then (the advance's "last step still holds now", ``_ADVANCE``), or its
# states ahead end by then at a state only the engine may write (``recolour.steps_ahead``'s
# ``end``), where an evaluation now would end them again.
_SETTLED_AT = """jsonb_path_exists(
    COALESCE(codes.ahead, '[]'::jsonb), '$[*] ? ((@.t <= $at && @.u > $at) || @.end <= $at)',
    jsonb_build_object('at', CAST(:at_us AS bigint)))"""


@dataclass(frozen=True)
class Advanced:
    """What ``CodeBatches.advance`` did: how many codes it moved, and each colour
    change it recorded as (resident, at, from, to, rules)."""

    moved: int
    changes: list[tuple[uuid.UUID, datetime, str, str, list[str]]]


class CodeBatches:
    """Many codes and their residents' facts per statement."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- choosing the codes --------------------------------------------------------

    def due(
        self, at: datetime, limit: int, within: IdRange = EVERYONE
    ) -> list[tuple[uuid.UUID, str]]:
        """(resident, policy) of codes due for a recheck at `at`, oldest due first."""
        c = t.Code
        query = (
            select(c.resident_id, c.policy_id)
            .where(c.recheck_at.is_not(None), c.recheck_at <= at, *within.where(c.resident_id))
            .order_by(c.recheck_at, c.id)
            .limit(limit)
        )
        return [(r[0], r[1]) for r in self.session.execute(query)]

    def of_policy(
        self,
        policy_id: str,
        version: str | None,
        after: uuid.UUID | None,
        limit: int,
        within: IdRange = EVERYONE,
    ) -> list[uuid.UUID]:
        """Residents holding a code of the policy (evaluated under another version than
        `version`, unless None), by resident id after `after`."""
        c = t.Code
        query = select(c.resident_id).where(c.policy_id == policy_id, *within.where(c.resident_id))
        if version is not None:
            query = query.where(c.policy_version != version)
        if after is not None:
            query = query.where(c.resident_id > after)
        return list(self.session.scalars(query.order_by(c.resident_id).limit(limit)))

    def of_version_with(
        self,
        policy_id: str,
        version: str,
        sources: frozenset[Source],
        record_kinds: frozenset[str] | None,
        after: uuid.UUID | None,
        limit: int,
        within: IdRange = EVERYONE,
    ) -> list[uuid.UUID]:
        """Residents holding a code of the policy evaluated under `version` who have a
        fact the items of `sources` are made of (a department record, of one of
        `record_kinds` unless None; a credit record; every resident where a source is
        the declarations and reports), by resident id after `after`. Found from the
        records where they suffice: a few residents of many have one."""
        c = t.Code
        if sources & OBSERVED:
            query = select(c.resident_id).where(
                c.policy_id == policy_id, c.policy_version == version, *within.where(c.resident_id)
            )
            if after is not None:
                query = query.where(c.resident_id > after)
            return list(self.session.scalars(query.order_by(c.resident_id).limit(limit)))
        parts = []
        for source, table in _MADE_OF:
            if source not in sources:
                continue
            held = select(c.id).where(
                c.resident_id == table.resident_id,
                c.policy_id == policy_id,
                c.policy_version == version,
            )
            part = select(table.resident_id.label("resident_id")).where(
                held.exists(), *within.where(table.resident_id)
            )
            if after is not None:
                part = part.where(table.resident_id > after)
            if source is Source.RECORDS and record_kinds is not None:
                part = part.where(t.DataRecord.kind.in_(sorted(record_kinds)))
            parts.append(part)
        if not parts:
            return []
        found = union(*parts).subquery()
        query = select(found.c.resident_id).distinct().order_by(found.c.resident_id)
        return list(self.session.scalars(query.limit(limit)))

    def versions_of(self, policy_id: str) -> list[str]:
        """The versions the policy's codes were evaluated under."""
        c = t.Code
        query = select(c.policy_version).where(c.policy_id == policy_id).distinct()
        return sorted(self.session.scalars(query))

    def relabel(
        self,
        policy_id: str,
        old: str,
        version: str,
        after: uuid.UUID | None,
        limit: int,
        within: IdRange = EVERYONE,
        *,
        wait: bool,
        skip: Sequence[uuid.UUID] = (),
        until: uuid.UUID | None = None,
        green: Mapping[str, str] | None = None,
    ) -> Renamed | None:
        """The next `limit` residents (by id, after `after`) holding a code evaluated
        under `old`: their codes take `version`'s name, in the column and in the
        state's ``policy`` (``id@version``), nothing else. How many, and the last.
        ``green``: the version's new green next step, written into the state and
        each state ahead that shows it as well (``_green``).

        One statement. With ``wait`` the residents are locked in id order first, as
        every recolouring locks them (``lock``). Without, on PostgreSQL, the update
        takes only its codes' row locks, in whatever order its plan meets them, and
        gives up (None, nothing written: ``_unless_held``) on one held longer than
        ``HELD_WAIT_MS``, so it stays in no cycle of waits; a code written meanwhile
        under another version no longer matches. Locking the residents first cost 0.6
        of a plain ``UPDATE``'s rate against 0.7–0.9 without (docs/batches.md).
        ``until``: no resident after it."""
        c, r = t.Code, t.Resident
        chosen = select(c.resident_id).where(
            c.policy_id == policy_id, c.policy_version == old, *within.where(c.resident_id)
        )
        if after is not None:
            chosen = chosen.where(c.resident_id > after)
        if until is not None:
            chosen = chosen.where(c.resident_id <= until)
        if skip:
            chosen = chosen.where(~among(self.session, c.resident_id, skip))
        page: Any = chosen.order_by(c.resident_id).limit(limit).scalar_subquery()
        if wait:
            page = recolour_lock(select(r.id).where(r.id.in_(page)).order_by(r.id))
        ref = f"{policy_id}@{version}"
        postgresql = is_postgresql(self.session)
        if postgresql:
            path: Any = literal_column("'{policy}'")
            state = func.jsonb_set(c.state, path, func.to_jsonb(cast(ref, Text)))
        else:
            state = func.json_set(c.state, "$.policy", ref)
        values: dict[str, Any] = {"policy_version": version, "state": state}
        if green is not None:
            values["state"], values["ahead"] = _green(state, green, postgresql=postgresql)
        statement = (
            update(c)
            .where(c.policy_id == policy_id, c.policy_version == old, c.resident_id.in_(page))
            .values(values)
            .returning(c.resident_id)
            .execution_options(synchronize_session=False)
        )
        if not is_postgresql(self.session):
            ids = list(self.session.scalars(statement))
            return len(ids), max(ids, default=None)
        moved = statement.cte("moved")
        last = select(moved.c.resident_id).order_by(moved.c.resident_id.desc()).limit(1)
        counted = select(func.count(), last.scalar_subquery()).select_from(moved)
        if wait:
            return self._renamed(counted)
        return self._unless_held(lambda: self._renamed(counted))

    def _unless_held(self, run: Callable[[], Done]) -> Done | None:
        """``run``'s statements, waiting no longer than ``HELD_WAIT_MS`` for a row
        another transaction holds: None (undone) if one is held longer. For statements
        that take their rows' locks in no set order: PostgreSQL looks for a cycle of
        waits only after deadlock_timeout (1 s), by which time this one gave up."""
        savepoint = self.session.begin_nested()
        self.session.execute(text(f"SET LOCAL lock_timeout = '{HELD_WAIT_MS}ms'"))
        try:
            done = run()
        except OperationalError as error:
            savepoint.rollback()  # the lock_timeout with it
            if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                return None
            raise
        savepoint.commit()
        self.session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
        return done

    def _renamed(self, counted: Select[Any]) -> Renamed:
        """How many codes the rename's statement renamed, and the last resident's id
        (not the page's ten thousand ids, which cost more to fetch than to rename)."""
        count, last = self.session.execute(counted).one()
        return int(count), last

    def forget_policy(self, at: datetime, policy_ids: Sequence[str]) -> int:
        """Due codes of policies no longer offered: nothing to recheck (the rollover's
        rule), one statement; how many."""
        c = t.Code
        statement = (
            update(c)
            .where(c.recheck_at.is_not(None), c.recheck_at <= at, c.policy_id.not_in(policy_ids))
            .values(recheck_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(self.session.execute(statement), "rowcount", 0) or 0)

    # -- advancing by the states ahead (PostgreSQL) ---------------------------------

    def running_out(
        self,
        policy_id: str,
        version: str,
        *,
        now: datetime,
        before: datetime,
        after: uuid.UUID | None,
        limit: int,
        within: IdRange = EVERYONE,
    ) -> list[uuid.UUID]:
        """Residents (of ``within``) holding a code of the policy's version that falls
        due after ``now`` and by ``before`` whose states ahead neither hold at ``before``
        nor end by then (``_SETTLED_AT``): the rollover at ``before`` would leave it to
        the engine, and an evaluation now would write it states that reach. By resident
        id after ``after`` (PostgreSQL: states ahead are kept there only)."""
        c = t.Code
        query = select(c.resident_id).where(
            c.policy_id == policy_id,
            c.policy_version == version,
            c.recheck_at > now,
            c.recheck_at <= before,
            text(f"NOT {_SETTLED_AT}").bindparams(at_us=micros(before)),
            *within.where(c.resident_id),
        )
        if after is not None:
            query = query.where(c.resident_id > after)
        return list(self.session.scalars(query.order_by(c.resident_id).limit(limit)))

    def due_residents(self, policy_id: str, at: datetime, size: int) -> Iterator[list[uuid.UUID]]:
        """The residents holding a code of the policy due at ``at``, ``size`` at a time
        (each page in id order), from one server-side cursor: memory stays flat however
        many are due, and the due codes are found once (by ``recheck_at``), not once per
        page."""
        c = t.Code
        query = select(c.resident_id).where(c.policy_id == policy_id, c.recheck_at <= at)
        result = self.session.execute(query, execution_options={"yield_per": size})
        for part in result.partitions():
            yield sorted(row[0] for row in part)

    def lock_codes(
        self, policy_id: str, version: str, at: datetime, resident_ids: Sequence[uuid.UUID]
    ) -> None:
        """The residents' codes of the policy's version due at ``at``, locked in
        resident order (``_locked``'s lock and order), in a statement of its own: for
        an advance that met a held code (``advance``), which then waits for nothing. A
        code row, not the resident's: the advance writes nothing else of the resident.
        Codes of another version (a policy change's) are not taken."""
        c = t.Code
        query = select(c.id).where(
            among(self.session, c.resident_id, resident_ids),
            c.policy_id == policy_id,
            c.policy_version == version,
            c.recheck_at <= at,
        )
        self.session.execute(_locked(query)).all()

    def advance(
        self,
        policy_id: str,
        version: str,
        *,
        due: datetime,
        now: datetime,
        resident_ids: Sequence[uuid.UUID],
        cause: str,
        printed: bool,
        wait: bool,
    ) -> Advanced | None:
        """The residents' due codes moved along their states ahead to ``now``
        (``_ADVANCE``), their colour changes recorded with ``cause``: one statement.
        ``printed``: the policy's codes may stand on paper, whose holders are left to
        the engine's path. Without ``wait``, the statement takes its codes' row locks
        in whatever order it meets them and gives up at once (None, nothing written) if
        one is held (``_unless_held``); the caller then locks the codes in order
        (``lock_codes``) and advances waiting. PostgreSQL only (``advances``)."""
        params = {
            "residents": list(resident_ids),
            "policy": policy_id,
            "version": version,
            "due": due,
            "now": now,
            "now_us": micros(now),
            "now_iso": now.isoformat(),
            "cause": cause,
            "printed": printed,
        }

        def run() -> Advanced:
            moved = 0
            changes: list[tuple[uuid.UUID, datetime, str, str, list[str]]] = []
            for resident_id, changed, count in self.session.execute(_ADVANCE, params):
                moved += count or 0
                changes += [
                    (resident_id, datetime.fromisoformat(c["at"]), c["was"], c["colour"],
                     c["rules"])
                    for c in changed or ()
                ]  # fmt: skip
            return Advanced(moved, changes)

        done = run() if wait else self._unless_held(run)
        held = [o for o in self.session.identity_map.values() if isinstance(o, t.Code)]
        for code in held:  # maybe moved here: read it again
            self.session.expire(code)
        return done

    def writers_at_once(self) -> bool:
        """Whether two transactions write at once here (PostgreSQL); SQLite lets one
        writer in at a time."""
        return is_postgresql(self.session)

    def advances(self) -> bool:
        """Whether ``advance`` runs here: its SQL is PostgreSQL's; on SQLite the
        rollover evaluates every due code."""
        return is_postgresql(self.session)

    # -- locking and reading -------------------------------------------------------

    def lock(self, resident_ids: Sequence[uuid.UUID]) -> None:
        """The residents' locks, in id order (two batches never wait on each other in
        a cycle), as the one-resident path takes them before reading
        (``repositories/residents.py:recolour_lock``)."""
        query = recolour_lock(
            select(t.Resident.id)
            .where(among(self.session, t.Resident.id, resident_ids))
            .order_by(t.Resident.id)
        )
        self.session.execute(query).all()

    def codes(self, keys: Sequence[tuple[uuid.UUID, str]]) -> list[Row[Any]]:
        """The codes of these (resident, policy) pairs, read after `lock` and locked
        (``_locked``)."""
        residents = sorted({r for r, _ in keys})
        policies = sorted({p for _, p in keys})
        query = select(*CODE_COLUMNS).where(
            among(self.session, t.Code.resident_id, residents),
            among(self.session, t.Code.policy_id, policies),
        )
        wanted = set(keys)
        return [
            r
            for r in self.session.execute(_locked(query))
            if (r.resident_id, r.policy_id) in wanted
        ]

    def codes_of_residents(self, resident_ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
        query = select(*CODE_COLUMNS).where(among(self.session, t.Code.resident_id, resident_ids))
        return list(self.session.execute(_locked(query)))

    def declarations(self, resident_ids: Sequence[uuid.UUID], policy_id: str) -> Rows:
        d = t.Declaration
        query = (
            _rows(d, *_DECLARED)
            .where(
                among(self.session, d.resident_id, resident_ids),
                d.policy_id == policy_id,
                d.confirmed_at.is_not(None),
            )
            .order_by(d.confirmed_at, d.id)
        )
        return _by(self.session.execute(query), "resident_id")

    def daily_reports(self, resident_ids: Sequence[uuid.UUID]) -> Rows:
        r = t.DailyReport
        query = (
            _rows(r)
            .where(among(self.session, r.resident_id, resident_ids))
            .order_by(r.reported_at, r.id)
        )
        return _by(self.session.execute(query), "resident_id")

    def signatures(self, declaration_ids: Sequence[uuid.UUID]) -> Rows:
        s = t.Signature
        found: Rows = defaultdict(list)
        ids = list(declaration_ids)
        for start in range(0, len(ids), 1000):
            query = (
                _rows(s)
                .where(among(self.session, s.declaration_id, ids[start : start + 1000]))
                .order_by(s.signed_at, s.id)
            )
            for row in self.session.execute(query):
                found[row.declaration_id].append(row)
        return found

    def data_records(self, resident_ids: Sequence[uuid.UUID]) -> Rows:
        r = t.DataRecord
        query = (
            _rows(r, *_RECORDED)
            .where(among(self.session, r.resident_id, resident_ids))
            .order_by(r.received_at, r.id)
        )
        return _by(self.session.execute(query), "resident_id")

    def credit_records(self, resident_ids: Sequence[uuid.UUID]) -> Rows:
        c = t.CreditRecord
        query = (
            _rows(c).where(among(self.session, c.resident_id, resident_ids)).order_by(c.at, c.id)
        )
        return _by(self.session.execute(query), "resident_id")

    def overrides(self, resident_ids: Sequence[uuid.UUID], policy_id: str) -> Rows:
        o = t.ColourOverride
        query = (
            _rows(o)
            .where(
                among(self.session, o.resident_id, resident_ids),
                o.policy_id == policy_id,
                o.status == "approved",
            )
            .order_by(o.decided_at, o.id)
        )
        return _by(self.session.execute(query), "resident_id")

    def with_paper(
        self, resident_ids: Sequence[uuid.UUID], policy_id: str, now: datetime
    ) -> set[uuid.UUID]:
        """Residents with a standing paper pass of the policy (they take the one-by-one
        path's check, which revokes what the new colour no longer backs)."""
        p = t.PaperPass
        query = select(p.resident_id).where(
            among(self.session, p.resident_id, resident_ids),
            p.policy_id == policy_id,
            p.revoked_at.is_(None),
            p.valid_until > now,
        )
        return set(self.session.scalars(query))

    def recipients(self, resident_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """Where each resident's notifications go: the contact columns of their own
        account (``resident_id`` is unique on accounts) or, for a family member with
        none, of their guardian's, with ``guardian`` (its id) and ``member`` (their
        masked name) set. One statement for the page, a few columns each, not a
        thousand tracked accounts."""
        ids = sorted(set(resident_ids))
        if not ids:
            return {}
        a, d, r = t.Account, t.Dependant, t.Resident
        contact = (a.phone_cipher, a.phone_masked, a.language)
        own = select(
            a.resident_id,
            *contact,
            cast(null(), a.id.type).label("guardian"),
            cast(null(), r.name_masked.type).label("member"),
        ).where(among(self.session, a.resident_id, ids))
        held = (
            select(d.resident_id, *contact, a.id, r.name_masked)
            .join(a, a.id == d.account_id)
            .join(r, r.id == d.resident_id)
            .where(among(self.session, d.resident_id, ids))
        )
        rows = self.session.execute(union_all(own, held)).all()
        # one's own account last, so it wins (a number bound to one ends any link)
        return {row.resident_id: row for row in sorted(rows, key=lambda row: row.guardian is None)}

    # -- writing -------------------------------------------------------------------

    def update_codes(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Each code's new columns (``id`` plus the recoloured columns), one
        executemany statement."""
        if not rows:
            return
        statement = (
            update(t.Code.__table__)  # type: ignore[arg-type]
            .where(t.Code.__table__.c.id == bindparam("code_id"))
            .values({name: bindparam(name) for name in _WRITTEN})
        )
        self.session.execute(statement, [_code_params(r) for r in rows])
        self._expire([row["id"] for row in rows])

    def _expire(self, ids: Iterable[uuid.UUID]) -> None:
        """A code object this session holds is stale once written: read it again."""
        for code_id in ids:
            held = self.session.identity_map.get(self.session.identity_key(t.Code, code_id))
            if held is not None:
                self.session.expire(held)

    def restamp(
        self, ids: Sequence[uuid.UUID], version: str, ref: str, evaluated_at: datetime
    ) -> None:
        """Codes whose new evaluation gave the state they hold, but for its instant and
        its version's name: those two written, no state sent (``recolour.plan`` wrote
        no states ahead for them either: ``'[]'``)."""
        if not ids:
            return
        c, at = t.Code, evaluated_at.isoformat()
        if is_postgresql(self.session):
            state: Any = text(
                "codes.state || jsonb_build_object("
                "'policy', CAST(:ref AS text), 'evaluated_at', CAST(:at AS text))"
            ).bindparams(ref=ref, at=at)
            ahead: Any = text("'[]'::jsonb")
        else:
            state = func.json_set(c.state, "$.policy", ref, "$.evaluated_at", at)
            ahead = text("'[]'")
        self.session.execute(
            update(c)
            .where(among(self.session, c.id, ids))
            .values(policy_version=version, evaluated_at=evaluated_at, state=state, ahead=ahead)
            .execution_options(synchronize_session=False)
        )
        self._expire(ids)

    def insert(self, table: type[t.Base], rows: Sequence[Mapping[str, Any]]) -> None:
        """Many rows of one table (history, notifications, outbox) in one COPY."""
        if rows:
            self.session.flush()  # the rows may point at objects the session holds
            write_dicts(self.session, table.__table__, rows)  # type: ignore[arg-type]


# A state no reason gives a next step to (a health code no rule holds for; one with
# no declaration shows none) shows the policy's green next step; by dialect, True for
# PostgreSQL.
_SHOWS_GREEN = {
    True: "jsonb_array_length({s}->'reasons') = 0 AND {s}->'next_step' <> 'null'::jsonb",
    False: "json_array_length({s}, '$.reasons') = 0 AND json_type({s}, '$.next_step') <> 'null'",
}
_GREEN_AHEAD = """CASE
WHEN codes.ahead @? '$[*].state ? (@.reasons.size() == 0 && @.next_step != null)' THEN (
    SELECT jsonb_agg(CASE WHEN {shows}
                     THEN jsonb_set(x.e, '{{state,next_step}}', CAST(:green AS jsonb))
                     ELSE x.e END ORDER BY x.n)
    FROM jsonb_array_elements(codes.ahead) WITH ORDINALITY AS x(e, n)
) ELSE codes.ahead END"""


def _green(state: Any, green: Mapping[str, str], *, postgresql: bool) -> tuple[Any, Any]:
    """A renamed code's state and states ahead with new words of the green next step
    where they show it. On SQLite no state ahead is kept: the rollover evaluates every
    due code there (``advances``)."""
    words = bindparam("green", json.dumps(dict(green), ensure_ascii=False), type_=Text)
    shows = text(_SHOWS_GREEN[postgresql].format(s="codes.state"))
    if postgresql:
        path: Any = literal_column("'{next_step}'")
        shown = func.jsonb_set(state, path, cast(words, JSONB))
        each = _SHOWS_GREEN[True].format(s="x.e->'state'")
        ahead: Any = text(_GREEN_AHEAD.format(shows=each)).bindparams(words)
    else:
        shown = func.json_set(state, "$.next_step", func.json(words))
        ahead = text("'[]'")
    return case((shows, shown), else_=state), ahead


def _locked(query: Select[Any]) -> Select[Any]:
    """Codes locked in (resident, policy) order, as ``lock_codes`` takes them: the
    rollover's advance locks codes, not residents, so a batch that writes codes it
    read must hold them from the read on (the one-by-one path locks its code too)."""
    c = t.Code
    return query.order_by(c.resident_id, c.policy_id).with_for_update(key_share=True)


def _code_params(row: Mapping[str, Any]) -> dict[str, Any]:
    params = {name: row[name] for name in _WRITTEN}
    params["code_id"] = row["id"]
    return params


def _rows(entity: type[t.Base], *names: str) -> Select[Any]:
    """An entity's columns (``names``, or all) as plain rows, named as its
    attributes: facts are read, never written back, so a page need not build and
    track a thousand objects."""
    columns = inspect(entity).columns
    wanted = names or tuple(columns.keys())
    return select(*(columns[name].label(name) for name in wanted))


def _by(rows: Iterable[Any], key: str) -> Rows:
    found: Rows = defaultdict(list)
    for row in rows:
        found[getattr(row, key)].append(row)
    return found
