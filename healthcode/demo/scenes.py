"""The demo's stories: who declared what, when, and what happened next.

Days are counted back from the demo's today (``s.at(3)`` is three days ago). Each
scene ends in the colour its name says because of what the seeds' rules make of its
events, not because the colour is written anywhere; the demo's tests check that.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from healthcode.demo.people import HUBEI_REGIONS, OUTSIDE_PROVINCE, WORKPLACES, Workplace
from healthcode.demo.stories import BINZHOU, SHANDONG, Story
from healthcode.domain.colour import Colour
from healthcode.domain.facts import RecordKind

CDC_CONTACTS = "滨州市疾控中心密切接触者名单"
CARRIER = "通信运营商行程数据"
HEALTH_COMMISSION = "滨州市卫生健康委员会病例报告"
PROVINCE_DATA = "山东省疫情大数据平台"
BREATHING = ("shortness_of_breath", "respiratory")
VIDEO_NOTES = (
    "视频通话中未能现场测量体温，请测温后联系社区复核",
    "视频核验时信号中断，身份信息待补充核实",
    "单位尚未出具复工证明，补充材料后复核",
)


@dataclass(frozen=True)
class Scene:
    name: str
    policy: str
    colour: Colour  # where the story ends
    share: int  # residents per 300; 0 = fills whatever the other scenes leave
    label: str  # what a demo user will find, in a few words
    play: Callable[[Story], None]


def _day(s: Story, days_ago: int) -> str:
    return (s.stage.today - timedelta(days=days_ago)).isoformat()


def _fever(s: Story) -> dict[str, Any]:
    return {"temperature": _fever_v(s, 0), "symptoms": ["fever"]}


# -- binzhou-code -------------------------------------------------------------------


def green(s: Story) -> None:
    k = 20 - min(19, int(s.rng.expovariate(1 / 5)))  # most declared when the code launched
    s.declare(BINZHOU, s.at(k))
    s.quiet_reports(k - 1, 0, twice=s.rng.random() < 0.25)


def _declared(**health: Any) -> Callable[[Story], None]:
    """Declared a yellow or red condition some days ago, reporting normally since."""

    def play(s: Story) -> None:
        j = s.rng.randint(1, 9)
        filled = {key: v(s, j) if callable(v) else v for key, v in health.items()}
        s.declare(BINZHOU, s.at(j), **filled)
        s.reports(j - 1, 0)

    return play


def fever_in_report(s: Story) -> None:
    k, j = s.rng.randint(9, 18), s.rng.randint(1, 6)
    s.declare(BINZHOU, s.at(k))
    s.quiet_reports(k - 1, j + 1)
    s.report(s.at(j, 6.5, 10), **_fever(s))
    s.reports(j - 1, 0)


def _trip(regions: tuple[str, ...]) -> Callable[[Story, int], list[dict[str, str]]]:
    def trips(s: Story, j: int) -> list[dict[str, str]]:
        back = j + s.rng.randint(0, 3)
        start = back + s.rng.randint(3, 20)
        return [{"region": s.rng.choice(regions), "start": _day(s, start), "end": _day(s, back)}]

    return trips


def _contact(kind: str) -> Callable[[Story, int], list[dict[str, str]]]:
    def exposures(s: Story, j: int) -> list[dict[str, str]]:
        return [{"kind": kind, "start": _day(s, j + s.rng.randint(1, 3))}]

    return exposures


def _department(kind: RecordKind, source: str, **where: Any) -> Callable[[Story], None]:
    """Green until a department record arrives in the night's import."""

    def play(s: Story) -> None:
        k, r = s.rng.randint(9, 20), s.rng.randint(1, 6)
        s.declare(BINZHOU, s.at(k))
        s.quiet_reports(k - 1, r + 1)
        dates = {
            "start": s.stage.today - timedelta(days=r + s.rng.randint(2, 8)),
            "end": s.stage.today - timedelta(days=r + 1) if kind is RecordKind.TRAVEL else None,
            "region": s.rng.choice(where["regions"]) if "regions" in where else None,
        }
        s.record(s.at(r, 0.5, 6), kind, source, **dates)
        s.reports(r, 0)

    return play


def confirmed_case(s: Story) -> None:
    k, r = s.rng.randint(9, 20), s.rng.randint(1, 3)
    s.declare(BINZHOU, s.at(k))
    s.quiet_reports(k - 1, r)
    s.record(s.at(r, 14, 19), RecordKind.CONFIRMED, HEALTH_COMMISSION, start=_date(s, r))


