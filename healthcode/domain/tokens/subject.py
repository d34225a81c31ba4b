"""Is this code the presenter's? The check a checkpoint makes against an ID card.

A code carries only the masked ID number (first four and last four characters), so
the check is that the card's number has the same visible characters: it catches a
borrowed phone or a forwarded screenshot, which is the fraud seed 003 names
(冒用他人健康码), without the code ever holding the whole number.
"""

from __future__ import annotations

from dataclasses import replace

from healthcode.domain.tokens.attestation import AttestationClaims
from healthcode.domain.tokens.claims import CodeClaims
from healthcode.domain.tokens.refusal import Refusal
from healthcode.domain.tokens.verify import Verification


def same_person(claims: CodeClaims | AttestationClaims, id_number: str) -> bool:
    """A device attestation compares the whole number (its salted hash); a token, the
    visible characters of its masked number."""
    if isinstance(claims, AttestationClaims):
        return claims.same_person(id_number)
    masked = claims.masked_id
    if len(masked) != len(id_number):
        return False
    return all(m == "*" or m == c for m, c in zip(masked, id_number.upper(), strict=True))


def check_person(result: Verification, id_number: str) -> Verification:
    """A valid result stays valid only if the card matches the code's subject."""
    if not result.ok or result.claims is None or same_person(result.claims, id_number):
        return result
    return replace(result, reason=Refusal.WRONG_PERSON)
