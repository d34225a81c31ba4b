"""Scan and release over HTTP: a QR image read by a real decoder, every refusal
reason in the answer, offline uploads, the ID-card lane and its limit, details."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.tokens import KeyRing, Purpose, issue_token, new_claims
from healthcode.domain.tokens.attestation import compressed_point, present
from healthcode.domain.tokens.codec import decode_text, encode_text
from healthcode.services.codes.device_codes import attest
from healthcode.store import tables as t
from tests.api.helpers import error
from tests.api.scanning.conftest import API, ID_LOOKUPS, Site, in_session, new_guard, new_venue
from tests.factories.qr import decode
from tests.factories.scanning import twin_id


def qr_text(client: TestClient, site: Site) -> str:
    image = client.get(f"{API}/codes/binzhou-code/qr.png", headers=site.resident)
    assert image.status_code == 200, image.text
    return str(decode(image.content).text)


def test_a_code_read_from_its_qr_image_is_scanned_and_released_with_the_temperature(
    client: TestClient, site: Site
) -> None:
    answer = client.post(site.scans(), json={"token": qr_text(client, site)}, headers=site.guard)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["decision"], body["colour"], body["valid"], body["releasable"]) == (
        "release",
        "green",
        True,
        True,
    )
    assert body["masked_name"] == "张*"
    assert body["colour_label"] == "绿码"
    # a Binzhou code (seed 003): released after the health check, the reading optional
    assert (body["headline"], body["action"]) == (
        "健康检查后放行",
        "进行健康检查后，点击确认放行。",
    )
    released = client.post(
        f"{API}/scans/{body['scan_id']}/release", json={"temperature": 36.5}, headers=site.guard
    )
    assert released.status_code == 200, released.text
    again = client.get(f"{API}/scans/{body['scan_id']}", headers=site.guard).json()
    assert (again["temperature"], again["released_at"] is not None, again["releasable"]) == (
        36.5,
        True,
        False,
    )


def test_a_green_shandong_pass_is_released_directly(
    app: FastAPI, client: TestClient, sessions: sessionmaker[Session], site: Site
) -> None:
    """Seed 000: 管理人员对出示"绿色健康通行卡"的出行人直接放行 — no check named."""
    paper = _paper(app, sessions, start=timedelta(0), days=5)
    body = client.post(site.scans(), json={"token": paper}, headers=site.guard).json()
    assert (body["decision"], body["headline"]) == ("release", "放行")
    assert body["action"] == "直接放行。根据当地疫情防控需要，可查看其详细信息。"
    english = client.get(f"{API}/scans/{body['scan_id']}?lang=en", headers=site.guard).json()
    assert (english["headline"], english["action"]) == (
        "Release",
        "Release directly. Where local epidemic control needs it, view the holder's details.",
    )
    released = client.post(f"{API}/scans/{body['scan_id']}/release", json={}, headers=site.guard)
    assert released.json()["released_at"] is not None  # no temperature needed


def test_a_fever_is_not_released(client: TestClient, site: Site) -> None:
    scan = client.post(site.scans(), json={"token": qr_text(client, site)}, headers=site.guard)
    answer = client.post(
        f"{API}/scans/{scan.json()['scan_id']}/release",
        json={"temperature": 37.8},
        headers=site.guard,
    ).json()
    assert (answer["reason"], answer["released_at"], answer["decision"]) == (
        "fever",
        None,
        "refused",
    )
    assert "发热门诊" in answer["action"]  # the policy's words for a fever


def test_a_scan_without_token_or_id_number_names_the_field(client: TestClient, site: Site) -> None:
    answer = client.post(site.scans(), json={}, headers=site.guard)
    assert answer.status_code == 422
    assert error(answer)["fields"][0]["field"] == "token"


# --- every refusal reason reaches the answer --------------------------------------


def _tampered(text: str) -> str:
    raw = bytearray(decode_text(text))
    raw[-5] ^= 0x01  # inside the signature
    return encode_text(bytes(raw))


def _paper(
    app: FastAPI,
    sessions: sessionmaker[Session],
    *,
    start: timedelta,
    days: float,
    revoke: bool = False,
    foreign: bool = False,
) -> str:
    for uow, env in in_session(app, sessions):
        resident = uow.session.query(t.Resident).first()
        assert resident is not None
        now = env.clock.now() + start
        policy = env.policies["shandong-pass"]
        claims = new_claims(
            Purpose.PAPER, now=now, issuer=env.settings.issuer, colour=Colour.GREEN,
            policy=policy.id, policy_version=policy.version, resident_ref=resident.ref,
            masked_name=resident.name_masked, masked_id=resident.id_masked,
            pass_valid_until=now + timedelta(days=days),
        )  # fmt: skip
        signer = (
            KeyRing.new(now).signer(now) if foreign else env.keys.signer(uow, env.protector, now)
        )
        if revoke:
            uow.add(t.Revocation(token_id=claims.token_id, revoked_at=now, reason="lost"))
        token = issue_token(claims, signer)
    return token


def _device(
    app: FastAPI, sessions: sessionmaker[Session], *, ago: int, stranger: bool = False
) -> str:
    device = ec.generate_private_key(ec.SECP256R1())
    for uow, env in in_session(app, sessions):
        resident = uow.session.query(t.Resident).first()
        assert resident is not None
        made = attest(
            uow, env, resident_id=resident.id, policy_id="binzhou-code",
            device_key=compressed_point(device.public_key()),
        )  # fmt: skip
        signer = ec.generate_private_key(ec.SECP256R1()) if stranger else device
        at = int(env.clock.now().timestamp()) - ago
        token = present(made.attestation, at, signer)
    return token


REASONS = [
    "bad_prefix",
    "bad_encoding",
    "unknown_key",
    "bad_signature",
    "not_yet_valid",
    "pass_lapsed",
    "expired",
    "revoked",
    "presentation_stale",
    "device_signature_bad",
    "wrong_person",
    "unknown_person",
    "gate_mode",
]


@pytest.mark.parametrize("reason", REASONS)
def test_every_refusal_reason_reaches_the_answer(
    app: FastAPI,
    client: TestClient,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    site: Site,
    community: uuid.UUID,
    reason: str,
) -> None:
    body: dict[str, object]
    scans = site.scans()
    guard = site.guard
    if reason == "bad_prefix":
        body = {"token": "HC1:not ours"}
    elif reason == "bad_encoding":
        body = {"token": "CNHC1:%%%%"}
    elif reason == "unknown_key":
        body = {"token": _paper(app, sessions, start=timedelta(0), days=5, foreign=True)}
    elif reason == "bad_signature":
        body = {"token": _tampered(qr_text(client, site))}
    elif reason == "not_yet_valid":
        body = {"token": _paper(app, sessions, start=timedelta(hours=1), days=5)}
    elif reason == "pass_lapsed":
        body = {"token": _paper(app, sessions, start=timedelta(0), days=1 / 24)}
        clock.advance(timedelta(hours=2))  # the pass ended an hour ago
    elif reason == "expired":
        token = qr_text(client, site)
        clock.advance(timedelta(minutes=2))
        body = {"token": token}
    elif reason == "revoked":
        body = {"token": _paper(app, sessions, start=timedelta(0), days=5, revoke=True)}
    elif reason == "presentation_stale":
        body = {"token": _device(app, sessions, ago=300)}
    elif reason == "device_signature_bad":
        body = {"token": _device(app, sessions, ago=0, stranger=True)}
    elif reason == "wrong_person":
        body = {"token": qr_text(client, site), "id_number": twin_id(site.resident_id_number)}
    elif reason == "unknown_person":
        body = {"id_number": twin_id(site.resident_id_number)}
    else:  # gate_mode: a yellow code at an employer's gate
        gate = new_venue(client, site.admin, community, kind="employer_gate", gate_mode=True)
        guard = new_guard(client, site.admin, gate, "gate.guard2")
        scans = f"{API}/venues/{gate}/scans"
        reported = client.post(
            f"{API}/codes/binzhou-code/reports", json={"temperature": 38.4}, headers=site.resident
        )
        assert reported.status_code in (200, 201), reported.text
        body = {"token": qr_text(client, site)}
    answer = client.post(scans, json=body, headers=guard)
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert (shown["reason"], shown["decision"], shown["valid"]) == (reason, "refused", False)
    assert shown["message"]
    assert not shown["message"].isascii()  # in Chinese, in words
    if reason == "gate_mode":  # a genuine yellow code: the policy's next step still shows
        assert "隔离观察14天" in shown["action"]
    else:  # a code refused as such says nothing reliable: the generic words
        assert shown["action"] == "不予放行。请对方出示有效的码，或核验身份证。"


def test_the_public_verifier_refuses_a_green_code_whose_colour_has_worsened(
    client: TestClient, site: Site
) -> None:
    """Stop 44, an outside probe: ``/verify`` said "may pass" where a gate's scan of the
    same text refused it (``colour_changed``)."""
    token = qr_text(client, site)
    assert client.post(f"{API}/verify", json={"token": token}).json()["may_pass"] is True
    reported = client.post(
        f"{API}/codes/binzhou-code/reports", json={"temperature": 38.4}, headers=site.resident
    )
    assert reported.status_code in (200, 201), reported.text
    shown = client.post(f"{API}/verify", json={"token": token}).json()
    assert (shown["valid"], shown["may_pass"], shown["reason"]) == (False, False, "colour_changed")
    assert "刷新" in shown["message"]


# --- flags, not the holder, scope ---------------------------------------------------


def test_the_same_token_at_two_venues_is_flagged_and_not_the_holder_opens_a_case(
    client: TestClient, site: Site, community: uuid.UUID
) -> None:
    token = qr_text(client, site)
    assert (
        client.post(site.scans(), json={"token": token}, headers=site.guard).json()["flags"] == []
    )
    west = new_venue(
        client, site.admin, community, name="西门卡口", latitude=37.3840, longitude=117.9710
    )
    guard2 = new_guard(client, site.admin, west, "gate.guard3")
    second = client.post(f"{API}/venues/{west}/scans", json={"token": token}, headers=guard2).json()
    assert [f["code"] for f in second["flags"]] == ["same_token_elsewhere"]
    assert "东门卡口" in second["flags"][0]["text"]
    case = client.post(f"{API}/scans/{second['scan_id']}/not-the-holder", headers=guard2)
    assert case.status_code == 201, case.text
    assert (case.json()["status"], case.json()["new"]) == ("open", True)
    # the guard of the first venue finds neither the second venue's scans nor its venue
    assert client.get(f"{API}/scans/{second['scan_id']}", headers=site.guard).status_code == 404
    assert (
        client.post(
            f"{API}/venues/{west}/scans", json={"token": token}, headers=site.guard
        ).status_code
        == 404
    )


def test_details_beyond_the_minimum_only_for_those_allowed_and_logged(
    app: FastAPI, client: TestClient, sessions: sessionmaker[Session], site: Site
) -> None:
    scan = client.post(
        site.scans(), json={"token": qr_text(client, site)}, headers=site.guard
    ).json()
    url = f"{API}/scans/{scan['scan_id']}/details"
    assert client.get(url, headers=site.guard).status_code == 403
    shown = client.get(url, headers=site.admin)
    assert shown.status_code == 200, shown.text
    assert (shown.json()["name"], shown.json()["id_number"]) == ("张三", site.resident_id_number)
    for uow, _env in in_session(app, sessions):
        actions = [e.action for e in uow.session.query(t.AuditEvent).all()]
        assert "resident.details.scan" in actions


# --- the ID-card lane ---------------------------------------------------------------


def test_the_id_card_lane_passes_the_holder_looks_up_without_a_code_and_limits_per_operator(
    client: TestClient, site: Site
) -> None:
    number = site.resident_id_number
    with_code = client.post(
        site.scans(), json={"token": qr_text(client, site), "id_number": number}, headers=site.guard
    ).json()
    assert (with_code["decision"], with_code["lane"]) == ("release", "id_card")
    alone = client.post(site.scans(), json={"id_number": number}, headers=site.guard).json()
    assert (alone["decision"], alone["colour"], alone["masked_name"]) == ("release", "green", "张*")
    for _ in range(ID_LOOKUPS - 2):
        assert (
            client.post(site.scans(), json={"id_number": number}, headers=site.guard).status_code
            == 200
        )
    limited = client.post(site.scans(), json={"id_number": number}, headers=site.guard)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    # camera scans are not counted against the ID look-up limit
    camera = client.post(site.scans(), json={"token": qr_text(client, site)}, headers=site.guard)
    assert camera.status_code == 200


# --- offline upload -------------------------------------------------------------------


def test_an_offline_batch_uploaded_twice_is_recorded_once(
    client: TestClient, clock: FixedClock, site: Site
) -> None:
    token = qr_text(client, site)
    at = clock.now()
    clock.advance(timedelta(hours=2))
    batch = {
        "scans": [
            {
                "client_id": "dev7:1",
                "token": token,
                "scanned_at": at.isoformat(),
                "temperature": 36.6,
            },
            {
                "client_id": "dev7:2",
                "token": token,
                "scanned_at": (at + timedelta(minutes=3)).isoformat(),
            },
        ]
    }
    url = f"{site.scans()}/batch"
    first = client.post(url, json=batch, headers=site.guard)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "accepted": ["dev7:1"],
        "duplicates": [],
        "refused": [
            {
                "client_id": "dev7:2",
                "index": 1,
                "reason": "expired",
                "field": "token",
                "message": "此码已过期，请对方刷新后重新出示。",
                "recorded": True,
            }
        ],
    }
    second = client.post(url, json=batch, headers=site.guard).json()
    assert second == {"accepted": [], "duplicates": ["dev7:1", "dev7:2"], "refused": []}


def test_an_item_the_server_does_not_take_is_refused_by_itself_and_the_rest_is_recorded(
    client: TestClient, clock: FixedClock, site: Site
) -> None:
    """A reading no body has (44 ℃ passed the old model but not the service; 46 ℃ made
    the whole batch a 422), a scanner clock an hour ahead, a token longer than a QR
    code holds and an item without its time: each is refused by itself, naming its
    field, in the guard's language, and not recorded; the good scan is recorded."""
    token, at = qr_text(client, site), clock.now()
    items = [
        {"client_id": "ok", "token": token, "scanned_at": at.isoformat(), "temperature": 36.5},
        {"client_id": "hot", "token": token, "scanned_at": at.isoformat(), "temperature": 44.0},
        {"client_id": "hotter", "token": token, "scanned_at": at.isoformat(), "temperature": 46},
        {"client_id": "cold", "token": token, "scanned_at": at.isoformat(), "temperature": 29.5},
        {"client_id": "ahead", "token": token, "scanned_at": (at + timedelta(hours=1)).isoformat()},
        {"client_id": "long", "token": "CNHC1:" + "A" * 5000, "scanned_at": at.isoformat()},
        {"client_id": "no-time", "token": token},
    ]
    answer = client.post(f"{site.scans()}/batch", json={"scans": items}, headers=site.guard)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accepted"] == ["ok"]
    refused = {r["client_id"]: r for r in body["refused"]}
    said = {c: (r["index"], r["field"], r["reason"], r["recorded"]) for c, r in refused.items()}
    assert said == {
        "hot": (1, "temperature", "range", False),
        "hotter": (2, "temperature", "range", False),
        "cold": (3, "temperature", "range", False),
        "ahead": (4, "scanned_at", "future", False),
        "long": (5, "token", "string_too_long", False),
        "no-time": (6, "scanned_at", "missing", False),
    }
    range_words = "体温应在 34.0 至 43.0 ℃ 之间"
    assert {refused[c]["message"] for c in ("hot", "hotter", "cold")} == {range_words}
    assert refused["ahead"]["message"] == "扫码时间晚于当前时间：请检查扫码设备的时钟"
    again = client.post(f"{site.scans()}/batch", json={"scans": items}, headers=site.guard)
    assert again.json()["duplicates"] == ["ok"]  # only it was recorded
    assert len(again.json()["refused"]) == 6


