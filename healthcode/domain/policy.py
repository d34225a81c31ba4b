"""Policies as data: versioned rule sets for the two seeds' colour models.

A policy file (``healthcode/policies/*.yaml``) names its model, its parameters and
its rules. ``parse_policy`` turns the plain data into this immutable model and
reports *every* problem at once, so the command centre can show them all before a
policy is published. See docs/policies.md for the file format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from healthcode.domain import logic
from healthcode.domain.clock import day_of, start_of
from healthcode.domain.colour import Colour
from healthcode.domain.facts import ExposureKind, Symptom

E = TypeVar("E", bound=StrEnum)


class PolicyError(ValueError):
    def __init__(self, policy: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"policy {policy!r} is invalid:\n  " + "\n  ".join(problems))


class Model(StrEnum):
    HEALTH_CODE = "health_code"  # seed 003: colour computed at once
    PASS = "pass"  # seed 000: issuer-signed, time-limited


class Source(StrEnum):
    """What a rule's condition is evaluated on, one item at a time."""

    OBSERVATIONS = "observations"
    TRIPS = "trips"
    EXPOSURES = "exposures"
    RECORDS = "records"
    CREDIT_RECORDS = "credit_records"


OBSERVED = frozenset({Source.OBSERVATIONS, Source.TRIPS, Source.EXPOSURES})
# The parameters the engine reads itself, not through a rule's condition: a change
# of one reaches every code (``policy_reach``).
PASS_VALIDITY = "pass_validity_days"
READ_BY_ENGINE = frozenset({PASS_VALIDITY})


def pass_valid_until(policy: Policy, signed_at: datetime) -> datetime:
    """The end of a pass signed at ``signed_at``: the start of the day after its
    ``pass_validity_days``, counted from the signing day (seed 000: 自办理之日起5天内有效)."""
    days = int(policy.params[PASS_VALIDITY])
    return start_of(day_of(signed_at) + timedelta(days=days + 1))


class Mechanism(StrEnum):
    """The pass life cycle, implemented by the engine; the policy gives id and words."""

    AWAITING_SIGNATURE = "awaiting_signature"
    SIGNED = "signed"
    EXPIRED = "expired"
    MISSED_DAILY_REPORT = "missed_daily_report"


LocalText = Mapping[str, str]  # language ("zh", "en") -> text


@dataclass(frozen=True)
class NormalDays:
    """Lapses once `days` consecutive calendar days after the trigger day all have
    normal reports; a missed or abnormal day restarts the count (seed 003). With
    `field`, the count starts on that date instead (a release from observation starts
    the streak) and never while it is null."""

    days: int
    field: str | None = None


@dataclass(frozen=True)
class DaysAfter:
    """Lapses when `days` full calendar days have passed after the date in `field`
    (the day itself is not counted, as in Civil Code art. 201). Open if it is null."""

    days: int
    field: str


@dataclass(frozen=True)
class OnDate:
    """Lapses at the start of the date in `field`; never while it is null."""

    field: str


@dataclass(frozen=True)
class Superseded:
    """Lapses as soon as a later observation exists (missing information)."""


Lapse = NormalDays | DaysAfter | OnDate | Superseded

DATE_FIELDS: Mapping[Source, frozenset[str]] = {
    Source.OBSERVATIONS: frozenset({"day", "residence_since"}),
    Source.TRIPS: frozenset({"start", "end", "observed_on"}),
    Source.EXPOSURES: frozenset({"start", "end", "observed_on"}),
    Source.RECORDS: frozenset({"start", "end", "received_on"}),
    Source.CREDIT_RECORDS: frozenset({"day"}),
}


@dataclass(frozen=True)
class Rule:
    id: str
    colour: Colour
    reason: LocalText
    next_step: LocalText
    basis: str  # the seed's words this rule implements
    source: Source | None = None
    when: Any = True
    lapses: tuple[Lapse, ...] = ()  # all must have lapsed; empty = never by time
    mechanism: Mechanism | None = None
    # a mechanism whose colour someone else gives (an issuer's signature): the next
    # step for a colour other than the rule's own ("apply again with what was asked")
    next_step_by_colour: Mapping[Colour, LocalText] = field(default_factory=dict)


@dataclass(frozen=True)
class Form:
    """What the declaration form offers and requires under this policy."""

    symptoms: tuple[Symptom, ...]
    exposures: tuple[ExposureKind, ...]
    requires: frozenset[str]
    reports_per_day: int | None  # None = any number (morning and evening check-ins)


@dataclass(frozen=True)
class CheckpointWords:
    """What a checkpoint operator is told to do with a holder of each colour (issue 12
    item 2: from the policy file, not the code), and with a fever at release."""

    actions: Mapping[Colour, LocalText]
    fever: LocalText
    # The result screen's headline for a valid green code: the seeds differ (seed 000:
    # a green pass is released directly, 直接放行; seed 003: 健康检查后放行). None: the
    # generic words (domain/checkpoint.py GENERIC_HEADLINES).
    release: LocalText | None = None

    def action(self, colour: Colour) -> LocalText | None:
        return self.actions.get(colour)


