"""The colour cache: each code's state with its ``recheck_at``, kept in Redis when
``HEALTHCODE_REDIS_URL`` is set (shared by every worker), else in this process.

The database's ``codes`` row stays the truth; this is a copy that spares the code
page the row and its JSON. It is never wrong after a commit, because every write
that can change a colour calls ``forget`` once it has committed — recolouring does
it itself, through ``uow.after_commit``, and batches that write colours in bulk
(set-based recolouring, imports) call ``forget`` or ``forget_all`` after their
commit. A reader that raced such a write stores its copy under the versions it saw
before reading, and that copy is never served (``services/shared/versioned_cache``).

The command line writes colours too (an import, a rollback) but its forgets reach only
its own memory, so it moves a generation in the database on (``tell_servers``) and
each server process follows it once a second (``following``).

An entry is only good until its ``recheck_at`` and for the policy version it was
evaluated under; past either, the reader recolours in a write transaction as the
database path does. If Redis fails, the code page reads the database instead.

A forget that fails (Redis unreachable just then) is owed: until this process has
made every entry old (``forget_all``, tried again on each read), it serves nothing
from the cache. A process killed between a commit and its forget cannot owe
anything, so each server process makes every entry old when it starts (its
supervisor restarts a killed one: ``app.py``), and no entry outlives
``versioned_cache.TTL_SECONDS`` (a node lost for good). Batch recolourings need
neither: their entries were due (``recheck_at``) or of another policy version, and an
import's recolouring owed after a crash forgets its residents again when it is
finished (``jobs/recolouring.py``).
"""

from __future__ import annotations

import json
import threading
import uuid
import weakref
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
import structlog

from healthcode.domain.state import State, recheck_at
from healthcode.services.shared.env import Env
from healthcode.services.shared.versioned_cache import Missing, Ticket, VersionedCache
from healthcode.store.outage import DATABASE_ERRORS
from healthcode.store.state_json import state_from_json, state_to_json
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory

SPACE = "colour"
FOLLOW_SECONDS = 1.0  # how long a command-line write may wait to reach a server's cache
log = structlog.get_logger()
_OWING: weakref.WeakSet[VersionedCache] = weakref.WeakSet()  # caches with a forget owed


@dataclass(frozen=True)
class CachedColour:
    state: State
    policy_version: str
    recheck_at: datetime | None

    def good(self, *, policy_version: str, now: datetime) -> bool:
        """Still the engine's answer: same policy version and no change due yet."""
        return self.policy_version == policy_version and (
            self.recheck_at is None or now < self.recheck_at
        )


def entry(state: State, policy_version: str) -> CachedColour:
    return CachedColour(state, policy_version, recheck_at(state))


def get(env: Env, resident_id: uuid.UUID, policy_id: str) -> CachedColour | Ticket | None:
    """The cached colour, or the ``Ticket`` to ``put`` what the caller reads next
    (None: the cache is unavailable, or owes a forget: read the database, do not store)."""
    if env.cache in _OWING and not _settle(env):
        return None
    try:
        found = env.cache.get(SPACE, str(resident_id), policy_id, _decode)
    except redis.RedisError as error:
        log.warning("colour_cache.unavailable", error=type(error).__name__)
        return None
    return found.ticket if isinstance(found, Missing) else found


def put(
    env: Env, resident_id: uuid.UUID, policy_id: str, value: CachedColour, ticket: Ticket
) -> None:
    try:
        env.cache.put(SPACE, str(resident_id), policy_id, value, ticket, _encode)
    except redis.RedisError as error:
        log.warning("colour_cache.unavailable", error=type(error).__name__)


def forget_after_commit(uow: UnitOfWork, env: Env, resident_id: uuid.UUID) -> None:
    """Forget ``resident_id``'s colours once ``uow`` commits (nothing on a rollback);
    one call for all the residents a unit of work recoloured."""

    def hook(resident_ids: set[Hashable]) -> None:
        forget(env, resident_ids)  # type: ignore[arg-type]

    uow.after_commit_for(SPACE, resident_id, hook)


