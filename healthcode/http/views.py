"""Response models: a code's state as a resident or scanner reads it, localised."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from healthcode.domain.clock import day_of, local
from healthcode.domain.colour import Colour
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.domain.state import Change, Reason, State
from healthcode.domain.tokens import AttestationClaims, CodeClaims, Verification
from healthcode.domain.tokens.foreign import ForeignVerification, plain_claims
from healthcode.i18n import pick, translate
from healthcode.services.codes.results import ColourChange
from healthcode.services.residents.declarations import CONFIRM_WITHIN, Submission
from healthcode.services.shared.bounds import InputModel
from healthcode.services.shared.policies import colour_label

# Every instant leaves the API in Asia/Shanghai time, as residents read it.
LocalTime = Annotated[datetime, PlainSerializer(lambda at: local(at).isoformat(), return_type=str)]


class EvidenceView(BaseModel):
    kind: str
    id: str
    day: date


class ReasonView(BaseModel):
    rule_id: str = Field(examples=["BZ-YELLOW-FEVER"])
    colour: Colour
    text: str = Field(examples=["您申报有发热（体温37.3℃及以上）。"])
    next_step: str
    evidence: list[EvidenceView]
    lapses_at: LocalTime | None = Field(description="when it stops applying, if nothing new")
    needs_reports: bool = Field(description="the lapse needs normal daily reports")
    streak: tuple[int, int] | None = Field(
        None, description="normal days reported so far, of those needed (e.g. [5, 14])"
    )
    detail: str = ""


class ChangeView(BaseModel):
    at: LocalTime
    colour: Colour
    needs_reports: bool
    if_report_missed: bool = Field(
        description="it happens only if the daily report of the day before is missed"
    )
    text: str = Field(examples=["2020-03-08 转为绿码（如每日上报保持正常）"])


class ReviewView(BaseModel):
    application_id: str
    text: str = Field(examples=["新的申请正在审核"])


class CodeView(BaseModel):
    policy: str = Field(examples=["binzhou-code"])
    policy_version: str
    title: str
    colour: Colour
    colour_label: str = Field(description="the colour in words: 绿码 / 黄码 / 红码")
    reasons: list[ReasonView]
    next_step: str
    next_change: ChangeView | None
    valid_until: LocalTime | None
    report_due: date | None = Field(description="today's daily report is still missing")
    suggested: Colour | None = Field(
        description="an application awaiting a signature: what the rules say today"
    )
    application_id: str | None
    under_review: ReviewView | None = Field(
        description="a new application awaiting a signature; the signed pass shown stands "
        "until it is signed or the pass lapses"
    )
    unrouted: bool = Field(
        False,
        description="the application awaiting a signature went to no organisation: no "
        "community or village of the resident's county is registered yet; it goes to the "
        "first one registered (unrouted_note says so in words)",
    )
    unrouted_note: str | None = Field(None, description="unrouted, in the resident's language")
    takes_reports: bool = Field(
        description="daily reports count: the code has a colour (not while pending) and, a "
        "pass, has not lapsed"
    )
    lapsed: bool = Field(description="a pass past its validity: apply again")
    appealable: bool = Field(
        description="a record or a manual colour is behind the colour: it may be appealed"
    )
    evaluated_at: LocalTime


def reason_view(reason: Reason) -> ReasonView:
    return ReasonView(
        rule_id=reason.rule_id,
        colour=reason.colour,
        text=pick(reason.text),
        next_step=pick(reason.next_step),
        evidence=[EvidenceView(kind=e.kind.value, id=e.id, day=e.day) for e in reason.evidence],
        lapses_at=reason.lapses_at,
        needs_reports=reason.needs_reports,
        streak=reason.streak,
        detail=reason.detail,
    )


def change_text(policy: Policy, change: Change) -> str:
    label = colour_label(policy, change.colour)
    day = day_of(change.at).isoformat()  # in Asia/Shanghai, whatever zone the instant has
    if change.needs_reports:
        return translate(
            N_("{label} on {day} if daily reports stay normal"), {"label": label, "day": day}
        )
    if change.if_report_missed:
        report_day = (day_of(change.at) - timedelta(days=1)).isoformat()
        return translate(
            N_("{label} from {day} if the daily report for {report_day} is missed"),
            {"label": label, "day": day, "report_day": report_day},
        )
    return translate(N_("{label} from {day}"), {"label": label, "day": day})


UNROUTED_NOTE = N_(
    "No community or village of your county is registered on the platform yet, so no "
    "issuer can review your application. It is kept, and will be reviewed as soon as one "
    "is registered."
)


def code_view(policy: Policy, state: State, *, unrouted: bool = False) -> CodeView:
    """``unrouted``: the application awaiting a signature went to no organisation
    (``routing.waits_unrouted``, read by the caller: the state does not say)."""
    change = state.next_change
    return CodeView(
        policy=policy.id,
        policy_version=state.policy.split("@", 1)[-1],
        title=pick(policy.title),
        colour=state.colour,
        colour_label=colour_label(policy, state.colour),
        reasons=[reason_view(r) for r in state.reasons],
        next_step=pick(state.next_step),
        next_change=ChangeView(
            at=change.at,
            colour=change.colour,
            needs_reports=change.needs_reports,
            if_report_missed=change.if_report_missed,
            text=change_text(policy, change),
        )
        if change
        else None,
        valid_until=state.valid_until,
        report_due=state.report_due,
        suggested=state.suggested,
        application_id=state.application_id,
        under_review=ReviewView(
            application_id=state.under_review, text=translate(N_("New application under review"))
        )
        if state.under_review
        else None,
        unrouted=unrouted,
        unrouted_note=translate(UNROUTED_NOTE) if unrouted else None,
        takes_reports=state.takes_reports,
        lapsed=state.lapsed,
        appealable=state.appealable,
        evaluated_at=state.evaluated_at,
    )


class TokenView(BaseModel):
    token: str = Field(description="the text inside the QR code (CNHC1:…)")
    colour: Colour
    issued_at: LocalTime
    expires_at: LocalTime
    refresh_in: int = Field(description="seconds until the page should fetch a new token")


class AttestationView(BaseModel):
    """A colour attestation for the phone's own key (docs/device-codes.md)."""

    attestation: str = Field(description="the COSE_Sign1 bytes, base64url without padding")
    colour: Colour
    colour_label: str
    issued_at: LocalTime
    expires_at: LocalTime
    expires_epoch: int = Field(description="the attestation's end, epoch seconds")
    server_ms: int = Field(description="the server's clock at the answer, epoch milliseconds")
    present_every: int = Field(description="seconds between two presentations (QR codes)")