def test_an_upload_names_a_refusal_as_a_scan_sent_at_once_names_it(
    client: TestClient, clock: FixedClock, site: Site
) -> None:
    """One check, one code: an offline scanner's batch said ``scanned_in_future`` and
    ``temperature_out_of_range`` where a scan sent at once (or its release) said
    ``future`` and ``range``, and ``invalid_input`` where that named the field's code
    (``string_too_long``): a client had to know two names for each refusal."""
    token, at = qr_text(client, site), clock.now()
    ahead, old = at + timedelta(hours=1), at - timedelta(days=8)
    long_token = "CNHC1:" + "A" * 5000
    sent_at_once: dict[str, dict[str, object]] = {
        "ahead": {"token": token, "scanned_at": ahead.isoformat()},
        "old": {"token": token, "scanned_at": old.isoformat()},
        "long": {"token": long_token},
        "number": {"token": token, "scanned_at": int(at.timestamp())},
    }
    codes: dict[str, str] = {}
    for name, body in sent_at_once.items():
        answer = client.post(site.scans(), json=body, headers=site.guard)
        assert answer.status_code == 422, (name, answer.text)
        codes[name] = error(answer)["fields"][0]["code"]
    scan = client.post(site.scans(), json={"token": token}, headers=site.guard).json()
    release = client.post(
        f"{API}/scans/{scan['scan_id']}/release", json={"temperature": 44.0}, headers=site.guard
    )
    codes["hot"] = error(release)["fields"][0]["code"]
    assert codes == {
        "ahead": "future",
        "old": "too_old",
        "long": "string_too_long",
        "number": "datetime_type",
        "hot": "range",
    }
    items: list[dict[str, object]] = [
        {"client_id": n, "scanned_at": at.isoformat(), **b} for n, b in sent_at_once.items()
    ]
    items.append(
        {"client_id": "hot", "token": token, "scanned_at": at.isoformat(), "temperature": 44.0}
    )
    batch = client.post(f"{site.scans()}/batch", json={"scans": items}, headers=site.guard)
    assert batch.status_code == 200, batch.text
    assert {r["client_id"]: r["reason"] for r in batch.json()["refused"]} == codes


