"""Paper tokens: signing the long-lived token of a printed pass, and withdrawing it.

A paper token states one colour until the pass ends; the code it was printed from
may change meanwhile. The rule (docs/paper-passes.md): a paper pass is revoked, by
its token id, when the code turns worse than the colour printed on it, when the
pass it was printed from is replaced by a newer signed application, or when an
issuer revokes it. A code that turns better leaves the paper valid: it understates
the colour, never overstates it. Revoked ids reach scanners through the revocation
list (``services/shared/keys.py:revocation_list``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict
from healthcode.domain.i18n import N_
from healthcode.domain.state import State
from healthcode.domain.tokens import CodeClaims, KeyRing, Purpose, issue_token, new_claims
from healthcode.services.shared import audit, keys, lists
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

# Stored in ``revocations.reason`` (what a scanner's list could tell) and in words in
# ``paper_passes.revoke_reason``.
BY_ISSUER = "paper_revoked"
COLOUR_WORSE = "paper_colour_worse"
SUPERSEDED = "paper_superseded"


class PaperPassesStanding(Conflict):
    """Retiring the key would void cards people hold: every scanner would refuse them
    (``key_retired``) while the issuers' lists still show them standing."""

    code = "paper_passes_standing"


@dataclass(frozen=True)
class PaperToken:
    text: str
    claims: CodeClaims
    kid: bytes  # the key that signed it (``paper_passes.kid``)


@dataclass(frozen=True)
class RetiredKey:
    ring: KeyRing  # after the retirement: does any key still sign?
    voided: int  # standing paper passes the key signed, which no longer verify


def sign_paper_token(
    uow: UnitOfWork, env: Env, *, resident: t.Resident, policy_id: str, state: State
) -> PaperToken:
    """A paper token for the resident's current colour, valid until the pass ends."""
    now = env.clock.now()
    policy = env.policies.find(policy_id)
    claims = new_claims(
        Purpose.PAPER,
        now=now,
        issuer=env.settings.issuer,
        colour=state.colour,
        policy=policy.id,
        policy_version=policy.version,
        resident_ref=resident.ref,
        masked_name=resident.name_masked,
        masked_id=resident.id_masked,
        pass_valid_until=state.valid_until,
    )
    signer = env.keys.signer(uow, env.protector, now)
    return PaperToken(issue_token(claims, signer), claims, signer.kid)


def retire_signing_key(uow: UnitOfWork, env: Env, *, kid: bytes, force: bool) -> RetiredKey:
    """Withdraw a code-signing key now (``keys.retire_key``); refused while paper passes
    it signed still stand, unless ``force``: a printed card cannot be refreshed like a
    screen code, so its holder must be given a reprint first."""
    now = env.clock.now()
    standing = uow.paper_passes.standing_count(kid, now)
    if standing and not force:
        raise PaperPassesStanding(
            N_("{count} standing paper passes were signed by this key: reprint them first"),
            count=standing,
        )
    ring = keys.retire_key(uow, env.protector, env.keys, kid=kid, now=now)
    return RetiredKey(ring, standing)


def revoke(
    uow: UnitOfWork,
    env: Env,
    row: t.PaperPass,
    *,
    code: str,
    reason: str,
    actor_id: uuid.UUID | None,
    client: str = "",
) -> None:
    """Revoke one paper pass: its token id joins the revocation list."""
    now = env.clock.now()
    row.revoked_at, row.revoked_by, row.revoke_reason = now, actor_id, reason[:200]
    lists.revoke_token(
        uow, token_id=row.token_id, reason=code, now=now, resident_id=row.resident_id
    )
    audit.record(
        uow,
        env,
        actor_id=actor_id,
        action="paper_pass.revoked",
        resident_id=row.resident_id,
        detail={"paper_pass": str(row.id), "token_id": row.token_id.hex(), "reason": code},
        client=client,
    )


def withdraw_outdated(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID, policy_id: str, state: State
) -> int:
    """After a recolour: revoke the paper passes the code no longer backs (the rule in
    the module docstring); how many were revoked."""
    count = 0
    for row in uow.paper_passes.standing(resident_id, policy_id, env.clock.now()):
        code = outdated(row, state)
        if code is not None:
            revoke(uow, env, row, code=code, reason=code, actor_id=None)
            count += 1
    return count


def outdated(row: t.PaperPass, state: State) -> str | None:
    """Why a standing paper pass no longer counts under ``state``, or None."""
    if state.application_id != str(row.application_id):
        return SUPERSEDED
    if state.colour.severity > Colour(row.colour).severity:
        return COLOUR_WORSE
    return None


def standing_until(state: State, now: datetime) -> datetime | None:
    """The end of the pass a paper token may be printed for, if it still lasts."""
    until = state.valid_until
    return until if until is not None and now < until else None