class ColourChangeView(BaseModel):
    at: LocalTime
    from_colour: Colour | None
    to_colour: Colour
    from_label: str | None = Field(description="the colours in words, as the code shows them")
    to_label: str
    rule_ids: list[str]
    reasons: list[str]
    ended: bool = Field(description="the reasons stopped applying (the colour got better)")
    cause: str
    note: str = Field("", description="a manual change's reason, as the two officers gave it")
    department: str = Field("", description="department data's change: the department")
    record_kind: str = Field("", description="department data's change: the kind of record")


def colour_change_view(change: ColourChange, policy: Policy) -> ColourChangeView:
    rules = {r.id: r for r in policy.rules}
    return ColourChangeView(
        at=change.at,
        from_colour=Colour(change.from_colour) if change.from_colour else None,
        to_colour=Colour(change.to_colour),
        from_label=colour_label(policy, Colour(change.from_colour)) if change.from_colour else None,
        to_label=colour_label(policy, Colour(change.to_colour)),
        rule_ids=list(change.rule_ids),
        reasons=[pick(rules[r].reason) for r in change.rule_ids if r in rules],
        ended=_severity(change.to_colour) < _severity(change.from_colour),
        cause=change.cause,
        note=change.note,
        department=change.department,
        record_kind=change.record_kind,
    )


def _severity(colour: str | None) -> int:
    return Colour(colour).severity if colour else Colour.NONE.severity


class ClaimsView(BaseModel):
    """What any scanner may see: colour, masked name and ID, validity (DESIGN.md §6)."""

    colour: Colour
    colour_label: str
    policy: str
    masked_name: str
    masked_id: str
    purpose: str
    issued_at: LocalTime
    expires_at: LocalTime
    pass_valid_until: LocalTime | None