def fraud(s: Story) -> None:
    k, r = s.rng.randint(9, 20), s.rng.randint(1, 4)
    s.declare(BINZHOU, s.at(k))
    s.quiet_reports(k - 1, r)
    detail = "在滨州西收费站卡口出示他人健康码截图，经核实"
    s.credit(s.at(r, 11, 18), "screenshot", detail)
    s.reports(r - 1, 0)


def yellow_then_green(s: Story) -> None:
    j = s.rng.randint(16, 19)
    s.declare(BINZHOU, s.at(j), **_fever(s))
    s.reports(j - 1, 0)  # the 14th normal day turns it green


def released_contact(s: Story) -> None:
    """Red from the close-contact list (sent late, during the observation), released,
    green after 14 normal days from the release (the release starts the streak)."""
    j = s.rng.randint(16, 18)
    k = s.rng.randint(j + 1, 20)
    s.declare(BINZHOU, s.at(k))
    s.quiet_reports(k - 1, j + 1)
    s.record(
        s.at(j, 0.5, 6),
        RecordKind.CLOSE_CONTACT,
        CDC_CONTACTS,
        start=_date(s, 28),
        end=_date(s, 14),
    )
    s.reports(j, 0)


def streak_reset(s: Story) -> None:
    j = s.rng.randint(12, 16)
    missed = s.rng.randint(max(2, j - 12), min(j - 3, 9))
    s.declare(BINZHOU, s.at(j), **_fever(s))
    s.reports(j - 1, 0, skip=(missed,))


# -- shandong-pass ------------------------------------------------------------------


def _issuer(s: Story, place: Workplace) -> uuid.UUID:
    cast = s.stage.cast
    return cast.employer_issuer if place == cast.employer else cast.community_issuer


def _place(s: Story) -> Workplace:
    adult = s.stage.today.year - s.person.birth_date.year >= 23
    return s.rng.choice([w for w in WORKPLACES if w.school != adult])


def pending(s: Story) -> None:
    roll = s.rng.random()
    health: dict[str, Any] = {}
    if roll < 0.08:
        health = _fever(s)
    elif roll < 0.15:
        health = {"temperature": None}
    elif roll < 0.2:
        health = {"trips": _trip(OUTSIDE_PROVINCE)(s, s.rng.randint(3, 8))}
    s.apply(s.before_end(timedelta(minutes=10), timedelta(hours=30)), _place(s), **health)


def reapplied(s: Story) -> None:
    k = s.rng.randint(9, 12)
    _signed(s, k, Colour.GREEN)
    s.reports(k - 1, k - 5)
    s.apply(s.before_end(timedelta(minutes=10), timedelta(hours=30)), _place(s))


def _signed(s: Story, k: int, colour: Colour, note: str = "", **health: Any) -> None:
    place = _place(s)
    s.apply(s.at(k, 7.5, 12), place, **health)
    s.sign(s.at(k, 13, 19), colour, note, issuer=_issuer(s, place))


def green_pass(s: Story) -> None:
    k = s.rng.randint(1, 4)
    _signed(s, k, Colour.GREEN)
    s.reports(k - 1, 1)
    if s.rng.random() < 0.6:
        s.report(s.at(0, 6.5, 10))


def _pass(colour: Colour, note: str = "", **health: Any) -> Callable[[Story], None]:
    def play(s: Story) -> None:
        k = s.rng.randint(1, 4)
        filled = {key: v(s, k) if callable(v) else v for key, v in health.items()}
        _signed(s, k, colour, note or s.rng.choice(VIDEO_NOTES), **filled)
        s.reports(k - 1, 1)

    return play


def data_after_signing(s: Story) -> None:
    k = s.rng.randint(3, 4)
    _signed(s, k, Colour.GREEN)
    s.reports(k - 1, 2)
    s.record(s.at(1, 0.5, 6), RecordKind.CLOSE_CONTACT, PROVINCE_DATA, start=_date(s, 3))
    s.reports(1, 0)


def expired(s: Story) -> None:
    k = s.rng.randint(6, 10)
    _signed(s, k, Colour.GREEN)
    s.reports(k - 1, k - 5)  # every day of its validity


def missed_report(s: Story) -> None:
    k = s.rng.randint(2, 3)
    _signed(s, k, Colour.GREEN)
    s.reports(k - 1, 2)  # and nothing yesterday


def _date(s: Story, days_ago: int) -> date:
    return s.stage.today - timedelta(days=days_ago)


def _fever_v(s: Story, _k: int) -> float:
    return round(s.rng.uniform(37.5, 38.6), 1)


def _contact_until_released(s: Story, k: int) -> list[dict[str, str | None]]:
    return [{"kind": "close_contact", "start": _day(s, k + 2), "end": _day(s, k - 12)}]


