"""Offline scans uploaded later: verified at their own time, recorded once."""

from __future__ import annotations

from datetime import timedelta

from healthcode.domain.clock import FixedClock
from healthcode.domain.temperature import RANGE_MESSAGE
from healthcode.services.accounts.permissions import Principal
from healthcode.services.scanning import uploads
from healthcode.services.scanning.uploads import OfflineScan
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.scanning import display_token, paper_token


def count(uow: UnitOfWork, gate: VenueSummary) -> int:
    return len(uow.scans.of_venue(gate.id, limit=1000))


def said(result: uploads.UploadResult) -> list[tuple[str, str, str, bool]]:
    """Each refusal: (client_id, reason, field, recorded)."""
    return [(r.client_id, r.reason, r.field, r.recorded) for r in result.refused]


def test_a_batch_uploaded_twice_is_recorded_once_each_code_judged_at_its_scan_time(
    uow: UnitOfWork,
    env: Env,
    clock: FixedClock,
    guard: Principal,
    gate: VenueSummary,
    green: t.Account,
) -> None:
    scanned_at = clock.now()
    live = display_token(uow, env, green.resident_id)
    paper = paper_token(uow, env, green.resident_id)
    clock.advance(timedelta(hours=3))  # the network is back: the display token is old now
    batch = [
        OfflineScan("s-1", live, scanned_at, 36.4),
        OfflineScan("s-2", paper, scanned_at + timedelta(minutes=1)),
        OfflineScan("s-3", live, scanned_at + timedelta(minutes=5)),  # a screenshot
        OfflineScan("s-4", "not a code", scanned_at),
        OfflineScan("s-5", live, clock.now() + timedelta(hours=1)),  # a wrong clock
        OfflineScan("s-1", live, scanned_at),  # one client id on a second item
    ]
    first = uploads.upload_scans(uow, env, guard, venue_id=gate.id, scans=batch)
    assert first.accepted == ("s-1", "s-2")
    assert first.duplicates == ()  # it was a duplicate as well as accepted, until stop 43
    assert said(first) == [
        ("s-3", "expired", "token", True),
        ("s-4", "bad_prefix", "token", True),
        ("s-5", "future", "scanned_at", False),
        ("s-1", "duplicate_in_batch", "client_id", False),
    ]
    assert [refusal.item for refusal in first.refused] == [2, 3, 4, 5]
    assert count(uow, gate) == 4
    second = uploads.upload_scans(uow, env, guard, venue_id=gate.id, scans=batch)
    assert second.accepted == ()
    assert set(second.duplicates) == {"s-1", "s-2", "s-3", "s-4"}
    assert count(uow, gate) == 4
    row = uow.scans.by_client_id(gate.id, "s-1")
    assert row is not None
    assert (row.lane, row.scanned_at, row.released_at, row.temperature) == (
        "offline_upload",
        scanned_at,
        scanned_at,
        36.4,
    )


def test_a_paper_pass_revoked_after_the_scan_was_valid_when_scanned(
    uow: UnitOfWork,
    env: Env,
    clock: FixedClock,
    guard: Principal,
    gate: VenueSummary,
    green: t.Account,
) -> None:
    token_id = bytes(range(16))
    paper = paper_token(uow, env, green.resident_id, token_id=token_id)
    scanned_at = clock.now()
    clock.advance(timedelta(hours=1))
    uow.add(t.Revocation(token_id=token_id, revoked_at=clock.now(), reason="lost"))
    uow.flush()
    before = OfflineScan("p-1", paper, scanned_at)
    after = OfflineScan("p-2", paper, clock.now() + timedelta(minutes=1))
    result = uploads.upload_scans(uow, env, guard, venue_id=gate.id, scans=[before, after])
    assert result.accepted == ("p-1",)
    assert said(result) == [("p-2", "revoked", "token", True)]


def test_a_card_the_scanner_found_another_persons_is_recorded_refused_and_never_valid(
    uow: UnitOfWork,
    env: Env,
    clock: FixedClock,
    guard: Principal,
    gate: VenueSummary,
    green: t.Account,
) -> None:
    paper = paper_token(uow, env, green.resident_id)
    result = uploads.upload_scans(
        uow,
        env,
        guard,
        venue_id=gate.id,
        scans=[
            OfflineScan("c-1", paper, clock.now(), wrong_person=True),
            OfflineScan("c-2", "not a code", clock.now(), wrong_person=True),
        ],
    )
    assert said(result) == [
        ("c-1", "wrong_person", "wrong_person", True),
        ("c-2", "bad_prefix", "token", True),
    ]
    row = uow.scans.by_client_id(gate.id, "c-1")
    assert row is not None
    assert (row.verdict, row.released_at) == ("wrong_person", None)


def test_a_reading_taken_offline_is_recorded_and_a_fever_is_not_released(
    uow: UnitOfWork,
    env: Env,
    clock: FixedClock,
    guard: Principal,
    gate: VenueSummary,
    green: t.Account,
) -> None:
    """The offline scanner's temperature: a normal reading releases the valid green
    code with it; at or above the policy's fever line (37.3 ℃) it is recorded as
    ``fever`` and not released; a reading no body has is not recorded at all."""
    paper = paper_token(uow, env, green.resident_id)
    at = clock.now()
    result = uploads.upload_scans(
        uow,
        env,
        guard,
        venue_id=gate.id,
        scans=[
            OfflineScan("t-1", paper, at, 36.6),
            OfflineScan("t-2", paper, at + timedelta(minutes=1), 37.3),
            OfflineScan("t-3", paper, at + timedelta(minutes=2), 37.2),
            OfflineScan("t-4", paper, at + timedelta(minutes=3), 51.0),
            OfflineScan("t-5", paper, at + timedelta(minutes=4), 33.9),
        ],
    )
    assert result.accepted == ("t-1", "t-3")
    assert said(result) == [
        ("t-2", "fever", "temperature", True),
        ("t-4", "range", "temperature", False),
        ("t-5", "range", "temperature", False),
    ]
    # the words of the rule every entry point shares (domain/temperature.py)
    out = result.refused[1]
    assert (out.message, out.params) == (RANGE_MESSAGE, {"low": 34.0, "high": 43.0})
    rows = {c: uow.scans.by_client_id(gate.id, c) for c in ("t-1", "t-2", "t-3", "t-4")}
    assert rows["t-4"] is None
    summary = {c: (r.verdict, r.released_at, r.temperature) for c, r in rows.items() if r}
    assert summary == {
        "t-1": (None, at, 36.6),
        "t-2": ("fever", None, 37.3),
        "t-3": (None, at + timedelta(minutes=2), 37.2),
    }
