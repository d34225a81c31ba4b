"""Words for the values the pages show: symptoms, exposures, purposes, causes.

English message ids (translated by the catalog), kept here so that a form, a
confirmation screen and a history entry all name a value the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from healthcode.domain.colour import Colour
from healthcode.domain.facts import ExposureKind, Symptom
from healthcode.domain.i18n import N_
from healthcode.services.accounts.permissions import ROLE_NAMES, Role
from healthcode.services.codes.recolour import Cause
from healthcode.services.residents.inputs import EXPOSURE_WORDS, SYMPTOM_WORDS, Purpose

# The 17th digit of an ID number: odd for men, even for women (GB 11643).
SEXES: Mapping[str, str] = MappingProxyType({"M": N_("Male"), "F": N_("Female")})

# How a form names what a resident declares: kept beside the input they name, where
# the services' "not asked" refusals name them too (``validation``).
SYMPTOMS: Mapping[Symptom, str] = SYMPTOM_WORDS
EXPOSURES: Mapping[ExposureKind, str] = EXPOSURE_WORDS

# (start, end) date labels per exposure kind, as the rules read them.
EXPOSURE_DATES: Mapping[ExposureKind, tuple[str, str]] = MappingProxyType(
    {
        ExposureKind.CONFIRMED: (N_("Date of diagnosis"), N_("Date of discharge")),
        ExposureKind.SUSPECTED: (N_("Date of diagnosis"), N_("Date cured or ruled out")),
        ExposureKind.POSITIVE: (N_("Date of the positive test"), N_("Date cured")),
        ExposureKind.CLOSE_CONTACT: (
            N_("Start of medical observation"),
            N_("Released from medical observation on"),
        ),
        ExposureKind.FEBRILE_CONTACT: (N_("First contact"), N_("Last contact")),
        ExposureKind.HIGH_RISK_CONTACT: (N_("First contact"), N_("Last contact")),
    }
)

PURPOSES: Mapping[Purpose, str] = MappingProxyType(
    {
        Purpose.WORK: N_("Returning to work"),
        Purpose.SCHOOL: N_("Returning to school"),
        Purpose.OTHER: N_("Other"),
    }
)

CAUSES: Mapping[str, str] = MappingProxyType(
    {
        Cause.DECLARATION: N_("Your declaration"),
        Cause.DAILY_REPORT: N_("A daily health report"),
        Cause.SIGNATURE: N_("An issuer's signature"),
        Cause.DATA: N_("Department data"),
        Cause.CREDIT: N_("A credit record"),
        Cause.TIME: N_("The passing of time"),
        Cause.POLICY: N_("A rule change"),
        Cause.OVERRIDE: N_("A manual change approved by two officers"),
        Cause.APPEAL: N_("Your appeal was upheld"),
    }
)

# A shape per colour, so colour is never the only signal: ✓ green, ! yellow, ✕ red.
ICONS: Mapping[Colour, str] = MappingProxyType(
    {
        Colour.GREEN: "✓",
        Colour.YELLOW: "!",
        Colour.RED: "✕",
        Colour.PENDING: "…",
        Colour.NONE: "–",
    }
)

# Where the code is used (seed 003 §一), for the first-use guidance.
PLACES: tuple[str, ...] = (
    N_("Checkpoints"),
    N_("Factory and office gates on return to work"),
    N_("Schools"),
    N_("Community and housing estate gates"),
    N_("Supermarkets and markets"),
    N_("Fever clinics"),
    N_("Pharmacies, when buying fever medicine"),
)

QUICK_TEMPERATURES: tuple[str, ...] = ("36.3", "36.5", "36.7", "36.9")

EVIDENCE: Mapping[str, str] = MappingProxyType(
    {
        "observation": N_("your declaration or daily report"),
        "record": N_("department data"),
        "credit_record": N_("a credit record"),
        "signature": N_("the issuer's signature"),
        "override": N_("a manual change approved by two officers"),
    }
)

ROLES: Mapping[Role, str] = ROLE_NAMES  # beside the roles: a refusal names them too

# The columns of an employer's staff file, as a refused row names them.
STAFF_FILE_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "name": N_("Name"),
        "id_number": N_("ID number"),
        "phone": N_("Phone"),
        "department": N_("Department"),
        "file": N_("The file"),
    }
)


# What an appeal disputes: a department record's kind (by its stored name; the source
# departments' names are the records pages' ``words.DEPARTMENTS``), and the steps of
# the appeal's timeline.
RECORD_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "confirmed": N_("Confirmed case"),
        "suspected": N_("Suspected case"),
        "positive": N_("Positive or asymptomatic case"),
        "close_contact": N_("Close contact"),
        "quarantine": N_("Quarantine"),
        "travel": N_("Travel record"),
        "fever_clinic": N_("Fever-clinic visit"),
        "fever_medicine": N_("Fever-medicine purchase"),
        "exposure": N_("Possible exposure (same venue and time as a case)"),
        "override": N_("Manual colour approved by two officers"),
        # a credit record (a fraud finding), by its kind
        "false_declaration": N_("Fraud finding: false declaration"),
        "screenshot": N_("Fraud finding: screenshot of a code"),
        "another_persons_code": N_("Fraud finding: another person's code"),
    }
)
APPEAL_STEPS: Mapping[str, str] = MappingProxyType(
    {
        "submitted": N_("Appeal submitted"),
        "assigned": N_("Sent to the office that decides it"),
        "unassigned": N_("Waiting for an officer to be appointed"),
        "upheld": N_("Appeal upheld"),
        "rejected": N_("Appeal rejected"),
        "restored": N_("Code recoloured"),
        "unchanged": N_("Code unchanged"),
        "withdrawn": N_("The department withdrew the record"),
    }
)
APPEAL_STATUSES: Mapping[str, str] = MappingProxyType(
    {"open": N_("Waiting for a decision"), "upheld": N_("Upheld"), "rejected": N_("Rejected")}
)
# An appeal's timeline tells the resident of "your code"; the officer deciding it
# reads the same steps of the resident's code (and is not the one told the outcome).
APPEAL_TIMELINE_TO_RESIDENT: Mapping[str, str] = MappingProxyType(
    {
        "unassigned": N_(
            "{office}: nobody there may decide this appeal yet. The administrators have been"
            " asked to appoint an officer: it will be looked at as soon as one is, and you"
            " will be told the decision. Until then your code stays as it is."
        ),
        "withdrawn": N_(
            "It no longer counts towards your code. Your appeal stays open: the department"
            " still decides whether the record was wrong; if it was, the record is not"
            " taken again should it be sent again."
        ),
        "now": N_("Your code is now: {colour}"),
        "already": N_("Your code was already {colour}: the record no longer counted."),
        "stays": N_("Your code stays {colour}: other reasons keep it so. Its page says which."),
    }
)
APPEAL_TIMELINE_TO_OFFICER: Mapping[str, str] = MappingProxyType(
    {
        "unassigned": N_(
            "{office}: nobody there could decide this appeal. The administrators were asked"
            " to appoint an officer; the code stayed as it was."
        ),
        "withdrawn": N_(
            "The record no longer counts towards the resident's code. The appeal stays"
            " open: whether the record was wrong is still to be decided; if it was, the"
            " record is not taken again should it be sent again."
        ),
        "now": N_("The resident's code is now: {colour}"),
        "already": N_("The resident's code was already {colour}: the record no longer counted."),
        "stays": N_("The resident's code stays {colour}: other reasons keep it so."),
    }
)
