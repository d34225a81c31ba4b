"""The code page's hot path: the colour, the on-screen token, the phone's attestation
and each tick of its colour watch in one database round trip, or none beyond the
session's (issue 14 §1).

One query reads the session with its account and roles, the resident, the code and
the signing key's window (``store/repositories/code_pages.py``), outside any
transaction: no BEGIN, no COMMIT, no write lock. When the colour cache holds the
code's state, the query leaves the code out. Every rule of the slower path holds:

* the session is checked as everywhere else (``sessions.admitted``: expiry,
  revocation, a disabled account) — it is read on every request, never cached, so a
  logout is refused at once on every worker;
* only a resident's own account, within the session's request budget;
* the key signs only while its window, as committed now, is open;
* a state found due for a change (``recheck_at`` passed, or another policy version)
  is not served: the request takes the unit-of-work path, which recolours in a write
  transaction, commits (forgetting the cache entry) and then answers. So does
  anything unusual — no code row yet, the key ring due for a reload.

Which resident a session belongs to is remembered per process as a *hint* only, to
look in the cache before the query; the query's answer is what counts.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from healthcode.crypto import token_hash
from healthcode.domain.colour import Colour
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.domain.state import State
from healthcode.domain.tokens import NoSigningKey, SigningKey, window_open
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes import colour_cache, device_codes, health_codes
from healthcode.services.codes.colour_cache import CachedColour
from healthcode.services.codes.health_codes import DISPLAY_LIMIT, DisplayCode, Face, NoCode
from healthcode.services.shared.env import Env
from healthcode.services.shared.versioned_cache import Ticket
from healthcode.store.state_json import state_from_json
from healthcode.store.uow import CodePage, ReadUnit, UnitOfWorkFactory

Result = TypeVar("Result")
HINTS = 100_000  # sessions whose resident this process remembers (a hint, see above)


@dataclass(frozen=True)
class Seen:
    """What one read found, checked; ``state`` and ``signer`` None: take the slow path."""

    principal: Principal
    policy: Policy
    now: datetime
    resident: Face | None
    state: State | None
    signer: SigningKey | None


def code_state(units: UnitOfWorkFactory, env: Env, *, token: str, policy_id: str) -> State:
    """The resident's current state (the code page's colour, reasons, next step)."""
    seen = _see(units, env, token=token, policy_id=policy_id, budget=None, signing=False)
    if seen.state is not None:
        return seen.state
    return _slowly(units, env, seen, health_codes.read_code_state, policy_id=policy_id)


def display(
    units: UnitOfWorkFactory, env: Env, *, token: str, policy_id: str
) -> tuple[Principal, DisplayCode]:
    """A current on-screen token (``health_codes.display_code``), counted against the
    session's budget."""
    seen = _see(units, env, token=token, policy_id=policy_id, budget=(DISPLAY_LIMIT, "display"))
    if seen.state is None or seen.signer is None or seen.resident is None:
        shown = _slowly(units, env, seen, health_codes.display_code, policy_id=policy_id)
        return seen.principal, shown
    _showable(seen.state)
    shown = health_codes.displayed(
        env, seen.state, seen.resident, seen.now, seen.policy, seen.signer
    )
    return seen.principal, shown


def attest(
    units: UnitOfWorkFactory, env: Env, *, token: str, policy_id: str, device_key: bytes
) -> device_codes.Attested:
    """The phone's attestation (``device_codes.attest``), counted against its budget."""
    seen = _see(units, env, token=token, policy_id=policy_id, budget=None)
    device_codes.check_device_key(device_key)  # after the sign-in check, as before
    if seen.principal.session_id is not None:
        health_codes.spend(env, (device_codes.ATTEST_LIMIT, "attest"), seen.principal.session_id)
    if seen.state is None or seen.signer is None or seen.resident is None:
        return _slowly(
            units, env, seen, device_codes.attest, policy_id=policy_id, device_key=device_key
        )
    _showable(seen.state)
    return device_codes.attested(
        env, seen.state, seen.resident, seen.now, seen.policy, seen.signer, device_key
    )


def watched_colour(units: UnitOfWorkFactory, env: Env, *, token: str, policy_id: str) -> Colour:
    """The stored colour a phone's colour watch compares, every few seconds for up to
    an hour, with the session checked in the same one read as every way in checks it:
    a logout or a disabled account ends the watch at its next tick (``NotAuthenticated``).
    It was checked once, when the watch opened, and kept telling the colour after."""
    policy, hashed = env.policies.find(policy_id), _hashed(token)

    def read(unit: ReadUnit) -> CodePage | None:
        return unit.code_pages.signed_in(hashed, kid=b"", policy_id=policy.id)

    page = units.read(read)
    _principal(page, env.clock.now())
    code = page.code if page is not None else None
    return Colour.NONE if code is None else Colour(code.colour)


