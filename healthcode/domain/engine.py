"""The colour engine: ``evaluate(policy, facts, now) -> State``.

Pure: the same policy, facts and instant always give the same state. Each rule's
condition is evaluated on every item of its source (an observation, a trip, an
exposure, a department record, a credit record); a matching item keeps the rule
active until all of the rule's lapses have passed. The pass life cycle of seed 000
(pending, signed, expired, missed daily report) is implemented here, with ids and
words from the policy's mechanism rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from healthcode.domain import logic, overrides
from healthcode.domain.clock import day_of, start_of
from healthcode.domain.colour import Colour, worst
from healthcode.domain.facts import Facts, Observation, Override, Signature
from healthcode.domain.policy import (
    OBSERVED,
    DaysAfter,
    Lapse,
    Mechanism,
    Model,
    NormalDays,
    Policy,
    Rule,
    Source,
    Superseded,
    pass_valid_until,
)
from healthcode.domain.policy_reach import Condition
from healthcode.domain.projection import Component, next_change
from healthcode.domain.state import Change, Evidence, EvidenceKind, Reason, State, recheck_at
from healthcode.domain.streak import ONE_DAY, normal_streak

# A rule's condition on one item's document, remembered: (policy ref, rule id, the
# document's repr) → holds. Conditions are pure, so equal documents give equal answers;
# a batch passes one memo for the residents of a page, whose documents often repeat
# (the same normal report on the same day), and skips most JsonLogic evaluations.
Memo = dict[tuple[str, str, str], bool]


def evaluate(policy: Policy, facts: Facts, now: datetime, *, memo: Memo | None = None) -> State:
    """The resident's state under `policy` at `now`, from what was known at `now`;
    an approved manual override, while it holds, paints the colour (``overrides``)."""
    known = facts.known_at(now)
    state = _rules(policy, known, now, memo)
    override = overrides.latest(known.overrides, now)
    if override is None or not _held(policy, facts, override, now, state, memo):
        return state
    return overrides.apply(state, override)


def _held(
    policy: Policy, facts: Facts, override: Override, now: datetime, state: State, memo: Memo | None
) -> bool:
    """The rules' view (colour and rule ids) has been what it was at the approval at
    every moment since (each fact learnt or withdrawn, each change time alone made)
    and is now: the officers decided over what was known then. The first change ends
    the override for good; a finding withdrawn or lapsed later does not bring it back.
    The view at a past moment is taken from all the facts as known then, a record
    withdrawn since included (it was taken from what is in force now, so a withdrawn
    finding looked as if it had never changed anything)."""
    rules_only = replace(facts, overrides=())
    approved = _rules(policy, rules_only.known_at(override.at), override.at, memo)
    learnt = iter(rules_only.moments(override.at, now))
    seen, at, next_learnt = approved, override.at, next(learnt, None)
    while True:
        due = recheck_at(seen)
        moments = [m for m in (next_learnt, due) if m is not None and at < m < now]
        if not moments:
            return overrides.same_view(approved, state)
        at = min(moments)
        if at == next_learnt:
            next_learnt = next(learnt, None)
        seen = _rules(policy, rules_only.known_at(at), at, memo)
        if not overrides.same_view(approved, seen):
            return False


def _rules(policy: Policy, facts: Facts, now: datetime, memo: Memo | None) -> State:
    run = _Run(policy, facts, now, {} if memo is None else memo)
    if policy.model is Model.HEALTH_CODE:
        return run.health_code()
    return run.pass_()


@dataclass(frozen=True)
class _Item:
    """One thing a rule's condition is evaluated on."""

    doc: dict[str, Any]
    evidence: Evidence
    dates: dict[str, date | None]
    trigger: date  # the day the condition was seen
    observation: Observation | None = None


@dataclass(frozen=True)
class _Window:
    lapsed: bool
    at: datetime | None  # the lapse instant, actual or projected; None = open-ended
    needs_reports: bool
    streak: tuple[int, int] | None = None  # (normal days so far, days needed)


