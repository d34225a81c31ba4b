"""Recolour many codes at once: the rollover, a policy change, an import's residents.

The one-by-one path (``recolour.recolour``) takes a lock, reads a resident's facts in
seven queries, evaluates, and writes the code, its history and a notification with
an ORM flush each. Here a page of codes takes one lock statement, one query per kind
of fact for the whole page, the same pure engine per resident (``recolour.plan``:
the very function the one-by-one path writes from), and one multi-row statement per
table written. Equality with the one-by-one result is a property test
(tests/services/codes/test_batches.py); docs/batches.md has the design and figures.

Rare follow-ups keep the one-by-one code: an application entering an issuer's queue
(``events.application_waiting``) and the paper passes of a resident who holds one
(``paper_passes.withdraw_outdated``), each asked only where it can apply. The colour
cache forgets each page's residents once the page commits (``colour_cache.forget``).
"""

from __future__ import annotations

import time
import uuid
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import orjson
import structlog

from healthcode.domain.engine import Memo, holds_anywhere
from healthcode.domain.policy import Model, Policy
from healthcode.domain.policy_content import same_meaning
from healthcode.domain.policy_reach import Reach, reach
from healthcode.services.codes import colour_cache, paper_passes
from healthcode.services.codes.recolour import Cached, Cause, Plan, history_values, plan
from healthcode.services.notices import events
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.batches import Advanced
from healthcode.store.uow import EVERYONE, IdRange, UnitOfWork, UnitOfWorkFactory

log = structlog.get_logger()
Done = TypeVar("Done")
PAGE = 1000  # codes per transaction: a few statements each, short locks
RENAME_PAGE = 10_000  # codes renamed per transaction: one statement, no engine
RENAME_TRIES = 5  # pages given up for a held code before one waits for its locks
RENAME_PAUSE = 0.05  # seconds, times the tries, before a page is tried again
ADVANCE_PAGE = 10_000  # residents with a due code per transaction: one update


@dataclass(frozen=True)
class Recoloured:
    checked: int  # codes evaluated
    changed: int  # codes whose colour changed (a change recorded in their history)
    residents: tuple[uuid.UUID, ...] = ()  # whose codes were written
    relabelled: int = 0  # codes of an older version meaning the same, renamed only
    advanced: int = 0  # of those checked: moved along their states ahead, no engine

    def __add__(self, other: Recoloured) -> Recoloured:
        return Recoloured(
            self.checked + other.checked,
            self.changed + other.changed,
            self.residents + other.residents,
            self.relabelled + other.relabelled,
            self.advanced + other.advanced,
        )


def recolour_codes(
    uow: UnitOfWork,
    env: Env,
    *,
    keys: Sequence[tuple[uuid.UUID, str]],
    cause: Cause,
    actor_id: uuid.UUID | None = None,
    note: str = "",
) -> Recoloured:
    """Recolour the codes of these (resident, policy) pairs in `uow`'s transaction."""
    if not keys:
        return Recoloured(0, 0)
    ids = sorted({resident_id for resident_id, _ in keys})
    uow.code_batches.lock(ids)
    _forget_after_commit(uow, env, ids)
    rows = uow.code_batches.codes(keys)
    return _recolour(uow, env, rows, cause, actor_id, note)


def recolour_residents(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_ids: Sequence[uuid.UUID],
    cause: Cause,
    actor_id: uuid.UUID | None = None,
    note: str = "",
) -> Recoloured:
    """Every code these residents hold (``recolour_resident`` for many)."""
    if not resident_ids:
        return Recoloured(0, 0)
    ids = sorted(set(resident_ids))
    uow.code_batches.lock(ids)
    _forget_after_commit(uow, env, ids)
    rows = uow.code_batches.codes_of_residents(ids)
    return _recolour(uow, env, rows, cause, actor_id, note)


def _forget_after_commit(uow: UnitOfWork, env: Env, resident_ids: list[uuid.UUID]) -> None:
    """The colour cache forgets the page's residents once the page commits: this path
    bypasses ``recolour``'s own hook."""
    uow.after_commit(lambda: colour_cache.forget(env, resident_ids))


