"""Signed health codes: claims, keys, trust lists, issuing and offline verification.

Layering as the EU Digital COVID Certificate, with our own claims:
CBOR claims -> COSE_Sign1 (Ed25519, kid in the protected header) -> zlib -> base45
-> ``CNHC1:`` prefix. Keys and trust lists are always passed in, never global.
"""

from healthcode.domain.tokens.attestation import (
    DEFAULT_WINDOW_SECONDS,
    DEVICE_PREFIX,
    MAX_ATTESTATION,
    AttestationClaims,
    DeviceKeyError,
    compressed_point,
    encode_presentation,
    new_attestation,
    parse_device_key,
    present,
    sign_attestation,
)
from healthcode.domain.tokens.base45 import Base45Error, b45decode, b45encode
from healthcode.domain.tokens.claims import (
    CLAIMS_KEY,
    DISPLAY_LIFETIME,
    SIGNABLE_COLOURS,
    TOKEN_ID_BYTES,
    ClaimsError,
    CodeClaims,
    Purpose,
    new_claims,
)
from healthcode.domain.tokens.codec import MAX_TEXT_CHARS, PREFIX, TokenFormatError
from healthcode.domain.tokens.issue import issue_token
from healthcode.domain.tokens.keys import (
    KID_BYTES,
    KeyRing,
    NoSigningKey,
    RingKey,
    SigningKey,
    VerifyingKey,
    generate_key,
    kid_of,
    window_open,
)
from healthcode.domain.tokens.refusal import Refusal
from healthcode.domain.tokens.subject import check_person, same_person
from healthcode.domain.tokens.trustlist import TrustListError, TrustStore, from_jwks, to_jwks
from healthcode.domain.tokens.verify import (
    DEFAULT_LEEWAY_SECONDS,
    Verification,
    verify_any,
    verify_presentation,
    verify_token,
)

__all__ = [
    "CLAIMS_KEY",
    "DEFAULT_LEEWAY_SECONDS",
    "DEFAULT_WINDOW_SECONDS",
    "DEVICE_PREFIX",
    "DISPLAY_LIFETIME",
    "KID_BYTES",
    "MAX_ATTESTATION",
    "MAX_TEXT_CHARS",
    "PREFIX",
    "SIGNABLE_COLOURS",
    "TOKEN_ID_BYTES",
    "AttestationClaims",
    "Base45Error",
    "ClaimsError",
    "CodeClaims",
    "DeviceKeyError",
    "KeyRing",
    "NoSigningKey",
    "Purpose",
    "Refusal",
    "RingKey",
    "SigningKey",
    "TokenFormatError",
    "TrustListError",
    "TrustStore",
    "Verification",
    "VerifyingKey",
    "b45decode",
    "b45encode",
    "check_person",
    "compressed_point",
    "encode_presentation",
    "from_jwks",
    "generate_key",
    "issue_token",
    "kid_of",
    "new_attestation",
    "new_claims",
    "parse_device_key",
    "present",
    "same_person",
    "sign_attestation",
    "to_jwks",
    "verify_any",
    "verify_presentation",
    "verify_token",
    "window_open",
]