class _Run:
    def __init__(self, policy: Policy, facts: Facts, now: datetime, memo: Memo) -> None:
        self.policy, self.facts, self.now = policy, facts, now
        self.today = day_of(now)
        items: dict[Source, list[tuple[_Item, str]]] = {}
        for rule in policy.rules:
            if rule.source is not None and rule.source not in items:
                items[rule.source] = [(i, repr(i.doc)) for i in _items(facts, rule.source)]
        self.matches = [
            (rule, item)
            for rule in policy.rules
            if rule.source is not None
            for item, key in items[rule.source]
            if _holds(policy, rule, item, key, memo)
        ]
        abnormal = {
            item.observation.id
            for rule, item in self.matches
            if rule.source in OBSERVED and item.observation is not None
        }
        self.day_status: dict[date, bool] = {}
        for obs in facts.observations:
            self.day_status[obs.day] = self.day_status.get(obs.day, True) and obs.id not in abnormal

    # -- the two models --------------------------------------------------------------

    def health_code(self) -> State:
        if not self.facts.declarations:
            return State(self.policy.ref, Colour.NONE, self.now)
        hits = self.hits()
        colour = worst(*(r.colour for r in hits))
        return State(
            self.policy.ref,
            colour,
            self.now,
            reasons=hits,
            next_step=hits[0].next_step if hits else self.policy.green_next_step,
            next_change=next_change(_components(hits, self.now), self.now, colour),
            report_due=self.today if self._report_missing_today(hits) else None,
        )

    def pass_(self) -> State:
        declarations = self.facts.declarations
        if not declarations:
            return State(self.policy.ref, Colour.NONE, self.now)
        application = declarations[-1]
        hits = self.hits()
        signature = _signature_for(self.facts.signatures, application.id)
        if signature is None:
            standing = self._standing_pass(declarations[:-1])
            if standing is not None:
                return self._under_review(*standing, application, hits)
            pending = self._mechanism(Mechanism.AWAITING_SIGNATURE, _evidence_of(application))
            return State(
                self.policy.ref,
                Colour.PENDING,
                self.now,
                reasons=(pending, *hits),
                next_step=pending.next_step,
                suggested=worst(*(r.colour for r in hits)),
                application_id=application.id,
            )
        return self._signed_pass(application, signature, hits)

    def _standing_pass(
        self, earlier: tuple[Observation, ...]
    ) -> tuple[Observation, Signature] | None:
        """The latest signed application, if its pass has not lapsed: an issuer's
        signature stands until a newer one replaces it or the pass lapses."""
        for application in reversed(earlier):
            signature = _signature_for(self.facts.signatures, application.id)
            if signature is not None:
                return (application, signature) if self.now < self._valid_until(signature) else None
        return None

    def _under_review(
        self,
        application: Observation,
        signature: Signature,
        new: Observation,
        hits: tuple[Reason, ...],
    ) -> State:
        """The signed pass while a new application waits; at the lapse, the new
        application's pending code takes over."""
        signed = self._signed_pass(application, signature, hits)
        lapse = self._valid_until(signature)
        change = signed.next_change
        if change is None or change.at >= lapse:
            change = Change(lapse, Colour.PENDING, False)
        return replace(
            signed,
            next_change=change,
            suggested=worst(*(r.colour for r in hits)),
            under_review=new.id,
        )

    def _valid_until(self, signature: Signature) -> datetime:
        return pass_valid_until(self.policy, signature.at)

    def _signed_pass(
        self, application: Observation, signature: Signature, hits: tuple[Reason, ...]
    ) -> State:
        sign_day = day_of(signature.at)
        valid_until = self._valid_until(signature)
        signed_evidence = Evidence(EvidenceKind.SIGNATURE, application.id, sign_day)
        life: list[Reason] = []
        components = _components(hits, self.now)
        expired = self._mechanism(Mechanism.EXPIRED, signed_evidence)
        components.append(Component(Colour.YELLOW, valid_until, None, False))
        if self.now < valid_until:
            signed = self._mechanism(
                Mechanism.SIGNED,
                signed_evidence,
                colour=signature.colour,
                lapses_at=valid_until,
                detail=signature.note,
            )
            life.append(signed)
            components.append(Component(signature.colour, None, valid_until, False))
            missed = self._missed_report(sign_day, valid_until)
            if missed is not None:
                life.append(missed)
                components.append(Component(Colour.YELLOW, None, None, True))
            else:
                components.append(self._next_missed_report(sign_day, valid_until))
        else:
            life.append(expired)
        reasons = _by_severity((*life, *hits))
        colour = worst(*(r.colour for r in reasons))
        due = sign_day < self.today < day_of(valid_until) and self.today not in self.day_status
        return State(
            self.policy.ref,
            colour,
            self.now,
            reasons=reasons,
            next_step=reasons[0].next_step,
            next_change=next_change(components, self.now, colour),
            valid_until=valid_until,
            application_id=application.id,
            report_due=self.today if due else None,
        )

    def _missed_report(self, sign_day: date, valid_until: datetime) -> Reason | None:
        """Yesterday, a day of validity after the signing day, had no daily report and
        none has come in today: yellow until today's report (seed 000 §四.一)."""
        yesterday = self.today - ONE_DAY
        in_validity = sign_day < yesterday < day_of(valid_until)
        if not in_validity or yesterday in self.day_status or self.today in self.day_status:
            return None
        return self._mechanism(
            Mechanism.MISSED_DAILY_REPORT, None, needs_reports=True, detail=yesterday.isoformat()
        )

    def _next_missed_report(self, sign_day: date, valid_until: datetime) -> Component:
        """If no report comes in, the first day of validity without one turns the pass
        yellow at the midnight after it: the forecast names that, not the lapse."""
        day = max(self.today, sign_day + ONE_DAY)
        while day < day_of(valid_until) and day in self.day_status:
            day += ONE_DAY
        return Component(Colour.YELLOW, start_of(day + ONE_DAY), None, False, True)

    def _report_missing_today(self, hits: tuple[Reason, ...]) -> bool:
        return any(r.needs_reports for r in hits) and self.today not in self.day_status

    # -- rules -----------------------------------------------------------------------

    def hits(self) -> tuple[Reason, ...]:
        """Every rule with at least one matching item that has not lapsed."""
        active: dict[str, list[tuple[_Item, _Window]]] = defaultdict(list)
        rules: dict[str, Rule] = {}
        for rule, item in self.matches:
            window = self._window(rule, item)
            if not window.lapsed:
                active[rule.id].append((item, window))
                rules[rule.id] = rule
        return _by_severity(tuple(_reason(rules[rid], found) for rid, found in active.items()))

    def _window(self, rule: Rule, item: _Item) -> _Window:
        if not rule.lapses:
            return _Window(False, None, False)
        parts = [self._lapse(lapse, item) for lapse in rule.lapses]
        ats = [p.at for p in parts]
        return _Window(
            lapsed=all(p.lapsed for p in parts),
            at=None if None in ats else max(a for a in ats if a is not None),
            needs_reports=any(p.needs_reports for p in parts),
            streak=next((p.streak for p in parts if p.streak is not None), None),
        )

    def _lapse(self, lapse: Lapse, item: _Item) -> _Window:
        if isinstance(lapse, NormalDays):
            trigger = item.trigger
            if lapse.field is not None:
                starts = item.dates.get(lapse.field)
                if starts is None:
                    return _Window(False, None, True)
                trigger = max(trigger, starts - ONE_DAY)  # the start day is the first day
            streak = normal_streak(
                self.day_status, trigger=trigger, needed=lapse.days, today=self.today
            )
            return _Window(
                streak.complete, start_of(streak.completes_on), True, (streak.run, lapse.days)
            )
        if isinstance(lapse, Superseded):
            later = [
                o.at
                for o in self.facts.observations
                if item.observation is not None and o.at > item.observation.at
            ]
            return _Window(bool(later), min(later) if later else None, True)
        day = item.dates.get(lapse.field)
        if day is None:
            return _Window(False, None, False)
        if isinstance(lapse, DaysAfter):
            day += timedelta(days=lapse.days + 1)
        at = start_of(day)
        return _Window(at <= self.now, at, False)

    def _mechanism(
        self,
        mechanism: Mechanism,
        evidence: Evidence | None,
        *,
        colour: Colour | None = None,
        lapses_at: datetime | None = None,
        needs_reports: bool = False,
        detail: str = "",
    ) -> Reason:
        rule = self.policy.mechanism(mechanism)
        colour = colour or rule.colour
        return Reason(
            rule_id=rule.id,
            colour=colour,
            text=rule.reason,
            next_step=rule.next_step_by_colour.get(colour, rule.next_step),
            basis=rule.basis,
            evidence=(evidence,) if evidence else (),
            lapses_at=lapses_at,
            needs_reports=needs_reports,
            detail=detail,
        )


