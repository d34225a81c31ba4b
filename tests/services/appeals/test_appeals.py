"""Appeals (申诉): a wrongly listed resident appeals; the record's department decides."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.services.accounts.permissions import Role
from healthcode.services.appeals.appeals import (
    AlreadyAppealed,
    list_appeals,
    list_disputable,
    show_appeal,
    submit_appeal,
)
from healthcode.services.appeals.decisions import (
    AppealDecided,
    decide_appeal,
    list_waiting_appeals,
    show_appeal_to_officer,
)
from healthcode.services.codes.health_codes import list_colour_changes
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.blobs import FilesystemBlobs
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import (
    POLICY,
    REASON,
    colour,
    fraud_finding,
    health_officer,
    listed,
    officer,
)
from tests.factories.images import PNG, png_header

UPHOLD = "经核查该居民当日不在通报场所，撤销密接记录"
REJECT = "经核查该居民确在通报时段到过该场所，维持原记录"


def appeal(uow: UnitOfWork, env: Env, resident_id: uuid.UUID, record_id: uuid.UUID) -> uuid.UUID:
    made = submit_appeal(
        uow, env, resident_id=resident_id, policy_id=POLICY, record_id=record_id, reason=REASON
    )
    return made.id


def notified_steps(uow: UnitOfWork, resident_id: uuid.UUID) -> list[str]:
    rows = uow.session.scalars(
        select(t.Notification)
        .where(t.Notification.resident_id == resident_id, t.Notification.kind == "appeal_step")
        .order_by(t.Notification.at)
    ).all()
    return [row.payload["step"] for row in rows]


def refused_fields(
    uow: UnitOfWork, env: Env, person: Any, policy_id: str, reason: str
) -> list[tuple[str, str]]:
    """The (field, code) pairs an appeal of ``person``'s record is refused with."""
    with pytest.raises(InvalidInput) as refused:
        submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=policy_id,
            record_id=person.record_id, reason=reason,
        )  # fmt: skip
    return [(e.field, e.code) for e in refused.value.errors]