class ForeignView(BaseModel):
    """Another region's code: its region, and its claims exactly as that region sent
    them (map keys as text, byte strings as h'hex'), translated by nobody."""

    code: str = Field(examples=["420000"], description="GB/T 2260 region code")
    name: str = Field(examples=["湖北省"])
    label: str = Field(examples=["湖北省的健康码"])
    claims: dict[str, Any] | None = Field(
        description="as sent; null when the code's signature did not verify"
    )


def foreign_view(code: str, name: str, claims: Mapping[str, Any] | None) -> ForeignView:
    return ForeignView(
        code=code,
        name=name,
        label=translate(N_("A code of {region}"), {"region": name}),
        claims=None if claims is None else dict(claims),
    )


class VerificationView(BaseModel):
    valid: bool = Field(description="genuine, current, not revoked, and the holder's")
    may_pass: bool = Field(
        description="valid and green: let the person through (pending, yellow and red do not)"
    )
    reason: str | None = Field(examples=[None, "expired", "bad_signature"])
    message: str
    colour: Colour | None = Field(
        description="as read: our code's claims, or another region's as its entry reads it"
    )
    claims: ClaimsView | None = Field(description="our code's, once its signature verified")
    region: ForeignView | None = Field(None, description="another region's code: its region")


def verification_view(
    result: Verification | ForeignVerification, policies: Mapping[str, Policy]
) -> VerificationView:
    colour, claims, region = None, None, None
    if isinstance(result, ForeignVerification):
        sent = None if result.claims is None else plain_claims(result.claims)
        colour, region = result.colour, foreign_view(result.region.code, result.region.name, sent)
    elif result.claims is not None:
        colour, claims = result.claims.colour, _claims_view(result.claims, policies)
    return VerificationView(
        valid=result.ok,
        may_pass=result.may_pass,
        reason=result.reason.value if result.reason else None,
        message=translate(result.message),
        colour=colour,
        claims=claims,
        region=region,
    )


def _claims_view(
    claims: CodeClaims | AttestationClaims, policies: Mapping[str, Policy]
) -> ClaimsView:
    """The colour in the code's policy's words where we hold it (a Shandong pass read
    "绿码" until stop 43, not "绿色健康通行卡（通行）": an outside probe)."""
    policy = policies.get(claims.policy)
    return ClaimsView(
        colour=claims.colour,
        colour_label=(
            colour_label(policy, claims.colour) if policy else translate(claims.colour.label)
        ),
        policy=claims.policy,
        masked_name=claims.masked_name,
        masked_id=claims.masked_id,
        purpose=claims.purpose.value,
        issued_at=claims.issued_at,
        expires_at=claims.expires_at,
        pass_valid_until=claims.pass_valid_until,
    )


class DeclarationView(BaseModel):
    """What the second-confirmation screen shows back before the code is made."""

    id: uuid.UUID
    policy: str
    submitted_at: LocalTime
    confirmed_at: LocalTime | None
    confirm_before: LocalTime
    name_masked: str
    id_masked: str
    birth_date: date = Field(description="from the ID number: check it to catch a typo")
    sex: Literal["M", "F"] = Field(description="from the ID number (M or F)")
    temperature: float | None
    symptoms: list[str]
    exposures: list[dict[str, str | None]]
    trips: list[dict[str, str | None]]
    destination: str | None
    purpose: str | None


def declaration_view(submitted: Submission) -> DeclarationView:
    row, who = submitted.declaration, submitted.identity
    return DeclarationView(
        id=row.id,
        policy=row.policy_id,
        submitted_at=row.submitted_at,
        confirmed_at=row.confirmed_at,
        confirm_before=row.submitted_at + CONFIRM_WITHIN,
        name_masked=who.name_masked,
        id_masked=who.id_masked,
        birth_date=who.birth_date,
        sex=who.sex,
        temperature=row.temperature,
        symptoms=list(row.symptoms),
        exposures=list(row.exposures),
        trips=list(row.trips),
        destination=row.destination,
        purpose=row.purpose,
    )


class ClaimCodeView(BaseModel):
    """A code was texted to the phone of the account holding the ID number."""

    phone_masked: str
    expires_at: LocalTime


class ClaimInput(InputModel):
    """Held to the bounds of every input, and a field it does not know is refused,
    not dropped."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=16, description="the code texted to the phone on record")
