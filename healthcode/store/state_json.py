"""The cached state of a code as JSON (codes.state), and back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from healthcode.domain.colour import Colour
from healthcode.domain.state import Change, Evidence, EvidenceKind, Reason, State


def _t(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _pt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(at: datetime) -> int:
    """An instant as whole microseconds since the epoch: the form a state ahead keeps
    its instants in (``codes.ahead``), compared in SQL exactly, without parsing."""
    return (at - _EPOCH) // timedelta(microseconds=1)


def state_to_json(state: State) -> dict[str, Any]:
    change = state.next_change
    return {
        "policy": state.policy,
        "colour": state.colour.value,
        "evaluated_at": state.evaluated_at.isoformat(),
        "reasons": [_reason(r) for r in state.reasons],
        "next_step": dict(state.next_step) if state.next_step else None,
        "next_change": {
            "at": change.at.isoformat(),
            "colour": change.colour.value,
            "needs_reports": change.needs_reports,
            "if_report_missed": change.if_report_missed,
        }
        if change
        else None,
        "valid_until": _t(state.valid_until),
        "suggested": state.suggested.value if state.suggested else None,
        "application_id": state.application_id,
        "report_due": state.report_due.isoformat() if state.report_due else None,
        "under_review": state.under_review,
    }


def _reason(r: Reason) -> dict[str, Any]:
    return {
        "rule_id": r.rule_id,
        "colour": r.colour.value,
        "text": dict(r.text),
        "next_step": dict(r.next_step),
        "basis": r.basis,
        "evidence": [
            {"kind": e.kind.value, "id": e.id, "day": e.day.isoformat()} for e in r.evidence
        ],
        "lapses_at": _t(r.lapses_at),
        "needs_reports": r.needs_reports,
        "detail": r.detail,
        "streak": list(r.streak) if r.streak else None,
    }


def state_from_json(data: dict[str, Any]) -> State:
    change = data["next_change"]
    return State(
        policy=data["policy"],
        colour=Colour(data["colour"]),
        evaluated_at=datetime.fromisoformat(data["evaluated_at"]),
        reasons=tuple(_reason_from(r) for r in data["reasons"]),
        next_step=data["next_step"],
        next_change=Change(
            datetime.fromisoformat(change["at"]),
            Colour(change["colour"]),
            change["needs_reports"],
            change.get("if_report_missed", False),  # a state cached before it was kept
        )
        if change
        else None,
        valid_until=_pt(data["valid_until"]),
        suggested=Colour(data["suggested"]) if data["suggested"] else None,
        application_id=data["application_id"],
        report_due=date.fromisoformat(data["report_due"]) if data["report_due"] else None,
        under_review=data.get("under_review"),
    )


def _reason_from(r: dict[str, Any]) -> Reason:
    return Reason(
        rule_id=r["rule_id"],
        colour=Colour(r["colour"]),
        text=r["text"],
        next_step=r["next_step"],
        basis=r["basis"],
        evidence=tuple(
            Evidence(EvidenceKind(e["kind"]), e["id"], date.fromisoformat(e["day"]))
            for e in r["evidence"]
        ),
        lapses_at=_pt(r["lapses_at"]),
        needs_reports=r["needs_reports"],
        detail=r["detail"],
        streak=(r["streak"][0], r["streak"][1]) if r.get("streak") else None,
    )