def _holds(policy: Policy, rule: Rule, item: _Item, key: str, memo: Memo) -> bool:
    remembered = memo.get((policy.ref, rule.id, key))
    if remembered is None:
        remembered = memo[(policy.ref, rule.id, key)] = logic.holds(rule.when, item.doc, policy.ops)
    return remembered


def holds_anywhere(
    facts: Facts, conditions: Sequence[Condition], memo: dict[tuple[int, str], bool]
) -> bool:
    """Whether any of ``conditions`` holds on any item of its source that ``facts``
    ever had: the engine, at whatever instant and with whatever was known then, sees
    only some of these items (a credit record revoked since counts as never revoked),
    and an item's document differs between instants only in ``high_risk`` (the
    regions listed then), so both answers to that are tried. A policy change asks this
    of residents (``policy_reach``); ``memo`` remembers each condition's answer on a
    document, by the condition's place in ``conditions``."""
    ever = replace(
        facts, credit_records=tuple(replace(c, revoked_at=None) for c in facts.credit_records)
    )
    for n, condition in enumerate(conditions):
        for item in _items(ever, condition.source):
            for doc in _either_risk(item.doc):
                key = (n, repr(doc))
                answer = memo.get(key)
                if answer is None:
                    answer = memo[key] = logic.holds(condition.when, doc, condition.ops)
                if answer:
                    return True
    return False