def forget(env: Env, resident_ids: Iterable[uuid.UUID]) -> None:
    """After a commit that changed (or may have changed) these residents' colours.
    A failure is logged, not raised (the commit stands), and owed (module docstring)."""
    keys = [str(r) for r in resident_ids]
    if not keys:
        return
    try:
        env.cache.forget(SPACE, keys)
    except redis.RedisError as error:
        _owe(env, error, residents=len(keys))
    _announce(env)


def forget_all(env: Env) -> None:
    """After a commit that may have changed anyone's colour (a policy change, a
    rollover, a bulk import), or when a server process starts: one generation bump,
    every entry old at once."""
    try:
        env.cache.forget_all(SPACE)
    except redis.RedisError as error:
        _owe(env, error, residents="all")
    _announce(env)


def tell_servers(units: UnitOfWorkFactory) -> Callable[[], None]:
    """``Env.announce`` for the command line: its forgets reach its own memory only
    (and Redis, if it was given the URL), so it moves the generation in the database
    on, which every server process follows (``follow``)."""

    def announce() -> None:
        with units() as uow:
            uow.cache_generations.move_on(SPACE)

    return announce


def _announce(env: Env) -> None:
    if env.announce is None:
        return
    try:
        env.announce()
    except DATABASE_ERRORS as error:  # the colours are committed; the servers' copies age
        log.error("colour_cache.announce_failed", error=type(error).__name__)


def follow(units: UnitOfWorkFactory, env: Env, seen: int | None) -> int:
    """The generation now; every cached colour of this process forgotten if it moved
    since ``seen`` (another process wrote colours: a command-line import). A forget
    this process owes is paid first: the other workers served the old copy until this
    one next read a code page, which a worker running jobs may never do."""
    if env.cache in _OWING:
        _settle(env)
    now = units.read(lambda unit: unit.cache_generation(SPACE))
    if seen is not None and now != seen:
        log.info("colour_cache.written_elsewhere", generation=now)
        forget_all(env)
    return now


def following(
    units: UnitOfWorkFactory, env: Env, *, every: float = FOLLOW_SECONDS
) -> Callable[[], None]:
    """Follow the generation on a thread of this server process, every ``every``
    seconds, until the returned function is called (nothing to follow for units bound
    to one connection: a test's, with no other process writing)."""
    stop = threading.Event()
    if not units.own_connections:
        return stop.set
    seen = [follow(units, env, None)]

    def run() -> None:
        while not stop.wait(every):
            try:
                seen[0] = follow(units, env, seen[0])
            except DATABASE_ERRORS as error:  # an outage: look again next time
                log.warning("colour_cache.follow_failed", error=type(error).__name__)

    threading.Thread(target=run, name="colour-cache-follower", daemon=True).start()
    return stop.set


def _owe(env: Env, error: redis.RedisError, *, residents: object) -> None:
    log.error("colour_cache.forget_failed", error=type(error).__name__, residents=residents)
    _OWING.add(env.cache)


def _settle(env: Env) -> bool:
    """Pay an owed forget with a ``forget_all``; whether the cache may be read again."""
    try:
        env.cache.forget_all(SPACE)
    except redis.RedisError as error:
        log.warning("colour_cache.unavailable", error=type(error).__name__)
        return False
    _OWING.discard(env.cache)
    log.info("colour_cache.forget_settled")
    return True


def _encode(value: CachedColour) -> bytes:
    data: dict[str, Any] = {"s": state_to_json(value.state), "v": value.policy_version}
    data["r"] = value.recheck_at.isoformat() if value.recheck_at else None
    return json.dumps(data, separators=(",", ":")).encode()


def _decode(raw: bytes) -> CachedColour:
    data = json.loads(raw)
    recheck = datetime.fromisoformat(data["r"]) if data["r"] else None
    return CachedColour(state_from_json(data["s"]), data["v"], recheck)
