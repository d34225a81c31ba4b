"""Online verification held against the colour a code has now.

A display token lives a minute and a phone's attestation an hour: a fever reported
meanwhile must stop its holder at whichever online check reads the code, a gate's scan
(``services/scanning/scans.py``) or ``/verify`` and ``healthcode verify`` with the
database. Offline, the code as shown is all a scanner has.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from healthcode.domain.checkpoint import stricter_now
from healthcode.domain.tokens import AttestationClaims, CodeClaims, Refusal, Verification
from healthcode.domain.tokens.foreign import ForeignVerification
from healthcode.services.codes import device_codes
from healthcode.services.codes.health_codes import colour_now, verify_code
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork


def resident_of(
    uow: UnitOfWork, env: Env, claims: CodeClaims | AttestationClaims
) -> uuid.UUID | None:
    """Our resident behind a genuine code: a token's reference, a phone's pseudonym."""
    if isinstance(claims, AttestationClaims):
        return device_codes.resolve_pseudonym(uow, env, claims.pseudonym)
    return uow.residents.id_by_ref(claims.resident_ref)


def verify_online(
    uow: UnitOfWork, env: Env, *, text: str, id_number: str | None = None
) -> Verification | ForeignVerification:
    """``verify_code``, and a valid code of ours refused (``colour_changed``) where its
    code's colour now is stricter than the one it shows, as a gate's scan refuses it.
    Until stop 44 ``/verify`` said "may pass" for an hour-old green attestation of a
    person whose code had turned yellow since (an outside probe)."""
    result = verify_code(uow, env, text=text, id_number=id_number)
    if isinstance(result, ForeignVerification) or not result.ok or result.claims is None:
        return result
    claims = result.claims
    policy = env.policies.get(claims.policy)
    resident_id = resident_of(uow, env, claims)
    if policy is None or resident_id is None:
        return result
    now = colour_now(uow, env, resident_id=resident_id, policy=policy)
    if now is not None and stricter_now(claims.colour, now):
        return replace(result, reason=Refusal.COLOUR_CHANGED)
    return result
