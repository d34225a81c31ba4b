"""Showing and checking codes: the resident's live code, its history, online verify.

The on-screen code is a short-lived signed token (about a minute) so that a
screenshot goes stale; the page fetches a fresh one before the old one expires.
A token is reused for most of its lifetime (``display_tokens``), and each session
has a budget of token and QR requests, so one resident's burst cannot slow others.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.identity import parse_id_number
from healthcode.domain.policy import Policy
from healthcode.domain.state import State
from healthcode.domain.tokens import (
    CodeClaims,
    Purpose,
    Refusal,
    SigningKey,
    Verification,
    check_person,
    new_claims,
    verify_any,
)
from healthcode.domain.tokens.foreign import ForeignVerification, verify_foreign
from healthcode.services.codes import colour_cache
from healthcode.services.codes.colour_cache import CachedColour
from healthcode.services.codes.recolour import cached_state, current_state
from healthcode.services.codes.results import ColourChange
from healthcode.services.shared import lists
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.services.shared.versioned_cache import Ticket
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

SCANNABLE = (Purpose.DISPLAY, Purpose.PAPER, Purpose.DEVICE)
# Per session, over the code page, its live QR, the API token and QR images: the page
# needs two or three a minute, an app about as many.
DISPLAY_LIMIT = "20/minute"


class NoCode(Conflict):
    code = "no_code"


@dataclass(frozen=True)
class DisplayCode:
    token: str
    claims: CodeClaims
    state: State
    served_at: datetime

    @property
    def expires_in(self) -> int:
        """Whole seconds the token has left: a reused token, or one cut short by the
        pass's end, has less than its full lifetime."""
        return max(0, int((self.claims.expires_at - self.served_at).total_seconds()))

    @property
    def refresh_in(self) -> int:
        """Seconds until a page should fetch the next token: two thirds of what is
        left, so a slow network never leaves an expired code on screen."""
        return max(1, self.expires_in * 2 // 3)


def read_code_state(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID | None, policy_id: str
) -> State:
    policy = env.policies.find(policy_id)
    if resident_id is None:
        raise NoCode(N_("You have no code yet; please declare first"))
    return current_state(uow, env, resident_id=resident_id, policy=policy)


def colour_now(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID, policy: Policy
) -> Colour | None:
    """The colour the resident's code has now (None: they hold none), for a gate that
    reads a code made earlier: the colour cache while good, else the code's row
    (recoloured first if due), which then fills the cache."""
    cached = colour_cache.get(env, resident_id, policy.id)
    if isinstance(cached, CachedColour) and cached.good(
        policy_version=policy.version, now=env.clock.now()
    ):
        return cached.state.colour
    code = uow.codes.of_resident(resident_id, policy.id)
    if code is None:
        return None
    state = cached_state(uow, env, code=code, policy=policy)
    if isinstance(cached, Ticket):
        colour_cache.put(
            env, resident_id, policy.id, colour_cache.entry(state, policy.version), cached
        )
    return state.colour


def display_code(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_id: uuid.UUID | None,
    policy_id: str,
    session_id: uuid.UUID | None = None,
) -> DisplayCode:
    """A current on-screen token for the resident's current colour, counted against
    ``session_id``'s budget (callers outside a session, such as the CLI, pass none).

    A pass's token carries its end and expires with it; once the pass has lapsed the
    code no longer claims one (a scanner would refuse it as lapsed).
    """
    shown = showable(
        uow, env, resident_id=resident_id, policy_id=policy_id, budget=(DISPLAY_LIMIT, "display"),
        session_id=session_id,
    )  # fmt: skip
    signer = env.keys.signer(uow, env.protector, shown.now)
    return displayed(env, shown.state, shown.resident, shown.now, shown.policy, signer)


class Face(Protocol):
    """What a code shows of its resident (a row, or the code page's read of it)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def ref(self) -> str: ...
    @property
    def name_masked(self) -> str: ...
    @property
    def id_masked(self) -> str: ...
    @property
    def id_cipher(self) -> bytes: ...


def displayed(
    env: Env, state: State, resident: Face, now: datetime, policy: Policy, signer: SigningKey
) -> DisplayCode:
    """The on-screen token of ``state``: the last one while it still says the same."""
    claims = new_claims(
        Purpose.DISPLAY,
        now=now,
        issuer=env.settings.issuer,
        colour=state.colour,
        policy=policy.id,
        policy_version=policy.version,
        resident_ref=resident.ref,
        masked_name=resident.name_masked,
        masked_id=resident.id_masked,
        pass_valid_until=pass_end(state, now),
        lifetime=timedelta(seconds=env.settings.display_token_seconds),
    )
    signed = env.display_tokens.token((resident.id, policy.id), claims, signer, now)
    return DisplayCode(signed.text, signed.claims, state, now)


@dataclass(frozen=True)
class Showable:
    state: State
    resident: t.Resident
    now: datetime
    policy: Policy


def showable(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_id: uuid.UUID | None,
    policy_id: str,
    budget: tuple[str, str],
    session_id: uuid.UUID | None,
) -> Showable:
    """The resident's colour to sign for display, after ``session_id``'s request budget
    (``budget``: the limit and its name); ``NoCode`` before a declaration."""
    if session_id is not None:
        spend(env, budget, session_id)
    state = read_code_state(uow, env, resident_id=resident_id, policy_id=policy_id)
    if state.colour is Colour.NONE or resident_id is None:
        raise NoCode(N_("You have no code yet; please declare first"))
    resident = uow.residents.by_id(resident_id)
    assert resident is not None
    return Showable(state, resident, env.clock.now(), env.policies.find(policy_id))


def spend(env: Env, budget: tuple[str, str], session_id: uuid.UUID) -> None:
    """Count one request against the session's budget (``budget``: limit, name)."""
    limit, name = budget
    retry = env.limiter.hit(limit, name, str(session_id))
    if retry is not None:
        raise TooManyRequests(
            N_("Too many requests; try again in {retry_after} s"), retry_after=retry
        )


def pass_end(state: State, now: datetime) -> datetime | None:
    """The pass's end while it lasts; None once lapsed (a code no longer claims it)."""
    until = state.valid_until
    return until if until is not None and now < until else None


def list_colour_changes(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID | None, policy_id: str
) -> Sequence[ColourChange]:
    env.policies.find(policy_id)
    if resident_id is None:
        return ()
    code = uow.codes.of_resident(resident_id, policy_id)
    return [ColourChange.of(row) for row in uow.codes.history(code.id)] if code else ()


def verify_code(
    uow: UnitOfWork, env: Env, *, text: str, id_number: str | None = None
) -> Verification | ForeignVerification:
    """Online verification: the same checks an offline scanner makes, against the
    current trust and revocation lists, of a signed token or a phone's presentation
    (both signatures, and made within the configured window), or of a federated
    region's code with that region's entry; given the ID card shown with it, also
    that the code is that person's (ours only: another region's code carries no
    salted ID of ours to compare). A token carries only the masked number, so online
    its resident's keyed hash of the whole number decides: until stop 43 ``/verify``
    passed another card with the same first and last four characters (an outside
    probe); only the ID-card lane compared the hash."""
    result = verify_scanned(uow, env, text=text)
    if id_number is None:
        return result
    card = parse_id_number(id_number, today=day_of(env.clock.now()), field="id_number")
    if isinstance(result, ForeignVerification):
        raise InvalidInput.single(
            "id_number",
            "foreign_code",
            N_("Another region's code holds no ID number of ours: check the ID card by its rules"),
        )
    checked = check_person(result, card.value)
    claims = checked.claims
    if checked.ok and isinstance(claims, CodeClaims):
        resident_id = uow.residents.id_by_ref(claims.resident_ref)
        resident = None if resident_id is None else uow.residents.by_id(resident_id)
        if resident is not None and resident.id_hash != env.protector.keyed_hash(
            card.value, kind="id_number"
        ):
            return replace(checked, reason=Refusal.WRONG_PERSON)
    return checked


def verify_scanned(
    uow: UnitOfWork,
    env: Env,
    *,
    text: str,
    at: datetime | None = None,
    is_revoked: Callable[[bytes], bool] | None = None,
    regions: lists.Federation | None = None,
) -> Verification | ForeignVerification:
    """A code read at a gate, ours or a federated region's (by its prefix), verified
    as of ``at`` (now if not given; an offline scan's time) with the revocations
    ``is_revoked`` knows (the current list if not given). Another region's code is
    checked with its own entry and keys (docs/federation.md), among ``regions`` if
    given (the stored ones if not); our revocation list holds our token ids only, so
    it is not asked about theirs."""
    now = env.clock.now() if at is None else at
    found = lists.federated_region_for(uow, text, regions)
    if found is not None:
        region, keys = found
        return verify_foreign(text, region=region, keys=keys, at=int(now.timestamp()))
    return _verify_ours(uow, env, text, now, is_revoked or uow.revocations.is_revoked)


def _verify_ours(
    uow: UnitOfWork, env: Env, text: str, at: datetime, is_revoked: Callable[[bytes], bool]
) -> Verification:
    trust = env.keys.get(uow, env.protector, env.clock.now()).trust
    return verify_any(
        text,
        trust=trust,
        now=at,
        purposes=SCANNABLE,
        is_revoked=is_revoked,
        window_seconds=env.settings.presentation_window_seconds,
    )