def _arrived_recently(s: Story, k: int) -> str:
    return _day(s, k + 6)


declared_fever = _declared(temperature=_fever_v, symptoms=["fever"])
declared_breath = _declared(symptoms=lambda s, _j: [s.rng.choice(BREATHING)])
declared_outside = _declared(trips=_trip(OUTSIDE_PROVINCE))
declared_febrile_contact = _declared(exposures=_contact("febrile_contact"))
declared_close_contact = _declared(exposures=_contact("close_contact"))
declared_hubei = _declared(trips=_trip(HUBEI_REGIONS))
carrier_outside = _department(RecordKind.TRAVEL, CARRIER, regions=OUTSIDE_PROVINCE)
carrier_hubei = _department(RecordKind.TRAVEL, CARRIER, regions=HUBEI_REGIONS)
contact_list = _department(RecordKind.CLOSE_CONTACT, CDC_CONTACTS)
yellow_note = _pass(Colour.YELLOW)
no_temperature = _pass(Colour.YELLOW, "未填写当日体温，请测温后补充", temperature=None)
red_fever = _pass(
    Colour.RED, "已告知社区，请到发热门诊就诊", temperature=_fever_v, symptoms=["fever"]
)
red_outside = _pass(Colour.RED, "返鲁未满14天，期满后重新申请", trips=_trip(OUTSIDE_PROVINCE))
red_residence = _pass(Colour.RED, "在省内居住未满14天", residence_since=_arrived_recently)


def red_not_14_days(s: Story) -> None:
    """Exclusion 4 (back from outside Shandong) or out of scope (moved in recently)."""
    (red_outside if s.rng.random() < 0.6 else red_residence)(s)


red_contact = _pass(Colour.RED, "解除医学观察后重新申请", exposures=_contact_until_released)

B, S = BINZHOU, SHANDONG
G, Y, R, P = Colour.GREEN, Colour.YELLOW, Colour.RED, Colour.PENDING
# fmt: off
SCENES: tuple[Scene, ...] = (
    Scene("green", B, G, 0, "green, reporting every day", green),
    Scene("green_pass", S, G, 0, "green pass, reporting every day", green_pass),
    Scene("fever_report", B, Y, 6, "green → yellow: fever in a daily report", fever_in_report),
    Scene("fever", B, Y, 3, "yellow: declared a fever", declared_fever),
    Scene("breath", B, Y, 5, "yellow: shortness of breath or a cough", declared_breath),
    Scene("outside", B, Y, 6, "yellow: back from outside the province", declared_outside),
    Scene("febrile_contact", B, Y, 3, "yellow: contact with a febrile person",
          declared_febrile_contact),
    Scene("carrier_outside", B, Y, 3, "green → yellow: carrier data, outside the province",
          carrier_outside),
    Scene("streak_reset", B, Y, 3, "yellow: streak restarted by a missed day", streak_reset),
    Scene("close_contact", B, R, 3, "red: declared a close contact", declared_close_contact),
    Scene("hubei", B, R, 2, "red: back from Hubei", declared_hubei),
    Scene("contact_list", B, R, 4, "green → red: on the CDC close-contact list", contact_list),
    Scene("carrier_hubei", B, R, 2, "green → red: carrier data, Hubei", carrier_hubei),
    Scene("confirmed", B, R, 1, "green → red: confirmed case on record", confirmed_case),
    Scene("fraud", B, R, 1, "green → red: confirmed fraud (credit record)", fraud),
    Scene("recovered", B, G, 5, "yellow → green after 14 normal days", yellow_then_green),
    Scene("released", B, G, 2, "red → green: released contact, 14 normal days",
          released_contact),
    Scene("pending", S, P, 42, "pending: waiting for an issuer", pending),
    Scene("reapplied", S, P, 3, "pending: re-applied after the pass expired", reapplied),
    Scene("yellow_note", S, Y, 3, "yellow pass: issuer's note after a video call", yellow_note),
    Scene("no_temperature", S, Y, 2, "yellow pass: no temperature given", no_temperature),
    Scene("red_fever", S, R, 2, "red pass: fever", red_fever),
    Scene("red_outside", S, R, 3, "red pass: under 14 days in Shandong", red_not_14_days),
    Scene("red_contact", S, R, 1, "red pass: close contact under observation", red_contact),
    Scene("data_after_signing", S, R, 1, "green → red pass: big-data check after signing",
          data_after_signing),
    Scene("expired", S, Y, 4, "yellow pass: expired", expired),
    Scene("missed_report", S, Y, 4, "yellow pass: yesterday's report missed", missed_report),
)
# fmt: on