def test_a_release_reading_out_of_range_is_refused_in_the_same_words_on_every_side(
    client: TestClient, site: Site
) -> None:
    """Below and above the range, the release says the domain's one rule (it said
    "at most 45" for 46 ℃ and the range only for 44 ℃)."""
    scan = client.post(site.scans(), json={"token": qr_text(client, site)}, headers=site.guard)
    url = f"{API}/scans/{scan.json()['scan_id']}/release"
    for reading in (29.0, 44.0, 46.0):
        answer = client.post(url, json={"temperature": reading}, headers=site.guard)
        assert answer.status_code == 422, reading
        field = error(answer)["fields"][0]
        assert (field["field"], field["code"], field["message"]) == (
            "temperature",
            "range",
            "体温应在 34.0 至 43.0 ℃ 之间",
        ), reading


def test_a_guard_lists_only_its_venue_and_another_guard_finds_none_of_it(
    client: TestClient, site: Site, community: uuid.UUID
) -> None:
    other = new_venue(client, site.admin, community, name="西门卡口")
    stranger = new_guard(client, site.admin, other, "gate.guard4")
    listed = client.get(f"{API}/venues", headers=site.guard)
    assert [v["id"] for v in listed.json()] == [site.venue_id]
    assert client.get(f"{API}/venues/{site.venue_id}", headers=stranger).status_code == 404
    assert (
        client.get(f"{API}/venues/{site.venue_id}/operators", headers=site.guard).status_code == 403
    )
    names = [
        o["username"]
        for o in client.get(f"{API}/venues/{site.venue_id}/operators", headers=site.admin).json()
    ]
    assert names == ["gate.guard1"]
    resident = client.get(f"{API}/venues", headers=site.resident)
    assert resident.status_code == 403


