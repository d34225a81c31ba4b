"""The secret key must be the one the database was written with.

Every keyed hash and ciphertext is derived from the secret key: started with another
key, the server would answer every code with a 500 (the ciphertexts fail their tag)
and give a returning resident a fresh, empty account (the keyed hashes find nothing).
So the database keeps a check value, a keyed hash of a fixed text, written at the
first start; every process that uses the key compares before doing anything else.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.exceptions import InvalidTag

from healthcode.crypto import Protector
from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.services.shared.keys import SEED_CONTEXT
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

CHECK_NAME = "secret-key"


class SecretKeyMismatch(DomainError):
    status = 500
    code = "secret_key_mismatch"


_MISMATCH = N_(
    "The secret key does not match this database (it was written with another key); "
    "restore the original secret key (HEALTHCODE_SECRET_KEY or var/secret.key)"
)


def check_secret_key(uow: UnitOfWork, protector: Protector, *, now: datetime) -> bool:
    """Refuse a key the database was not written with; True if the check was first made.

    A database written before check values existed is checked once against its first
    encrypted signing key, then given its check value.
    """
    expected = protector.keyed_hash("healthcode", kind="key-check")
    stored = uow.key_checks.get(CHECK_NAME)
    if stored is not None:
        if stored.value != expected:
            raise SecretKeyMismatch(_MISMATCH)
        return False
    _decrypts_existing_key(uow, protector)
    written = uow.key_checks.add_once(t.KeyCheck(name=CHECK_NAME, value=expected, created_at=now))
    if written.value != expected:
        raise SecretKeyMismatch(_MISMATCH)
    return True


def _decrypts_existing_key(uow: UnitOfWork, protector: Protector) -> None:
    keys = uow.signing_keys.all()
    if not keys:
        return
    try:
        protector.decrypt(keys[0].private_cipher, context=SEED_CONTEXT)
    except InvalidTag:
        raise SecretKeyMismatch(_MISMATCH) from None