CHECKPOINT_COLOURS = (Colour.GREEN, Colour.YELLOW, Colour.RED)


@dataclass(frozen=True)
class Policy:
    id: str
    version: str
    model: Model
    title: LocalText
    authority: LocalText  # who issues the code, printed on it as real codes do
    basis: str
    params: Mapping[str, Any]
    form: Form
    green_next_step: LocalText
    rules: tuple[Rule, ...]
    # the colours in the seed's own words (绿色健康通行卡（通行）); absent: 绿码…
    labels: Mapping[Colour, LocalText] = field(default_factory=dict)
    # absent: the scanner's generic words (a policy file written before scanning)
    checkpoint: CheckpointWords | None = None
    ops: logic.Operations = field(compare=False, repr=False, default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def rules_on(self, source: Source) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.source is source)

    def mechanism(self, mechanism: Mechanism) -> Rule:
        for rule in self.rules:
            if rule.mechanism is mechanism:
                return rule
        raise LookupError(f"{self.ref} has no {mechanism} rule")


_FORM_FIELDS = frozenset({"temperature", "residence_since", "destination", "purpose"})
_PASS_MECHANISMS = frozenset(Mechanism)


def parse_policy(data: Mapping[str, Any]) -> Policy:
    """Build a policy from plain data, or raise PolicyError listing every problem."""
    name = str(data.get("id", "?"))
    p = _Problems()
    params = data.get("params") or {}
    if not isinstance(params, Mapping):
        p.add("params: must be a mapping")
        params = {}
    model = p.enum(Model, data.get("model"), "model")
    rules = tuple(
        r for i, raw in enumerate(data.get("rules") or []) if (r := _rule(raw, params, i, p))
    )
    _check_rules(rules, model, p)
    form = _form(data.get("form") or {}, p)
    policy = Policy(
        id=p.text_field(data, "id"),
        version=p.text_field(data, "version"),
        model=model or Model.HEALTH_CODE,
        title=p.local(data.get("title"), "title"),
        authority=p.local(data.get("authority"), "authority"),
        basis=p.text_field(data, "basis"),
        params=dict(params),
        form=form,
        green_next_step=p.local(data.get("green_next_step"), "green_next_step"),
        rules=rules,
        labels=_labels(data.get("labels") or {}, p),
        checkpoint=_checkpoint(data["checkpoint"], p) if "checkpoint" in data else None,
        ops=logic.operations(params),
    )
    if p.problems:
        raise PolicyError(name, p.problems)
    return policy


class _Problems:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def enum(self, kind: type[E], value: object, path: str) -> E | None:
        try:
            return kind(str(value))
        except ValueError:
            self.add(f"{path}: {value!r} is not one of {[m.value for m in kind]}")
            return None

    def text_field(self, data: Mapping[str, Any], key: str, path: str = "") -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.add(f"{path}{key}: required text")
            return ""
        return value

    def local(self, value: object, path: str) -> LocalText:
        if not isinstance(value, Mapping) or not all(
            isinstance(value.get(lang), str) and value[lang].strip() for lang in ("zh", "en")
        ):
            self.add(f"{path}: needs non-empty 'zh' and 'en' texts")
            return {"zh": "", "en": ""}
        if set(value) != {"zh", "en"}:  # in YAML's {zh: …, en: …} a comma ends a text
            stray = ", ".join(sorted(map(str, set(value) - {"zh", "en"})))
            self.add(f"{path}: only 'zh' and 'en' (quote a text holding a comma): {stray}")
        return {"zh": value["zh"], "en": value["en"]}


def _labels(raw: Any, p: _Problems, path: str = "labels") -> dict[Colour, LocalText]:
    if not isinstance(raw, Mapping):
        p.add(f"{path}: must be a mapping of colour to {{zh, en}}")
        return {}
    labels = {}
    for key, text in raw.items():
        colour = p.enum(Colour, key, path)
        if colour is not None:
            labels[colour] = p.local(text, f"{path}.{key}")
    return labels