def test_a_scan_time_sent_as_a_number_is_not_a_time_not_too_old(
    client: TestClient, clock: FixedClock, site: Site
) -> None:
    """JSON's number (or a string of digits) was read as seconds since 1970: the guard
    was told the scan was too old, or it was recorded at another time than meant. A
    time is an ISO 8601 text with its offset, and anything else says so."""
    token, at = qr_text(client, site), clock.now()
    not_a_time = "不是有效的时间，请写成 2020-02-23T18:00:00+08:00"
    for sent, code in (
        (int(at.timestamp()), "datetime_type"),  # now, as epoch seconds
        (at.timestamp() * 1000, "datetime_type"),  # as JavaScript's milliseconds
        (str(int(at.timestamp())), "datetime_parsing"),
    ):
        answer = client.post(
            site.scans(), json={"token": token, "scanned_at": sent}, headers=site.guard
        )
        assert answer.status_code == 422, answer.text
        [field] = error(answer)["fields"]
        assert (field["field"], field["code"], field["message"]) == ("scanned_at", code, not_a_time)
    naive = client.post(
        site.scans(),
        json={"token": token, "scanned_at": at.replace(tzinfo=None).isoformat()},
        headers=site.guard,
    )
    assert error(naive)["fields"][0]["code"] == "timezone_aware"
    item = {"client_id": "n1", "token": token, "scanned_at": int(at.timestamp())}
    batch = client.post(f"{site.scans()}/batch", json={"scans": [item]}, headers=site.guard)
    [refused] = batch.json()["refused"]
    assert (refused["field"], refused["message"], refused["recorded"]) == (
        "scanned_at",
        not_a_time,
        False,
    )
    taken = client.post(
        site.scans(), json={"token": token, "scanned_at": at.isoformat()}, headers=site.guard
    )
    assert taken.status_code == 200, taken.text