def _recolour(
    uow: UnitOfWork,
    env: Env,
    rows: Sequence[Any],
    cause: Cause,
    actor_id: uuid.UUID | None,
    note: str,
) -> Recoloured:
    now = env.clock.now()
    by_policy: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        if row.policy_id in env.policies:
            by_policy[row.policy_id].append(row)
    written = _Writes(actor_id, note)
    for policy_id, group in by_policy.items():
        policy = env.policies.find(policy_id)
        ids = [row.resident_id for row in group]
        facts = uow.facts.for_residents(uow.code_batches, ids, policy_id)
        memo: Memo = {}  # the page's conditions on equal documents, evaluated once
        for row in group:
            cached = Cached(
                row.colour,
                row.state,
                row.policy_version,
                row.recheck_at,
                row.awaiting_id,
                row.history_seq,
            )
            outcome = plan(
                policy,
                facts[row.resident_id],
                cached,
                now,
                cause,
                memo=memo,
                carry=True,
                look_ahead=cause is Cause.TIME,  # an import's red must not wait for it
            )
            written.add(policy, row, outcome)
    written.flush(uow, env, now)
    return Recoloured(len(written.residents), written.changed, tuple(written.residents))


class _Writes:
    """What a page writes, gathered, then written a statement per table."""

    def __init__(self, actor_id: uuid.UUID | None, note: str) -> None:
        self.actor_id, self.note = actor_id, note
        self.codes: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.notices: list[tuple[uuid.UUID, datetime, dict[str, Any]]] = []
        self.announce: list[uuid.UUID] = []
        self.papers: dict[tuple[uuid.UUID, str], Plan] = {}
        self.residents: list[uuid.UUID] = []
        self.changed = 0
        # codes given the state they hold, by (version, policy ref, instant)
        self.restamped: dict[tuple[str, str, datetime], list[uuid.UUID]] = defaultdict(list)

    def add(self, policy: Policy, row: Any, outcome: Plan) -> None:
        if _same_state(row, outcome):
            at = outcome.state.evaluated_at
            self.restamped[(policy.version, policy.ref, at)].append(row.id)
        else:
            self.codes.append({"id": row.id, **outcome.fields})
        self.residents.append(row.resident_id)
        self.changed += bool(outcome.changes)
        for change in outcome.changes:
            self.history.append(
                history_values(row.id, row.resident_id, change, self.actor_id, self.note)
            )
            self.notices.append((row.resident_id, change.at, change.params(policy.id)))
        self.announce.extend(outcome.announce)
        if policy.model is Model.PASS:  # only passes are printed on paper
            self.papers[(row.resident_id, policy.id)] = outcome

    def flush(self, uow: UnitOfWork, env: Env, now: datetime) -> None:
        batches = uow.code_batches
        batches.update_codes(self.codes)
        for (version, ref, at), ids in self.restamped.items():
            batches.restamp(ids, version, ref, at)
        batches.insert(t.ColourChange, self.history)
        events.colour_changes(uow, env, self.notices)
        for application_id in self.announce:
            events.application_waiting(uow, env, application_id=application_id)
        self._papers(uow, env, now)

    def _papers(self, uow: UnitOfWork, env: Env, now: datetime) -> None:
        by_policy: dict[str, list[uuid.UUID]] = defaultdict(list)
        for resident_id, policy_id in self.papers:
            by_policy[policy_id].append(resident_id)
        for policy_id, ids in by_policy.items():
            for resident_id in sorted(uow.code_batches.with_paper(ids, policy_id, now)):
                state = self.papers[(resident_id, policy_id)].state
                paper_passes.withdraw_outdated(
                    uow, env, resident_id=resident_id, policy_id=policy_id, state=state
                )


def _same_state(row: Any, outcome: Plan) -> bool:
    """The evaluation gave the code the state it holds, its instant and its version's
    name aside, and no states ahead: only those two need writing (``restamp``). A
    version with no record evaluates every code again, and most come out as they were
    (they were written as a whole, 0.1 s a page of 1,000 at 100 k)."""
    fields = outcome.fields
    if outcome.changes or fields["ahead"] or not isinstance(row.state, str):
        return False
    if (fields["recheck_at"], fields["awaiting_id"]) != (row.recheck_at, row.awaiting_id):
        return False
    return _beside_stamp(orjson.loads(row.state)) == _beside_stamp(fields["state"])