class TestUpheld:
    def test_the_wrongly_listed_resident_is_green_again_and_sees_why(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        person = listed(uow, env)
        [item] = list_disputable(uow, env, resident_id=person.resident_id, policy_id=POLICY)
        assert (item.id, item.kind, item.source, item.behind_colour) == (
            person.record_id,
            "close_contact",
            "health",
            True,
        )
        decider = health_officer(uow, env)  # there to decide it: the appeal is sent to them
        appeal_id = appeal(uow, env, person.resident_id, person.record_id)
        assert [a.id for a in list_waiting_appeals(uow, env, decider)] == [appeal_id]

        decided = decide_appeal(uow, env, decider, appeal_id=appeal_id, uphold=True, note=UPHOLD)

        assert decided.status == "upheld"
        assert colour(uow, env, person.resident_id) is Colour.GREEN
        record = uow.appeals.record(person.record_id)
        assert record is not None
        assert record.withdrawn_at is not None
        assert UPHOLD in (record.withdrawn_reason or "")
        history = list_colour_changes(uow, env, resident_id=person.resident_id, policy_id=POLICY)
        [change] = [c for c in history if c.cause == "appeal"]
        assert (change.from_colour, change.to_colour, change.note) == ("red", "green", UPHOLD)
        mine = show_appeal(uow, env, resident_id=person.resident_id, appeal_id=appeal_id)
        assert [(s.step, s.colour) for s in mine.steps] == [
            ("submitted", None),
            ("assigned", None),
            ("upheld", None),
            ("restored", Colour.GREEN),
        ]
        assert notified_steps(uow, person.resident_id) == ["assigned", "upheld", "restored"]
        actions = set(
            uow.session.scalars(
                select(t.AuditEvent.action).where(t.AuditEvent.resident_id == person.resident_id)
            )
        )
        assert {"appeal.submitted", "appeal.upheld"} <= actions
        assert list_waiting_appeals(uow, env, decider) == []
        assert list_disputable(uow, env, resident_id=person.resident_id, policy_id=POLICY) == []


class TestRejected:
    def test_a_rejected_appeal_leaves_the_colour_and_the_record(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        person = listed(uow, env)
        decider = health_officer(uow, env)
        appeal_id = appeal(uow, env, person.resident_id, person.record_id)

        decided = decide_appeal(uow, env, decider, appeal_id=appeal_id, uphold=False, note=REJECT)

        assert decided.status == "rejected"
        assert colour(uow, env, person.resident_id) is Colour.RED
        record = uow.appeals.record(person.record_id)
        assert record is not None
        assert record.withdrawn_at is None
        assert [s.step for s in decided.steps] == ["submitted", "assigned", "rejected"]
        assert decided.steps[-1].note == REJECT
        assert notified_steps(uow, person.resident_id) == ["assigned", "rejected"]
        with pytest.raises(AppealDecided):
            decide_appeal(uow, env, decider, appeal_id=appeal_id, uphold=True, note=UPHOLD)

    def test_a_decision_needs_a_reason(self, uow: UnitOfWork, env: Env) -> None:
        person = listed(uow, env)
        appeal_id = appeal(uow, env, person.resident_id, person.record_id)
        with pytest.raises(InvalidInput) as refused:
            decide_appeal(
                uow, env, health_officer(uow, env), appeal_id=appeal_id, uphold=True, note="同意"
            )
        assert refused.value.errors[0].field == "note"


class TestScope:
    @pytest.mark.parametrize(
        "scope",
        [
            "dept:police",
            "dept:health/370102",
            "region:371602",
            "org:" + str(uuid.UUID(int=1)),
            "",  # a deployment-wide data clerk: it decided every department's appeals
        ],
    )
    def test_another_departments_officer_finds_nothing(
        self, uow: UnitOfWork, env: Env, scope: str
    ) -> None:
        person = listed(uow, env)
        appeal_id = appeal(uow, env, person.resident_id, person.record_id)
        outsider = officer(uow, env, "outsider", (Role.DATA_OPERATOR, scope))

        assert list_waiting_appeals(uow, env, outsider) == []
        with pytest.raises(NotFound):
            show_appeal_to_officer(uow, env, outsider, appeal_id=appeal_id)
        with pytest.raises(NotFound):
            decide_appeal(uow, env, outsider, appeal_id=appeal_id, uphold=True, note=UPHOLD)
        assert colour(uow, env, person.resident_id) is Colour.RED

    def test_the_department_in_the_residents_region_decides(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        person = listed(uow, env)
        appeal_id = appeal(uow, env, person.resident_id, person.record_id)
        county = health_officer(uow, env, "dept:health/371602")
        assert [a.id for a in list_waiting_appeals(uow, env, county)] == [appeal_id]

    def test_each_view_by_an_officer_is_audit_logged(self, uow: UnitOfWork, env: Env) -> None:
        """Stop 44, an outside probe: the officer's page shows the resident's masked name
        and ID, their reason and the record, and only the evidence's view was logged."""
        person = listed(uow, env)
        appeal_id = appeal(uow, env, person.resident_id, person.record_id)
        county = health_officer(uow, env, "dept:health/371602")
        show_appeal_to_officer(uow, env, county, appeal_id=appeal_id, client="10.0.0.7")
        viewed = uow.session.execute(
            select(t.AuditEvent.actor_id, t.AuditEvent.resident_id, t.AuditEvent.client).where(
                t.AuditEvent.action == "appeal.viewed"
            )
        ).all()
        assert viewed == [(county.account_id, person.resident_id, "10.0.0.7")]

    def test_the_officers_who_may_decide_are_told(self, uow: UnitOfWork, env: Env) -> None:
        person = listed(uow, env)
        county = health_officer(uow, env, "dept:health/371602")
        province = health_officer(uow, env, "dept:health")
        elsewhere = health_officer(uow, env, "dept:health/370102")
        police = officer(uow, env, "police", (Role.DATA_OPERATOR, "dept:police"))
        appeal_id = appeal(uow, env, person.resident_id, person.record_id)

        told = uow.session.scalars(
            select(t.Notification.account_id).where(t.Notification.kind == "appeal_waiting")
        ).all()
        assert set(told) == {county.account_id, province.account_id}
        assert elsewhere.account_id not in told
        assert police.account_id not in told
        [row] = uow.session.scalars(
            select(t.Notification).where(t.Notification.account_id == county.account_id)
        ).all()
        assert row.payload["appeal"] == str(appeal_id)

    def test_a_resident_cannot_appeal_or_read_anothers(self, uow: UnitOfWork, env: Env) -> None:
        person = listed(uow, env)
        other = listed(uow, env, phone="13800003333")
        appeal_id = appeal(uow, env, person.resident_id, person.record_id)
        with pytest.raises(NotFound):
            appeal(uow, env, other.resident_id, person.record_id)
        with pytest.raises(NotFound):
            show_appeal(uow, env, resident_id=other.resident_id, appeal_id=appeal_id)
        assert list_appeals(uow, env, resident_id=other.resident_id) == []


class TestSubmitting:
    def test_one_open_appeal_per_record(self, uow: UnitOfWork, env: Env) -> None:
        person = listed(uow, env)
        first = appeal(uow, env, person.resident_id, person.record_id)
        with pytest.raises(AlreadyAppealed):
            appeal(uow, env, person.resident_id, person.record_id)
        [item] = list_disputable(uow, env, resident_id=person.resident_id, policy_id=POLICY)
        assert item.open_appeal == first
        decide_appeal(
            uow, env, health_officer(uow, env), appeal_id=first, uphold=False, note=REJECT
        )
        assert appeal(uow, env, person.resident_id, person.record_id) != first  # decided: again

    def test_a_reason_is_needed(self, uow: UnitOfWork, env: Env) -> None:
        person = listed(uow, env)
        with pytest.raises(InvalidInput) as refused:
            submit_appeal(
                uow,
                env,
                resident_id=person.resident_id,
                policy_id=POLICY,
                record_id=person.record_id,
                reason="错了",
            )
        assert (refused.value.errors[0].field, refused.value.errors[0].code) == (
            "reason",
            "too_short",
        )

    def test_a_reason_of_invisible_characters_is_no_reason(self, uow: UnitOfWork, env: Env) -> None:
        """Twelve zero-width spaces passed the ten-character minimum (found by probing;
        a fraud officer's reason and a look-up's purpose were the same)."""
        person = listed(uow, env)
        for reason in ("\u200b" * 12, "\u200b \u2060\ufeff" * 4 + "错了"):
            assert refused_fields(uow, env, person, POLICY, reason) == [("reason", "too_short")]

    @pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b[31m", "\u202e"])
    def test_a_control_character_is_refused_not_stored(
        self, uow: UnitOfWork, env: Env, control: str
    ) -> None:
        """A BEL, a terminal escape, a NUL (which PostgreSQL cannot store in text) went
        into the reason the officer reads. Line breaks stay."""
        person = listed(uow, env)
        reason = f"我当日在家办公{control}从未到过通报场所"
        assert refused_fields(uow, env, person, POLICY, reason) == [("reason", "control_character")]
        made = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason="我当日在家办公\n从未到过通报场所",
        )  # fmt: skip
        assert made.reason == "我当日在家办公\n从未到过通报场所"

    def test_an_appeal_needs_a_code_of_that_kind(self, uow: UnitOfWork, env: Env) -> None:
        """A resident with only a Binzhou code could appeal under the Shandong pass: the
        appeal named a colour of none and its timeline never showed one restored."""
        person = listed(uow, env)
        other = "shandong-pass"
        assert list_disputable(uow, env, resident_id=person.resident_id, policy_id=other) == []
        assert refused_fields(uow, env, person, other, REASON) == [("policy", "no_code")]

    def test_an_image_is_kept_as_evidence(self, uow: UnitOfWork, env: Env, tmp_path: Path) -> None:
        env.blobs = FilesystemBlobs(tmp_path / "blobs")
        person = listed(uow, env)
        made = submit_appeal(
            uow,
            env,
            resident_id=person.resident_id,
            policy_id=POLICY,
            record_id=person.record_id,
            reason=REASON,
            upload=io.BytesIO(PNG),
        )
        assert made.evidence_type == "image/png"
        row = uow.appeals.by_id(made.id)
        assert row is not None
        assert row.evidence_key is not None
        assert b"".join(env.blobs.read(row.evidence_key, 0, len(PNG) - 1)) == PNG
        assert row.evidence_key in uow.appeals.evidence_referenced([row.evidence_key, "other"])

    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (b"<html><script>alert(1)</script>", "wrong_type"),
            (b"", "empty"),
            # stop 43, an outside probe: a JPEG's first bytes before a page, and PNG
            # headers claiming 100,000 × 100,000 and 8,000 × 8,000 pixels, were kept
            (b"\xff\xd8\xff\xe0<html><script>alert(1)</script>", "unreadable_image"),
            (png_header(100_000, 100_000), "too_many_pixels"),
            (png_header(8_000, 8_000), "too_many_pixels"),
            (PNG[:-20], "unreadable_image"),  # cut off
        ],
    )
    def test_other_files_are_refused(
        self, uow: UnitOfWork, env: Env, content: bytes, code: str
    ) -> None:
        person = listed(uow, env)
        with pytest.raises(InvalidInput) as refused:
            submit_appeal(
                uow,
                env,
                resident_id=person.resident_id,
                policy_id=POLICY,
                record_id=person.record_id,
                reason=REASON,
                upload=io.BytesIO(content),
            )
        assert (refused.value.errors[0].field, refused.value.errors[0].code) == ("evidence", code)

    def test_a_file_over_the_limit_is_refused(self, uow: UnitOfWork, env: Env) -> None:
        person = listed(uow, env)
        big = PNG + b"\x00" * env.settings.appeal_evidence_max_bytes
        with pytest.raises(InvalidInput) as refused:
            submit_appeal(
                uow,
                env,
                resident_id=person.resident_id,
                policy_id=POLICY,
                record_id=person.record_id,
                reason=REASON,
                upload=io.BytesIO(big),
            )
        assert refused.value.errors[0].code == "too_large"


class TestUpheldButStillRed:
    def test_a_fraud_finding_confirmed_meanwhile_keeps_it_red_and_says_so(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """The record's appeal is upheld after a fraud finding turned the code red for
        another reason: the timeline said "code recoloured" and the notification
        "after your appeal your code is red", as if the appeal had made it red."""
        person = listed(uow, env)
        decider = health_officer(uow, env)
        appeal_id = appeal(uow, env, person.resident_id, person.record_id)
        fraud_finding(uow, env, person.resident_id)

        decided = decide_appeal(uow, env, decider, appeal_id=appeal_id, uphold=True, note=UPHOLD)

        assert colour(uow, env, person.resident_id) is Colour.RED
        assert [(s.step, s.colour) for s in decided.steps][-2:] == [
            ("upheld", None),
            ("unchanged", Colour.RED),
        ]
        assert notified_steps(uow, person.resident_id)[-1] == "unchanged"
        # the finding is what is left to appeal
        [left] = list_disputable(uow, env, resident_id=person.resident_id, policy_id=POLICY)
        assert left.subject == "credit"