def test_each_item_refused_names_its_own_place_and_a_client_id_is_taken_once_a_batch(
    app: FastAPI,
    client: TestClient,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    site: Site,
) -> None:
    """Two refusals of one client_id both named the first one's place; and a
    client_id on two different items was listed as accepted and as a duplicate, the
    second scan silently not recorded. The first item of a client_id is the one
    judged; a later one is refused by its own place, not recorded."""
    token, at = qr_text(client, site), clock.now()
    ahead = (at + timedelta(hours=1)).isoformat()
    items = [
        {"client_id": "x", "token": token, "scanned_at": ahead},
        {"client_id": "ok", "token": token, "scanned_at": at.isoformat()},
        {"client_id": "x", "token": token, "scanned_at": ahead},
        {"client_id": "ok", "token": token, "scanned_at": at.isoformat(), "temperature": 36.8},
    ]
    answer = client.post(f"{site.scans()}/batch", json={"scans": items}, headers=site.guard)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["duplicates"]) == (["ok"], [])
    said = [(r["client_id"], r["index"], r["reason"], r["field"], r["recorded"])
            for r in body["refused"]]  # fmt: skip
    assert said == [
        ("x", 0, "future", "scanned_at", False),
        ("x", 2, "duplicate_in_batch", "client_id", False),
        ("ok", 3, "duplicate_in_batch", "client_id", False),
    ]
    assert body["refused"][1]["message"] == "本批次中前面已有条目使用此 client_id：只采用前一条"
    for uow, _env in in_session(app, sessions):
        row = uow.scans.by_client_id(uuid.UUID(site.venue_id), "ok")
        assert row is not None
        assert row.temperature is None