def _beside_stamp(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k != "policy" and k != "evaluated_at"}


def advance_due(units: UnitOfWorkFactory, env: Env, *, at: datetime) -> Recoloured:
    """The rollover's first pass: every due code whose states ahead reach now moves
    along them in SQL, no facts read and no engine run (``CodeBatches.advance``), its
    changes recorded with cause ``time`` and told to the resident. The codes it
    leaves due take the engine's path after it. Pages of ``ADVANCE_PAGE`` residents
    with a due code, their codes locked in resident order, a transaction each. On SQLite,
    nothing (every due code takes the engine's path)."""
    total = Recoloured(0, 0)
    for policy_id in env.policies:
        policy = env.policies.find(policy_id)
        with units() as reader:
            if not reader.code_batches.advances():
                return total
            for page in reader.code_batches.due_residents(policy.id, at, ADVANCE_PAGE):
                with units() as uow:
                    total = total + _advance(uow, env, policy, at, page)
    return total


def _advance(
    uow: UnitOfWork, env: Env, policy: Policy, at: datetime, residents: list[uuid.UUID]
) -> Recoloured:
    batches = uow.code_batches

    def advance(*, wait: bool) -> Advanced | None:
        return batches.advance(
            policy.id,
            policy.version,
            due=at,
            now=env.clock.now(),
            resident_ids=residents,
            cause=Cause.TIME.value,
            printed=policy.model is Model.PASS,  # only passes are printed on paper
            wait=wait,
        )

    done = advance(wait=False)
    if done is None:  # a code another transaction holds: lock the page's, in order
        batches.lock_codes(policy.id, policy.version, at, residents)
        done = advance(wait=True)
    assert done is not None  # waited for its locks
    notices = [
        (resident_id, when, {"policy": policy.id, "from": was, "to": to, "rule_ids": rules,
                             "cause": Cause.TIME.value})
        for resident_id, when, was, to, rules in done.changes
    ]  # fmt: skip
    events.colour_changes(uow, env, notices)
    # the colour cache forgets nothing: its entries of these codes were due, never
    # served again (colour_cache.py)
    changed = len({resident_id for resident_id, *_ in done.changes})
    return Recoloured(done.moved, changed, advanced=done.moved)


def top_up(
    units: UnitOfWorkFactory, env: Env, within: IdRange = EVERYONE, *, before: datetime
) -> Recoloured:
    """Codes (of the residents ``within``) falling due by ``before`` (the coming night's
    rollover) whose states ahead do not reach it, evaluated now on the engine's path
    (cause ``time``: their states ahead written again, from now), a page per
    transaction: at ``before`` the rollover moves them in SQL (``advance_due``) instead
    of running the engine on them at night. A code nobody touched for more than
    ``timeline.AHEAD`` of its rechecks has used up its steps. Not yet due, it evaluates
    to the state it holds, so nothing is recorded of it but the new steps. On SQLite,
    nothing (the rollover evaluates every due code)."""
    with units() as uow:
        if not uow.code_batches.advances():
            return Recoloured(0, 0)
    now = env.clock.now()
    pages = [
        _running_out(units, env, env.policies.find(p), now, before, within) for p in env.policies
    ]
    return sum(pages, Recoloured(0, 0))


def _running_out(
    units: UnitOfWorkFactory,
    env: Env,
    policy: Policy,
    now: datetime,
    before: datetime,
    within: IdRange,
) -> Recoloured:
    after: list[uuid.UUID | None] = [None]

    def next_page(uow: UnitOfWork) -> list[uuid.UUID]:
        page = uow.code_batches.running_out(
            policy.id,
            policy.version,
            now=now,
            before=before,
            after=after[0],
            limit=PAGE,
            within=within,
        )
        after[0] = page[-1] if page else None
        return page

    def work(uow: UnitOfWork, page: Sequence[Any]) -> Recoloured:
        keys = [(resident_id, policy.id) for resident_id in page]
        return recolour_codes(uow, env, keys=keys, cause=Cause.TIME)

    return in_pages(units, next_page, work)


