"""Signing a code: claims -> CBOR -> COSE_Sign1 (Ed25519) -> zlib -> base45 -> text."""

from __future__ import annotations

import cbor2
from cwt import COSE

from healthcode.domain.tokens.claims import CodeClaims, claims_to_cbor
from healthcode.domain.tokens.codec import MAX_TEXT_CHARS, encode_text, protected_header
from healthcode.domain.tokens.keys import SigningKey

_COSE = COSE.new()  # stateless: no automatic headers, we set them explicitly


def issue_token(claims: CodeClaims, key: SigningKey) -> str:
    """Sign ``claims`` with ``key`` and return the code's text for a QR code.

    Raises ``ValueError`` if the text would not fit a QR code, as scanners would
    refuse it.
    """
    payload = cbor2.dumps(claims_to_cbor(claims))
    cose = _COSE.encode_and_sign(
        payload, key.cose_key, protected=protected_header(key.kid), unprotected={}
    )
    if not isinstance(cose, bytes):  # cwt returns bytes unless asked for a CBORTag
        raise TypeError("cwt returned an unexpected type")
    text = encode_text(cose)
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"token of {len(text)} characters does not fit a QR code")
    return text
