"""Device-bound codes: the attestation a phone fetches, and resolving its pseudonym.

The phone sends a fresh public key; we sign its colour for as long as the colour
cannot change by itself (``recheck_at``), the pass lasts and the configured maximum
(an hour). The phone then shows presentations by itself, offline, every few seconds
(``docs/device-codes.md``). The pseudonym in an attestation is the resident's
reference encrypted with a key only this server derives under 8 fresh random bytes
(a nonce that in practice never repeats for one resident), so a scanner sees 20
bytes that differ every time.
"""

from __future__ import annotations

import base64
import functools
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from healthcode.crypto import derive
from healthcode.domain.errors import FieldError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.domain.state import State, recheck_at
from healthcode.domain.tokens import (
    AttestationClaims,
    DeviceKeyError,
    SigningKey,
    new_attestation,
    parse_device_key,
    sign_attestation,
)
from healthcode.services.codes.health_codes import Face, pass_end, showable
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork

# Per session: the page needs one an hour, and one at once after a colour change.
ATTEST_LIMIT = "10/minute"
_NONCE = 8
_REF_BYTES = 12
PSEUDONYM_BYTES = _NONCE + _REF_BYTES


@dataclass(frozen=True)
class Attested:
    attestation: bytes
    claims: AttestationClaims
    state: State
    served_at: datetime


def attest(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_id: uuid.UUID | None,
    policy_id: str,
    device_key: bytes,
    session_id: uuid.UUID | None = None,
) -> Attested:
    """Sign the resident's current colour for the phone holding ``device_key``."""
    check_device_key(device_key)
    shown = showable(
        uow, env, resident_id=resident_id, policy_id=policy_id, budget=(ATTEST_LIMIT, "attest"),
        session_id=session_id,
    )  # fmt: skip
    signer = env.keys.signer(uow, env.protector, shown.now)
    return attested(env, shown.state, shown.resident, shown.now, shown.policy, signer, device_key)


def check_device_key(device_key: bytes) -> None:
    try:
        parse_device_key(device_key)
    except DeviceKeyError:
        raise InvalidInput(
            FieldError("device_key", "invalid", N_("Not a compressed P-256 public key"))
        ) from None


def attested(
    env: Env,
    state: State,
    resident: Face,
    now: datetime,
    policy: Policy,
    signer: SigningKey,
    device_key: bytes,
) -> Attested:
    """``state`` signed for the phone holding ``device_key`` (checked already)."""
    claims = new_attestation(
        now=now,
        colour=state.colour,
        policy=policy.id,
        policy_version=policy.version,
        device_key=device_key,
        pseudonym=pseudonym(env, resident.ref),
        id_number=env.protector.decrypt(resident.id_cipher, context="id_number").decode(),
        masked_name=resident.name_masked,
        masked_id=resident.id_masked,
        pass_valid_until=pass_end(state, now),
        recheck_at=recheck_at(state),
        max_lifetime=timedelta(seconds=env.settings.attestation_max_seconds),
    )
    return Attested(sign_attestation(claims, signer), claims, state, now)


def pseudonym(env: Env, ref: str) -> bytes:
    """``ref`` under a fresh nonce, which only this server can open."""
    nonce = secrets.token_bytes(_NONCE)
    return nonce + _xor(_ref_bytes(ref), _pad(env, nonce))


def resolve_pseudonym(uow: UnitOfWork, env: Env, value: bytes) -> uuid.UUID | None:
    """The resident behind a pseudonym, or None (not ours, or no longer a resident)."""
    if len(value) != PSEUDONYM_BYTES:
        return None
    nonce, sealed = value[:_NONCE], value[_NONCE:]
    ref = _xor(sealed, _pad(env, nonce))
    resident = uow.residents.by_ref(base64.urlsafe_b64encode(ref).decode())
    return None if resident is None else resident.id


def _ref_bytes(ref: str) -> bytes:
    raw = base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4))
    if len(raw) != _REF_BYTES:
        raise ValueError("a resident reference is 12 random bytes")
    return raw


def _pad(env: Env, nonce: bytes) -> bytes:
    """AES of the nonce under our key: a pseudorandom pad, new with every nonce (the
    counter mode's first block, written out). Tampering needs no guard: the pseudonym
    sits inside a signed attestation."""
    key = _pseudonym_key(env.settings.secret)
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return (encryptor.update(nonce + bytes(16 - _NONCE)) + encryptor.finalize())[:_REF_BYTES]


@functools.lru_cache(maxsize=4)
def _pseudonym_key(secret: bytes) -> bytes:
    """Derived once per secret, not per attestation (an HKDF per request showed)."""
    return derive(secret, "healthcode/pseudonym/v2")


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))