# --- the one read -----------------------------------------------------------------------


def _see(
    units: UnitOfWorkFactory,
    env: Env,
    *,
    token: str,
    policy_id: str,
    budget: tuple[str, str] | None,
    signing: bool = True,
) -> Seen:
    policy = env.policies.find(policy_id)
    hashed, now = _hashed(token), env.clock.now()
    hint = _hints.get(hashed)
    cached = None if hint is None else colour_cache.get(env, hint, policy.id)
    hit = isinstance(cached, CachedColour) and cached.good(policy_version=policy.version, now=now)
    signer = env.keys.cached_signer(now) if signing else None
    if signing and signer is None:  # this process's copy is old: reload it, reading only
        signer = _reloaded_signer(units, env, now)
    kid = signer.kid if signer is not None else b""
    wanted = None if hit else policy.id

    def read(unit: ReadUnit) -> CodePage | None:
        return unit.code_pages.signed_in(hashed, kid=kid, policy_id=wanted)

    page = units.read(read)
    principal = _principal(page, now)
    if budget is not None and principal.session_id is not None:
        health_codes.spend(env, budget, principal.session_id)
    resident = page.resident if page is not None else None
    if resident is None:
        raise NoCode(N_("You have no code yet; please declare first"))
    _hints.put(hashed, resident.id)
    state = _state(env, page, policy, now, cached if resident.id == hint else None)
    if signer is not None and not (page and page.key_window and window_open(now, *page.key_window)):
        env.keys.invalidate()  # retired or rotated by another process: reload, choose again
        signer = None
    return Seen(principal, policy, now, resident, state, signer)


def _hashed(token: str) -> bytes:
    if not token or len(token) > sessions.MAX_TOKEN:
        raise sessions.NotAuthenticated(N_("Please sign in"))
    return token_hash(token)


def _reloaded_signer(units: UnitOfWorkFactory, env: Env, now: datetime) -> SigningKey | None:
    """The key ring reloaded in a read-only unit. Through the write path (``_slowly``)
    every code page of the process waited behind another process's write lock on
    SQLite (an import, the rollover) until it could reload: 503s after 5 s."""
    try:
        with units.snapshot() as uow:
            return env.keys.signer(uow, env.protector, now)
    except NoSigningKey:
        return None  # the write path says so in words


def _principal(page: CodePage | None, now: datetime) -> Principal:
    found = None
    if page is not None:
        found = sessions.SignedIn(
            session_id=page.session_id,
            expires_at=page.expires_at,
            revoked_at=page.revoked_at,
            account_id=page.account_id,
            kind=page.kind,
            disabled_at=page.disabled_at,
            resident_id=page.resident.id if page.resident else None,
            roles=page.roles,
        )
    return sessions.admitted_as(found, sessions.residents_only, now=now)


def _state(
    env: Env,
    page: CodePage | None,
    policy: Policy,
    now: datetime,
    cached: CachedColour | Ticket | None,
) -> State | None:
    """The state to serve; None when it is due for a change (or unknown here)."""
    if isinstance(cached, CachedColour) and cached.good(policy_version=policy.version, now=now):
        return cached.state
    code = page.code if page is not None else None
    if code is None or page is None or page.resident is None:
        return None
    if code.policy_version != policy.version:
        return None
    if code.recheck_at is not None and now >= code.recheck_at:
        return None  # the lapse instant: recolour in a write transaction first
    state = state_from_json(code.state)
    if isinstance(cached, Ticket):
        entry = CachedColour(state, code.policy_version, code.recheck_at)
        colour_cache.put(env, page.resident.id, policy.id, entry, cached)
    return state


def _showable(state: State) -> None:
    if state.colour is Colour.NONE:
        raise NoCode(N_("You have no code yet; please declare first"))


def _slowly(
    units: UnitOfWorkFactory,
    env: Env,
    seen: Seen,
    use_case: Callable[..., Result],
    **arguments: object,
) -> Result:
    """The unit-of-work path (a write transaction that recolours if due, then commits),
    for the principal already checked and counted (so no session budget again)."""
    with units() as uow:
        return use_case(uow, env, resident_id=seen.principal.resident_id, **arguments)


class _Hints:
    """Token hash → resident, per process, least recently used evicted first."""

    def __init__(self, size: int = HINTS) -> None:
        self._lock = threading.Lock()
        self._map: OrderedDict[bytes, uuid.UUID] = OrderedDict()
        self._size = size

    def get(self, hashed: bytes) -> uuid.UUID | None:
        with self._lock:
            return self._map.get(hashed)

    def put(self, hashed: bytes, resident_id: uuid.UUID) -> None:
        with self._lock:
            self._map[hashed] = resident_id
            self._map.move_to_end(hashed)
            while len(self._map) > self._size:
                self._map.popitem(last=False)


_hints = _Hints()