def _checkpoint(raw: Any, p: _Problems) -> CheckpointWords | None:
    """``checkpoint: {actions: {green: {zh, en}, yellow: …, red: …}, fever: {zh, en},
    release: {zh, en}}``: green, yellow and red are required (pending and the release
    headline are optional)."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("actions"), Mapping):
        p.add("checkpoint: must be a mapping with 'actions' (colour to {zh, en}) and 'fever'")
        return None
    actions = _labels(raw["actions"], p, "checkpoint.actions")
    for colour in CHECKPOINT_COLOURS:
        if colour not in raw["actions"]:
            p.add(f"checkpoint.actions: needs the action for {colour.value}")
    release = p.local(raw["release"], "checkpoint.release") if "release" in raw else None
    fever = p.local(raw.get("fever"), "checkpoint.fever")
    return CheckpointWords(actions=actions, fever=fever, release=release)


def _rule(raw: Any, params: Mapping[str, Any], index: int, p: _Problems) -> Rule | None:
    if not isinstance(raw, Mapping):
        p.add(f"rules[{index}]: must be a mapping")
        return None
    rid = raw.get("id") or f"rules[{index}]"
    path = f"rule {rid}"
    colour = p.enum(Colour, raw.get("colour"), f"{path}.colour")
    mechanism = (
        p.enum(Mechanism, raw["mechanism"], f"{path}.mechanism") if "mechanism" in raw else None
    )
    source = p.enum(Source, raw["source"], f"{path}.source") if "source" in raw else None

    if ("mechanism" in raw) == ("source" in raw):
        p.add(f"{path}: needs either 'source' (with 'when') or 'mechanism', not both")
    when = raw.get("when", True)
    for problem in logic.check(when, params=params, path=f"{path}.when"):
        p.add(problem)
    lapses = _lapses(raw.get("lapses"), params, source, path, p)
    return Rule(
        id=str(rid),
        colour=colour or Colour.RED,
        reason=p.local(raw.get("reason"), f"{path}.reason"),
        next_step=p.local(raw.get("next_step"), f"{path}.next_step"),
        basis=p.text_field(raw, "basis", f"{path}."),
        source=source,
        when=when,
        lapses=lapses,
        mechanism=mechanism,
        next_step_by_colour=_labels(raw["next_step_by_colour"], p, f"{path}.next_step_by_colour")
        if "next_step_by_colour" in raw
        else {},
    )


def _lapses(
    raw: Any, params: Mapping[str, Any], source: Source | None, path: str, p: _Problems
) -> tuple[Lapse, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    out: list[Lapse] = []
    for item in items:
        lapse = _lapse(item, params, source, f"{path}.lapses", p)
        if lapse is not None:
            out.append(lapse)
    return tuple(out)


def _lapse(
    item: Any, params: Mapping[str, Any], source: Source | None, path: str, p: _Problems
) -> Lapse | None:
    if item == "superseded":
        return Superseded()
    if not isinstance(item, Mapping):
        p.add(f"{path}: {item!r} is not a lapse (normal_days, days+after, at, superseded)")
        return None
    days = _days(item, params, path, p)
    date_field = str(item.get("after") or item.get("at") or "")
    if "normal_days" in item and "after" not in item:
        return NormalDays(days) if days is not None else None
    if source is not None and date_field not in DATE_FIELDS[source]:
        p.add(
            f"{path}: {date_field!r} is not a date field of {source} "
            f"({sorted(DATE_FIELDS[source])})"
        )
        return None
    if "normal_days" in item:
        return NormalDays(days, date_field) if days is not None else None
    if "at" in item:
        return OnDate(date_field)
    if "after" in item and days is not None:
        return DaysAfter(days, date_field)
    p.add(f"{path}: {dict(item)!r} is not a lapse (normal_days, days+after, at, superseded)")
    return None


def _days(
    item: Mapping[str, Any], params: Mapping[str, Any], path: str, p: _Problems
) -> int | None:
    raw = item.get("normal_days", item.get("days"))
    if raw is None:
        return None
    if isinstance(raw, Mapping) and "param" in raw:
        raw = params.get(str(raw["param"]))
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        p.add(f"{path}: days must be a whole number ≥ 0 or a parameter holding one, got {raw!r}")
        return None
    return raw


def _check_rules(rules: tuple[Rule, ...], model: Model | None, p: _Problems) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            p.add(f"rule {rule.id}: duplicate id")
        seen.add(rule.id)
        if rule.mechanism is None and rule.colour not in (Colour.RED, Colour.YELLOW):
            p.add(f"rule {rule.id}: a condition can only raise the colour to red or yellow")
    mechanisms = {r.mechanism for r in rules if r.mechanism is not None}
    if model is Model.PASS and mechanisms != _PASS_MECHANISMS:
        missing = sorted(m.value for m in _PASS_MECHANISMS - mechanisms)
        p.add(f"a pass policy needs one rule for each mechanism; missing {missing}")
    if model is Model.HEALTH_CODE and mechanisms:
        p.add("a health_code policy has no pass mechanisms")


def _form(raw: Any, p: _Problems) -> Form:
    if not isinstance(raw, Mapping):
        p.add("form: must be a mapping")
        raw = {}
    symptoms = tuple(
        s for v in raw.get("symptoms") or [] if (s := p.enum(Symptom, v, "form.symptoms"))
    )
    exposures = tuple(
        e for v in raw.get("exposures") or [] if (e := p.enum(ExposureKind, v, "form.exposures"))
    )
    requires = frozenset(str(v) for v in raw.get("requires") or [])
    for unknown in sorted(requires - _FORM_FIELDS):
        p.add(f"form.requires: unknown field {unknown!r} (known: {sorted(_FORM_FIELDS)})")
    per_day = raw.get("reports_per_day")
    if per_day is not None and (not isinstance(per_day, int) or per_day < 1):
        p.add(f"form.reports_per_day: must be a whole number ≥ 1 or null, got {per_day!r}")
        per_day = None
    return Form(symptoms, exposures, requires, per_day)
