"""Why a scanned code was refused: a stable reason code and a message id for each."""

from __future__ import annotations

from enum import StrEnum

from healthcode.domain.i18n import N_


class Refusal(StrEnum):
    """Reasons a code is refused, in the order the verifier checks them.

    The value is the stable machine code for logs and APIs (``scan.refused.<value>``).
    """

    BAD_PREFIX = "bad_prefix"
    BAD_ENCODING = "bad_encoding"
    UNKNOWN_KEY = "unknown_key"
    KEY_RETIRED = "key_retired"
    BAD_SIGNATURE = "bad_signature"
    MALFORMED_CLAIMS = "malformed_claims"
    WRONG_PURPOSE = "wrong_purpose"
    NOT_YET_VALID = "not_yet_valid"
    PASS_LAPSED = "pass_lapsed"  # the pass it shows has ended, whatever the token's expiry
    EXPIRED = "expired"
    ATTESTATION_EXPIRED = "attestation_expired"  # a device code's attestation has lapsed
    DEVICE_SIGNATURE_BAD = "device_signature_bad"  # not signed by the attested phone
    PRESENTATION_STALE = "presentation_stale"  # made too long ago: a screenshot or relay
    PRESENTATION_FROM_FUTURE = "presentation_from_future"  # the phone's clock is ahead
    REVOKED = "revoked"
    WRONG_PERSON = "wrong_person"  # a genuine code, but the ID card shown is someone else's
    COLOUR_CHANGED = "colour_changed"  # online: the code's colour worsened after it was made

    @property
    def message(self) -> str:
        """English message id for the person at the checkpoint."""
        return _MESSAGES[self]


VALID_MESSAGE = N_("Valid code.")

_MESSAGES = {
    Refusal.BAD_PREFIX: N_("This is not a health code."),
    Refusal.BAD_ENCODING: N_("The code could not be read. Scan it again or ask for a new one."),
    Refusal.UNKNOWN_KEY: N_(
        "The code was not signed by a trusted issuer. Update the trust list and scan again."
    ),
    Refusal.KEY_RETIRED: N_("The code was signed with a withdrawn key. Ask for a new code."),
    Refusal.BAD_SIGNATURE: N_("The code's signature is not valid: it may have been altered."),
    Refusal.MALFORMED_CLAIMS: N_("The code's content is not understood. Update the scanner."),
    Refusal.WRONG_PURPOSE: N_("This kind of code is not accepted here."),
    Refusal.NOT_YET_VALID: N_("The code is not valid yet. Check the scanner's clock."),
    Refusal.PASS_LAPSED: N_("The pass shown by this code has ended. Apply for a new pass."),
    Refusal.EXPIRED: N_("The code has expired. Ask for a fresh code."),
    Refusal.ATTESTATION_EXPIRED: N_(
        "The code's colour confirmation has expired. Connect the phone to the internet."
    ),
    Refusal.DEVICE_SIGNATURE_BAD: N_(
        "The code was not made by the phone it was issued to: it may be a copy."
    ),
    Refusal.PRESENTATION_STALE: N_(
        "The code is not live: it may be a screenshot. Ask to see the code on the phone."
    ),
    Refusal.PRESENTATION_FROM_FUTURE: N_(
        "The code's time is ahead of this scanner. Check the scanner's clock."
    ),
    Refusal.REVOKED: N_("The code has been revoked."),
    Refusal.WRONG_PERSON: N_(
        "The code belongs to someone else: its ID number does not match the ID card shown."
    ),
    Refusal.COLOUR_CHANGED: N_(
        "The colour changed after this code was made: the colour here is the one that "
        "counts. Ask the person to refresh their code."
    ),
}