def test_a_reading_sent_as_true_is_not_a_number_not_one_degree(
    client: TestClient, clock: FixedClock, site: Site
) -> None:
    """JSON's true was read as 1.0 ℃ and refused as out of range ("34.0–43.0 ℃"): a
    boolean is not a number, in a batch as at the release (as a daily report says)."""
    token, at = qr_text(client, site), clock.now()
    item = {"client_id": "t", "token": token, "scanned_at": at.isoformat(), "temperature": True}
    batch = client.post(f"{site.scans()}/batch", json={"scans": [item]}, headers=site.guard)
    assert batch.status_code == 200, batch.text
    [refused] = batch.json()["refused"]
    assert (refused["field"], refused["reason"], refused["recorded"]) == (
        "temperature",
        "float_type",
        False,
    )
    scan = client.post(site.scans(), json={"token": token}, headers=site.guard).json()
    url = f"{API}/scans/{scan['scan_id']}/release"
    released = client.post(url, json={"temperature": True}, headers=site.guard)
    assert released.status_code == 422, released.text
    assert (error(released)["fields"][0]["field"], error(released)["fields"][0]["code"]) == (
        "temperature",
        "float_type",
    )


def test_an_upload_not_sent_as_json_is_told_to_send_json(client: TestClient, site: Site) -> None:
    """The batch takes JSON (a larger body than most), not a form with a file: its 415
    said "send the request as a form with its file"."""
    sent = client.post(
        f"{site.scans()}/batch",
        content=b"scans=1",
        headers={**site.guard, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (sent.status_code, error(sent)["code"]) == (415, "unsupported_media_type")
    assert error(sent)["message"] == "请以 JSON 格式发送请求内容（Content-Type: application/json）"
    form = client.post(
        f"{site.scans()}/batch",
        files={"file": ("scans.json", b"{}")},
        headers=site.guard,
    )
    assert form.status_code == 415, form.text