def in_pages(
    units: UnitOfWorkFactory,
    next_page: Callable[[UnitOfWork], Sequence[Any]],
    work: Callable[[UnitOfWork, Sequence[Any]], Recoloured],
    *,
    size: int = PAGE,
) -> Recoloured:
    """``work`` on each page ``next_page`` finds, a transaction per page, until a
    page comes back short."""
    total = Recoloured(0, 0)
    while True:
        with units() as uow:
            page = next_page(uow)
            done = work(uow, page) if page else Recoloured(0, 0)
        total = total + Recoloured(done.checked, done.changed)
        if len(page) < size:
            return total


def apply_policy(
    units: UnitOfWorkFactory,
    env: Env,
    *,
    policy_id: str,
    everyone: bool = False,
    within: IdRange = EVERYONE,
) -> Recoloured:
    """A policy change: recolour every code of the policy that was evaluated under
    another version than the one in force (``everyone``: every code of the policy),
    in pages, each change recorded with cause ``policy``; codes an older version's
    recorded text shows the new one cannot change are renamed (``_rename``).
    ``within``: only the residents of that range (one process's share,
    ``jobs/processes.py``)."""
    policy = env.policies.find(policy_id)
    version = None if everyone else policy.version
    renamed = Recoloured(0, 0) if everyone else _rename(units, env, policy, within)
    after: list[uuid.UUID | None] = [None]

    def next_page(uow: UnitOfWork) -> list[uuid.UUID]:
        page = uow.code_batches.of_policy(policy.id, version, after[0], PAGE, within)
        if page:
            after[0] = page[-1]
        return page

    def work(uow: UnitOfWork, page: Sequence[Any]) -> Recoloured:
        keys = [(resident_id, policy.id) for resident_id in page]
        return recolour_codes(uow, env, keys=keys, cause=Cause.POLICY)

    with units() as uow:  # renamed or evaluated, all of them: no page to look for
        left = everyone or set(uow.code_batches.versions_of(policy.id)) - {policy.version}
    done = (in_pages(units, next_page, work) if left else Recoloured(0, 0)) + renamed
    colour_cache.forget_all(env)  # a reader may have cached a colour of the old version
    log.info(
        "codes.policy_applied",
        policy=policy.ref,
        checked=done.checked,
        changed=done.changed,
        relabelled=done.relabelled,
    )
    return done


def _rename(units: UnitOfWorkFactory, env: Env, policy: Policy, within: IdRange) -> Recoloured:
    """Codes of an older version that this one cannot change take its name without
    being evaluated again: the same rules over the same facts gave them the same
    states. Either the older version's recorded text says what this one says, its
    version aside (``policy_content.same_meaning``: a new version for a title, the
    form or the checkpoint's words), or the change is confined to rules on items
    (``policy_reach``): the residents one of the changed rules holds on are found
    (``_screen``) and evaluated, the others' codes renamed, both at once where the
    database takes two writers; new words of the green next step are written into
    the renamed states that show them. A version with no record (before stop 34) is
    evaluated as any other."""
    with units() as uow:
        at_once = units.own_connections and uow.code_batches.writers_at_once()
        older = [
            (version, recorded.content)
            for version in uow.code_batches.versions_of(policy.id)
            if version != policy.version
            and (recorded := uow.policy_versions.get(policy.id, version)) is not None
        ]
    total = Recoloured(0, 0)
    for old, content in older:
        if same_meaning(content, policy):
            total = total + Recoloured(0, 0, relabelled=_relabel(units, policy, old, within))
        elif (changed := reach(content, policy)) is not None:
            found, screen_s = _timed(partial(_screen, units, policy, old, changed, within))
            evaluated, renamed = _both(
                partial(_evaluated, units, env, policy, found),
                partial(_relabel, units, policy, old, within, found, changed.green_next_step),
                at_once=at_once,
            )
            total = total + evaluated + Recoloured(0, 0, relabelled=renamed)
            log.info(
                "codes.policy_reached", policy=policy.ref, older=old, reached=len(found),
                screen_s=screen_s, at_once=at_once,
            )  # fmt: skip
    return total