def _either_risk(doc: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    if "high_risk" not in doc:
        return (doc,)
    return ({**doc, "high_risk": True}, {**doc, "high_risk": False})


def _reason(rule: Rule, found: list[tuple[_Item, _Window]]) -> Reason:
    ats = [w.at for _, w in found]
    evidence = tuple(dict.fromkeys(item.evidence for item, _ in found))
    streaks = [w.streak for _, w in found if w.streak is not None]
    return Reason(
        rule_id=rule.id,
        colour=rule.colour,
        text=rule.reason,
        next_step=rule.next_step,
        basis=rule.basis,
        evidence=evidence,
        lapses_at=None if None in ats else max(a for a in ats if a is not None),
        needs_reports=any(w.needs_reports for _, w in found),
        streak=min(streaks) if streaks else None,  # the latest trigger binds
    )


def _by_severity(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    return tuple(sorted(reasons, key=lambda r: -r.colour.severity))


def _components(hits: tuple[Reason, ...], now: datetime) -> list[Component]:
    # A streak completing today lapses with today's report: project it as "now".
    return [
        Component(
            r.colour, None, None if r.lapses_at is None else max(r.lapses_at, now), r.needs_reports
        )
        for r in hits
    ]


def _signature_for(signatures: tuple[Signature, ...], application_id: str) -> Signature | None:
    mine = [s for s in signatures if s.application_id == application_id]
    return mine[-1] if mine else None


def _evidence_of(obs: Observation) -> Evidence:
    return Evidence(EvidenceKind.OBSERVATION, obs.id, obs.day)


def _items(facts: Facts, source: Source) -> Iterator[_Item]:
    if source is Source.OBSERVATIONS:
        for obs in facts.observations:
            yield _Item(
                _observation_doc(obs),
                _evidence_of(obs),
                {"day": obs.day, "residence_since": obs.residence_since},
                obs.day,
                obs,
            )
    elif source is Source.TRIPS:
        for obs in facts.observations:
            for trip in obs.trips:
                dates = {"start": trip.start, "end": trip.end, "observed_on": obs.day}
                doc = _trip_doc(trip.region, obs.day, trip.start, trip.end)
                doc["high_risk"] = facts.high_risk(trip.region, trip.start or trip.end, trip.end)
                yield _Item(
                    doc,
                    _evidence_of(obs),
                    dates,
                    obs.day,
                    obs,
                )
    elif source is Source.EXPOSURES:
        for obs in facts.observations:
            for exp in obs.exposures:
                dates = {"start": exp.start, "end": exp.end, "observed_on": obs.day}
                doc = {"kind": exp.kind.value, **_iso(dates)}
                yield _Item(doc, _evidence_of(obs), dates, obs.day, obs)
    elif source is Source.RECORDS:
        for rec in facts.records:
            received = day_of(rec.received_at)
            dates = {"start": rec.start, "end": rec.end, "received_on": received}
            last = rec.end or received
            doc = {
                "kind": rec.kind.value,
                "source": rec.source,
                "region": rec.region,
                "province": rec.region[:2] if rec.region else None,
                "setting": rec.setting.value if rec.setting else None,
                "high_risk": facts.high_risk(rec.region, rec.start or last, last),
                "days_before": (received - (rec.end or rec.start or received)).days,
                **_iso(dates),
            }
            yield _Item(doc, Evidence(EvidenceKind.RECORD, rec.id, received), dates, received)
    else:
        for credit in facts.credit_records:
            if credit.revoked_at is None:
                day = day_of(credit.at)
                yield _Item(
                    {"reason": credit.reason, "day": day.isoformat()},
                    Evidence(EvidenceKind.CREDIT_RECORD, credit.id, day),
                    {"day": day},
                    day,
                )


def _iso(dates: dict[str, date | None]) -> dict[str, str | None]:
    return {k: v.isoformat() if v else None for k, v in dates.items()}


def _trip_doc(region: str, observed_on: date, start: date | None, end: date) -> dict[str, Any]:
    return {
        "region": region,
        "province": region[:2],
        "days_before": (observed_on - end).days,
        **_iso({"start": start, "end": end, "observed_on": observed_on}),
    }


def _observation_doc(obs: Observation) -> dict[str, Any]:
    return {
        "kind": obs.kind.value,
        "temperature": obs.temperature,
        "symptoms": sorted(s.value for s in obs.symptoms),
        "exposures": sorted({e.kind.value for e in obs.exposures}),
        "trips": [_trip_doc(t.region, obs.day, t.start, t.end) for t in obs.trips],
        **_iso({"day": obs.day, "residence_since": obs.residence_since}),
    }
