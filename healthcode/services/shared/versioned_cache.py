"""A cache of values derived from the database, invalidated by version, shared by
workers through Redis (or per process when there is no Redis).

Each entry lives under a *space* (what kind of value), a *key* (whose, e.g. a
resident) and a *field* (which one of theirs, e.g. a policy). Invalidation never
has to know the fields: every key has a version and every space a generation, and
an entry is good only while both are what they were when its reader *started*.

A reader asks first (``get``), which answers a hit or a ``Ticket`` — the versions
seen before it reads the database — and stores what it read under that ticket
(``put``). A writer bumps the key's version after its commit (``forget``) or the
space's generation (``forget_all``). A reader that read the old row before the
commit therefore stores under an old ticket, and that entry is never served: no
stale value survives a write, however the two interleave.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, Protocol

import redis

from healthcode.services.shared.breaker import Breaker

MAX_ENTRIES = 100_000  # per process, least recently used evicted first
# Redis entries: a bound on memory, and on how long an entry can outlive a forget
# that never came (its process lost for good between a commit and the forget)
TTL_SECONDS = 15 * 60


class Ticket(NamedTuple):
    """The versions a reader saw before reading the database."""

    generation: int
    version: int


class Missing(NamedTuple):
    ticket: Ticket


Decode = Callable[[bytes], Any]
Encode = Callable[[Any], bytes]


class VersionedCache(Protocol):
    def get(self, space: str, key: str, field: str, decode: Decode) -> Any | Missing: ...

    def put(
        self, space: str, key: str, field: str, value: Any, ticket: Ticket, encode: Encode
    ) -> None: ...

    def forget(self, space: str, keys: Iterable[str]) -> None: ...

    def forget_all(self, space: str) -> None: ...


class LocalCache:
    """One process's cache: right for one worker (the embedded SQLite default). With
    several workers, set ``HEALTHCODE_REDIS_URL``: a write in one worker cannot reach
    another worker's memory."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str, str], tuple[Ticket, Any]] = OrderedDict()
        self._versions: dict[tuple[str, str], int] = {}
        self._generations: dict[str, int] = {}
        self._max = max_entries

    def _ticket(self, space: str, key: str) -> Ticket:
        return Ticket(self._generations.get(space, 0), self._versions.get((space, key), 0))

    def get(self, space: str, key: str, field: str, decode: Decode) -> Any | Missing:
        with self._lock:
            ticket = self._ticket(space, key)
            found = self._entries.get((space, key, field))
            if found is not None and found[0] == ticket:
                return found[1]
            return Missing(ticket)

    def put(
        self, space: str, key: str, field: str, value: Any, ticket: Ticket, encode: Encode
    ) -> None:
        with self._lock:
            if ticket != self._ticket(space, key):
                return  # a write came in between: what was read is already old
            self._entries[(space, key, field)] = (ticket, value)
            self._entries.move_to_end((space, key, field))
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def forget(self, space: str, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._versions[(space, key)] = self._versions.get((space, key), 0) + 1

    def forget_all(self, space: str) -> None:
        with self._lock:
            self._generations[space] = self._generations.get(space, 0) + 1


class RedisCache:
    """Entries shared by every worker: per key one hash holding its version (``v``)
    and each field's entry, prefixed by the ticket it was read under; per space one
    generation counter. A read is one pipelined round trip."""

    def __init__(self, url: str, prefix: str = "hc:cache", *, timeout: float = 0.5) -> None:
        # a Redis that does not answer in time is down: the caller reads the database,
        # and the next callers for five seconds do not wait on it again (``Breaker``)
        self._redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._prefix = prefix
        self._breaker = Breaker()

    def _run(self, pipe: redis.client.Pipeline) -> list[Any]:
        if self._breaker.open:
            raise redis.ConnectionError("Redis failed a moment ago; not asked again yet")
        try:
            return pipe.execute()
        except redis.RedisError:
            self._breaker.trip()
            raise

    def _generation_key(self, space: str) -> str:
        return f"{self._prefix}:{space}:generation"

    def _key(self, space: str, key: str) -> str:
        return f"{self._prefix}:{space}:{key}"

    def get(self, space: str, key: str, field: str, decode: Decode) -> Any | Missing:
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(self._generation_key(space))
        pipe.hmget(self._key(space, key), ["v", field])
        generation, (version, entry) = self._run(pipe)
        ticket = Ticket(int(generation or 0), int(version or 0))
        if entry is not None:
            head, _, body = bytes(entry).partition(b"|")
            if head == _head(ticket):
                return decode(body)
        return Missing(ticket)

    def put(
        self, space: str, key: str, field: str, value: Any, ticket: Ticket, encode: Encode
    ) -> None:
        # No check-and-set needed: an entry under an old ticket is never served.
        name = self._key(space, key)
        pipe = self._redis.pipeline(transaction=False)
        pipe.hset(name, field, _head(ticket) + b"|" + encode(value))
        pipe.expire(name, TTL_SECONDS)
        self._run(pipe)

    def forget(self, space: str, keys: Iterable[str]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            name = self._key(space, key)
            pipe.hincrby(name, "v", 1)
            pipe.expire(name, TTL_SECONDS)
        self._run(pipe)

    def forget_all(self, space: str) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(self._generation_key(space))
        self._run(pipe)


class NoCache:
    """Every read a miss, nothing kept (``HEALTHCODE_COLOUR_CACHE=false``: the bench's
    uncached rows, or to rule the cache out)."""

    def get(self, space: str, key: str, field: str, decode: Decode) -> Any | Missing:
        return Missing(Ticket(0, 0))

    def put(
        self, space: str, key: str, field: str, value: Any, ticket: Ticket, encode: Encode
    ) -> None:
        return None

    def forget(self, space: str, keys: Iterable[str]) -> None:
        return None

    def forget_all(self, space: str) -> None:
        return None


def _head(ticket: Ticket) -> bytes:
    return f"{ticket.generation}.{ticket.version}".encode()


def make_cache(redis_url: str, *, enabled: bool = True, timeout: float = 0.5) -> VersionedCache:
    if not enabled:
        return NoCache()
    return RedisCache(redis_url, timeout=timeout) if redis_url else LocalCache()