def _both(
    evaluate: Callable[[], Recoloured], rename: Callable[[], int], *, at_once: bool
) -> tuple[Recoloured, int]:
    """Codes evaluated and codes renamed, which are different codes; ``at_once``,
    renamed in a thread: the rename's time is the database's, whose waits leave the
    engine the interpreter. Each side's seconds are logged."""
    if at_once:
        with ThreadPoolExecutor(max_workers=1) as pool:
            renaming = pool.submit(_timed, rename)
            evaluated, evaluate_s = _timed(evaluate)
            renamed, rename_s = renaming.result()
    else:
        evaluated, evaluate_s = _timed(evaluate)
        renamed, rename_s = _timed(rename)
    log.info("codes.policy_evaluated_and_renamed", evaluate_s=evaluate_s, rename_s=rename_s)
    return evaluated, renamed


def _timed(run: Callable[[], Done]) -> tuple[Done, float]:
    """What ``run`` gave, and its seconds (to the hundredth) for a log line."""
    started = time.perf_counter()
    return run(), round(time.perf_counter() - started, 2)


def _screen(
    units: UnitOfWorkFactory, policy: Policy, old: str, changed: Reach, within: IdRange
) -> list[uuid.UUID]:
    """The residents holding a code of ``old`` who have an item one of the changed
    rules holds on (``engine.holds_anywhere``), in id order. Only residents with a
    fact of the rules' sources (of the kinds they name) are read, and only those
    facts, a page at a time."""
    found: list[uuid.UUID] = []
    after = None
    while True:
        with units() as uow:
            page = uow.code_batches.of_version_with(
                policy.id, old, changed.sources, changed.record_kinds, after, PAGE, within
            )
            facts = uow.facts.for_residents(uow.code_batches, page, policy.id, changed.sources)
        memo: dict[tuple[int, str], bool] = {}
        found += [r for r in page if holds_anywhere(facts[r], changed.conditions, memo)]
        if len(page) < PAGE:
            return found
        after = page[-1]


def _evaluated(
    units: UnitOfWorkFactory, env: Env, policy: Policy, found: Sequence[uuid.UUID]
) -> Recoloured:
    """The codes of these residents evaluated under ``policy``, cause ``policy``, in
    full pages of the engine's path."""
    done = Recoloured(0, 0)
    for start in range(0, len(found), PAGE):
        keys = [(resident_id, policy.id) for resident_id in found[start : start + PAGE]]
        with units() as uow:
            page = recolour_codes(uow, env, keys=keys, cause=Cause.POLICY)
        done = done + Recoloured(page.checked, page.changed)
    return done


def _relabel(
    units: UnitOfWorkFactory,
    policy: Policy,
    old: str,
    within: IdRange,
    skip: Sequence[uuid.UUID] = (),
    green: Mapping[str, str] | None = None,
) -> int:
    """Rename the codes of ``old`` (but those of the residents in ``skip``, in id
    order) a page of residents per transaction; how many; ``green``: with the new
    words of the green next step where a state shows it (``Reach``). A page is renamed without
    locks and given up if it meets a code another transaction holds
    (``CodeBatches.relabel``); after ``RENAME_TRIES`` tries it waits for the
    residents' locks, as every recolouring does. Only a page that renames nothing
    ends it: one that another transaction wrote some codes of meanwhile comes back
    short, and ending there left every later code to the engine. A page goes no
    further than the last of the ``skip`` residents it is given (``until``): beyond
    them, residents being evaluated would be renamed too."""
    total, after, tries = 0, None, 0
    while True:
        start = 0 if after is None else bisect_right(skip, after)
        shown = skip[start : start + RENAME_PAGE]
        until = shown[-1] if len(shown) == RENAME_PAGE else None
        with units() as uow:
            page = uow.code_batches.relabel(
                policy.id, old, policy.version, after, RENAME_PAGE, within,
                wait=tries >= RENAME_TRIES, skip=shown, until=until, green=green,
            )  # fmt: skip
        if page is None:
            tries += 1
            time.sleep(RENAME_PAUSE * tries)
            continue
        (count, last), tries = page, 0
        if count == 0 and until is None:
            return total
        total += count
        after = last if count else until
