"""The keyed hash is how every stored ID number and phone is found again: a change to
its output would orphan every row hashed before it."""

from __future__ import annotations

from healthcode.crypto import Protector


def test_the_keyed_hash_of_a_known_secret_and_number_is_what_it_always_was() -> None:
    protector = Protector(b"a-secret-of-at-least-sixteen-chars")
    hashed = protector.keyed_hash("37010219800101123X", kind="id_number")
    assert hashed.hex() == "dba1426c4acada82b76b5e451cce8893812a26068de48b3d2f8a53f263973500"
    assert protector.keyed_hash("37010219800101123X", kind="otp") != hashed  # kinds apart
