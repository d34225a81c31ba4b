"""Other regions' codes at a venue, over HTTP (issue 12 items 4-5, docs/federation.md):
scanned online and uploaded from an offline scanner, verified with the region's own
entry, recorded with its region and colour, shown with the claims as it sent them;
each refusal with its own reason; the same token at two venues flagged."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.services.shared.lists import ensure_list_key, federate_region
from healthcode.store import tables as t
from tests.api.scanning.conftest import API, Site, in_session, new_guard, new_venue
from tests.api.scanning.test_scan_api import qr_text
from tests.domain.tokens import foreign_factory as ff
from tests.domain.tokens.foreign_factory import ForeignIssuer

NOT_READ = "禁止通行。此地区的码未标明可识别的颜色，请按该地区的规定办理。"


@dataclasses.dataclass
class Regions:
    hubei: ForeignIssuer  # P-256 certificate, colour at -260/1/c
    guangdong: ForeignIssuer  # RSA-PSS certificate, no colour rule
    zhejiang: ForeignIssuer  # Ed25519 key, alg -19, no colour rule
    now: datetime


@pytest.fixture
def regions(app: FastAPI, sessions: sessionmaker[Session], clock: FixedClock) -> Regions:
    now = clock.now()
    made = Regions(
        ff.p256_issuer("420000", "CNHB1:", now - timedelta(days=1)),
        ff.rsa_pss_issuer("440000", "CNGD1:", now - timedelta(days=1)),
        ff.ed25519_issuer("330000", "CNZJ1:", now - timedelta(days=1)),
        now,
    )
    entries = [(ff.HUBEI, made.hubei), (ff.GUANGDONG, made.guangdong), (ff.ZHEJIANG, made.zhejiang)]
    for uow, env in in_session(app, sessions):
        ensure_list_key(uow, env.protector, now=now)
        for region, issuer in entries:
            document = {"region": region, "keys": [issuer.entry]}
            federate_region(uow, env.protector, env.settings, document=document, now=now)
    return made


def scan(client: TestClient, site: Site, token: str) -> dict[str, Any]:
    answer = client.post(site.scans(), json={"token": token}, headers=site.guard)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def recorded(app: FastAPI, sessions: sessionmaker[Session], scan_id: str) -> t.Scan:
    found: list[t.Scan] = []
    for uow, _env in in_session(app, sessions):
        row = uow.scans.by_id(uuid.UUID(scan_id))
        assert row is not None
        uow.session.expunge(row)
        found.append(row)
    return found[0]


def test_a_hubei_code_is_read_with_its_colour_and_its_claims_as_sent(
    app: FastAPI, client: TestClient, sessions: sessionmaker[Session], site: Site, regions: Regions
) -> None:
    claims = ff.foreign_claims(regions.now - timedelta(minutes=5), colour=1)
    shown = scan(client, site, regions.hubei.sign(claims))
    assert (shown["decision"], shown["valid"], shown["reason"]) == ("stop", True, None)
    assert (shown["colour"], shown["colour_label"]) == ("yellow", "黄码")
    assert shown["masked_name"] is None  # we translate nothing: the name is in its claims
    region = shown["region"]
    assert (region["code"], region["name"], region["label"]) == (
        "420000",
        "湖北省",
        "湖北省的健康码",
    )
    assert region["claims"]["-260"] == {"1": {"c": 1, "n": "李*", "t": "健康码"}}
    assert region["claims"]["7"] == "h'" + "01" * 16 + "'"
    assert region["claims"]["1"] == "CN-42"
    # read back: the record keeps the region, its colour and its claims
    again = client.get(f"{API}/scans/{shown['scan_id']}", headers=site.guard).json()
    assert again["region"] == region
    assert (again["decision"], again["colour"]) == ("stop", "yellow")
    row = recorded(app, sessions, shown["scan_id"])
    assert (row.region_code, row.region_name, row.colour, row.verdict) == (
        "420000",
        "湖北省",
        "yellow",
        None,
    )
    assert (row.resident_id, row.policy_id) == (None, None)


def test_a_long_code_an_offline_scanner_reads_is_read_online_too(
    client: TestClient, site: Site, regions: Regions
) -> None:
    """A 2,400-character code (a region with a larger claim set) was a 422 online
    ("at most 2000 characters") while the offline verifiers took it."""
    claims = ff.foreign_claims(regions.now - timedelta(minutes=5), colour=0)
    claims[-260][1]["x"] = secrets.token_bytes(1_400)  # random: it does not compress
    token = regions.hubei.sign(claims)
    assert 2_000 < len(token) <= 4_296
    assert scan(client, site, token)["decision"] == "release"
    verdict = client.post(f"{API}/verify", json={"token": token}).json()
    assert (verdict["valid"], verdict["region"]["code"]) == (True, "420000")


def test_a_running_server_reads_a_regions_new_keys_as_soon_as_they_are_imported(
    app: FastAPI, client: TestClient, sessions: sessionmaker[Session], site: Site, regions: Regions
) -> None:
    claims = ff.foreign_claims(regions.now - timedelta(minutes=5), colour=0)
    old = regions.hubei.sign(claims)
    assert scan(client, site, old)["decision"] == "release"  # its keys parsed and kept
    rotated = ff.p256_issuer("420000", "CNHB1:", regions.now - timedelta(days=1))
    for uow, env in in_session(app, sessions):
        document = {"region": ff.HUBEI, "keys": [rotated.entry]}
        federate_region(uow, env.protector, env.settings, document=document, now=regions.now)
    assert scan(client, site, old)["reason"] == "unknown_key"
    assert scan(client, site, rotated.sign(claims))["decision"] == "release"


def test_a_green_foreign_code_is_released_and_a_gate_refuses_a_yellow_one(
    client: TestClient, site: Site, community: uuid.UUID, regions: Regions
) -> None:
    green = scan(client, site, regions.hubei.sign(ff.foreign_claims(regions.now, colour=0)))
    assert (green["decision"], green["colour"], green["releasable"]) == ("release", "green", True)
    assert "测温" in green["action"]
    released = client.post(
        f"{API}/scans/{green['scan_id']}/release", json={"temperature": 36.4}, headers=site.guard
    )
    assert released.status_code == 200, released.text
    assert released.json()["released_at"] is not None
    fever = scan(client, site, regions.hubei.sign(ff.foreign_claims(regions.now, colour=0)))
    hot = client.post(
        f"{API}/scans/{fever['scan_id']}/release", json={"temperature": 38.0}, headers=site.guard
    ).json()
    assert (hot["reason"], hot["released_at"]) == ("fever", None)  # 37.3 ℃: no policy of ours

    gate = new_venue(client, site.admin, community, kind="employer_gate", gate_mode=True)
    guard = new_guard(client, site.admin, gate, "gate.guard.f1")
    yellow = regions.hubei.sign(ff.foreign_claims(regions.now, colour=1))
    refused = client.post(f"{API}/venues/{gate}/scans", json={"token": yellow}, headers=guard)
    body = refused.json()
    assert (body["decision"], body["reason"], body["colour"]) == ("refused", "gate_mode", "yellow")
    assert body["region"]["code"] == "420000"


def test_a_green_foreign_code_reads_as_another_regions_code_not_as_one_of_ours(
    client: TestClient, site: Site, regions: Regions
) -> None:
    """Its headline was the generic "测温后放行", in the place and size where our codes
    show their policy's release words (seed 000 放行, seed 003 健康检查后放行): the guard
    read a rule of ours. No policy of ours speaks for another region's code; the
    headline says what it is, with the step the action names."""
    green = scan(client, site, regions.hubei.sign(ff.foreign_claims(regions.now, colour=0)))
    assert (green["headline"], green["action"]) == ("外地健康码：测温后放行", "测温正常后放行。")
    assert green["region"]["label"] == "湖北省的健康码"
    english = client.get(f"{API}/scans/{green['scan_id']}?lang=en", headers=site.guard).json()
    assert english["headline"] == "Another region's code: release after the temperature check"
    ours = scan(client, site, qr_text(client, site))
    assert ours["headline"] == "健康检查后放行"  # binzhou-code's own words (seed 003)


@pytest.mark.parametrize("region", ["guangdong", "zhejiang"])
def test_a_code_whose_colour_its_region_does_not_tell_is_stopped_not_passed(
    client: TestClient, site: Site, regions: Regions, region: str
) -> None:
    issuer: ForeignIssuer = getattr(regions, region)
    shown = scan(client, site, issuer.sign(ff.foreign_claims(regions.now)))
    assert (shown["decision"], shown["valid"], shown["colour"], shown["releasable"]) == (
        "stop",
        True,
        None,
        False,
    )
    assert shown["action"] == NOT_READ
    assert shown["region"]["claims"]["-260"]["1"]["n"] == "李*"
    released = client.post(f"{API}/scans/{shown['scan_id']}/release", json={}, headers=site.guard)
    assert released.status_code == 409


def _refused_token(regions: Regions, reason: str) -> str:
    hubei, now = regions.hubei, regions.now
    if reason == "key_retired":  # signed before its certificate's validity window
        return hubei.sign(ff.foreign_claims(now - timedelta(days=2), minutes=3 * 24 * 60))
    if reason == "unknown_key":
        stranger = ff.p256_issuer("420000", "CNHB1:", now - timedelta(days=1))
        return stranger.sign(ff.foreign_claims(now))
    if reason == "bad_signature":  # another key, claiming Hubei's kid
        forger = ff.p256_issuer("420000", "CNHB1:", now - timedelta(days=1))
        return dataclasses.replace(forger, kid=hubei.kid).sign(ff.foreign_claims(now))
    if reason == "not_yet_valid":
        return hubei.sign({**ff.foreign_claims(now), 5: int(now.timestamp()) + 3600})
    assert reason == "expired"
    return hubei.sign(ff.foreign_claims(now - timedelta(hours=2)))


@pytest.mark.parametrize(
    "reason", ["key_retired", "unknown_key", "bad_signature", "not_yet_valid", "expired"]
)
def test_each_refusal_of_a_foreign_code_has_its_own_reason(
    app: FastAPI,
    client: TestClient,
    sessions: sessionmaker[Session],
    site: Site,
    regions: Regions,
    reason: str,
) -> None:
    shown = scan(client, site, _refused_token(regions, reason))
    assert (shown["reason"], shown["decision"], shown["valid"]) == (reason, "refused", False)
    assert not shown["message"].isascii()
    assert shown["region"]["label"] == "湖北省的健康码"
    genuine = reason in ("key_retired", "not_yet_valid", "expired")  # signature verified
    assert (shown["region"]["claims"] is not None) is genuine
    row = recorded(app, sessions, shown["scan_id"])
    assert (row.region_code, row.verdict) == ("420000", reason)


def test_ours_still_pass_and_an_unknown_regions_code_is_not_a_health_code(
    client: TestClient, site: Site, regions: Regions
) -> None:
    ours = scan(client, site, qr_text(client, site))
    assert (ours["decision"], ours["colour"], ours["region"]) == ("release", "green", None)
    assert ours["masked_name"] == "张*"
    unknown = dataclasses.replace(regions.hubei, prefix="CNXJ1:")  # Xinjiang: not federated
    other = scan(client, site, unknown.sign(ff.foreign_claims(regions.now)))
    assert (other["reason"], other["region"]) == ("bad_prefix", None)


def test_the_online_verifier_reads_a_foreign_code_with_its_regions_entry(
    client: TestClient, site: Site, regions: Regions
) -> None:
    """``POST /verify``, as a scanner app without a venue uses it: another region's code
    is verified with that region's entry, as at a gate; an ID card cannot be matched."""

    def verify(token: str, **extra: str) -> Any:
        return client.post(f"{API}/verify", json={"token": token, **extra})

    green = verify(regions.hubei.sign(ff.foreign_claims(regions.now, colour=0)))
    assert green.status_code == 200, green.text
    body = green.json()
    assert (body["valid"], body["may_pass"], body["reason"], body["colour"]) == (
        True,
        True,
        None,
        "green",
    )
    assert body["claims"] is None  # none of ours: the region's claims, as sent
    assert (body["region"]["code"], body["region"]["label"]) == ("420000", "湖北省的健康码")
    assert body["region"]["claims"]["-260"]["1"]["n"] == "李*"

    yellow = verify(regions.hubei.sign(ff.foreign_claims(regions.now, colour=1))).json()
    assert (yellow["valid"], yellow["may_pass"], yellow["colour"]) == (True, False, "yellow")
    untold = verify(regions.zhejiang.sign(ff.foreign_claims(regions.now))).json()
    assert (untold["valid"], untold["may_pass"], untold["colour"]) == (True, False, None)

    expired = verify(_refused_token(regions, "expired")).json()
    assert (expired["valid"], expired["may_pass"], expired["reason"]) == (False, False, "expired")
    assert not expired["message"].isascii()
    forged = verify(_refused_token(regions, "bad_signature")).json()
    assert (forged["reason"], forged["region"]["claims"]) == ("bad_signature", None)

    ours = verify(qr_text(client, site)).json()
    assert (ours["valid"], ours["colour"], ours["region"]) == (True, "green", None)
    assert ours["claims"]["masked_name"] == "张*"

    card = verify(
        regions.hubei.sign(ff.foreign_claims(regions.now, colour=0)),
        id_number="370102198001011237",
    )
    assert card.status_code == 422, card.text
    assert card.json()["error"]["fields"][0]["field"] == "id_number"
    assert card.json()["error"]["fields"][0]["code"] == "foreign_code"


def test_the_same_foreign_token_at_two_venues_is_flagged(
    client: TestClient, site: Site, community: uuid.UUID, regions: Regions
) -> None:
    near = new_venue(
        client, site.admin, community, name="西门卡口", latitude=37.384, longitude=117.971
    )
    far = new_venue(
        client, site.admin, community, name="济南东站", latitude=36.67, longitude=117.12
    )
    near_guard = new_guard(client, site.admin, near, "gate.guard.f2")
    far_guard = new_guard(client, site.admin, far, "gate.guard.f3")

    def at(venue: str, guard: dict[str, str], token: str) -> list[str]:
        answer = client.post(f"{API}/venues/{venue}/scans", json={"token": token}, headers=guard)
        assert answer.status_code == 200, answer.text
        return [f["code"] for f in answer.json()["flags"]]

    on_screen = regions.hubei.sign(ff.foreign_claims(regions.now, minutes=5))
    assert scan(client, site, on_screen)["flags"] == []
    assert at(near, near_guard, on_screen) == ["same_token_elsewhere"]
    assert at(far, far_guard, on_screen) == ["same_token_elsewhere", "distant_venues"]
    # a code that lives an hour may be shown at two venues nearby; not 100 km apart
    long_lived = regions.hubei.sign(ff.foreign_claims(regions.now, minutes=60))
    assert scan(client, site, long_lived)["flags"] == []
    assert at(near, near_guard, long_lived) == []
    assert at(far, far_guard, long_lived) == ["distant_venues"]


def test_not_the_holder_of_a_foreign_code_opens_a_case(
    client: TestClient, site: Site, regions: Regions
) -> None:
    shown = scan(client, site, regions.hubei.sign(ff.foreign_claims(regions.now)))
    case = client.post(f"{API}/scans/{shown['scan_id']}/not-the-holder", headers=site.guard)
    assert case.status_code == 201, case.text
    again = client.get(f"{API}/scans/{shown['scan_id']}", headers=site.guard).json()
    assert (again["reason"], again["decision"]) == ("not_the_holder", "refused")
    assert again["region"]["code"] == "420000"


def test_an_offline_batch_of_foreign_codes_is_verified_at_each_scan_time_and_kept_once(
    app: FastAPI,
    client: TestClient,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    site: Site,
    regions: Regions,
) -> None:
    at = regions.now
    green = regions.hubei.sign(ff.foreign_claims(at - timedelta(minutes=1), minutes=10))
    stale = regions.hubei.sign(ff.foreign_claims(at - timedelta(hours=2)))
    blank = regions.zhejiang.sign(ff.foreign_claims(at))
    clock.advance(timedelta(hours=3))  # back online: every code has expired since
    items = [("hb:1", green), ("hb:2", stale), ("zj:1", blank)]
    batch = {
        "scans": [
            {"client_id": c, "token": token, "scanned_at": at.isoformat(), "temperature": 36.5}
            for c, token in items
        ]
    }
    url = f"{site.scans()}/batch"
    first = client.post(url, json=batch, headers=site.guard)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert (answer["accepted"], answer["duplicates"]) == (["hb:1", "zj:1"], [])
    said = [(r["client_id"], r["index"], r["reason"], r["recorded"]) for r in answer["refused"]]
    assert said == [("hb:2", 1, "expired", True)]
    second = client.post(url, json=batch, headers=site.guard).json()
    assert second == {"accepted": [], "duplicates": ["hb:1", "hb:2", "zj:1"], "refused": []}
    for uow, _env in in_session(app, sessions):
        rows = {r.client_id: r for r in uow.scans.of_venue(uuid.UUID(site.venue_id), limit=10)}
        assert rows["hb:1"].released_at is not None  # a valid green code, released then
        assert rows["hb:1"].region_code == "420000"
        assert (rows["zj:1"].region_code, rows["zj:1"].released_at) == ("330000", None)
        assert rows["hb:2"].foreign_claims is not None


def test_claims_no_database_holds_as_sent_are_recorded_and_a_batch_is_judged_item_by_item(
    app: FastAPI, client: TestClient, sessions: sessionmaker[Session], site: Site, regions: Regions
) -> None:
    """A genuine code whose claims hold a NUL character, NaN or ±Infinity was a 500
    (PostgreSQL's jsonb refuses them), and an upload holding it was refused whole, the
    scanner retrying it forever. Kept as JSON can hold them: NUL as U+FFFD, NaN and
    ±Infinity null (as the scanner page shows them), an integer past 64 bits as text."""
    claims = ff.foreign_claims(regions.now - timedelta(minutes=5))
    claims |= {99: "a\x00b", "k\x00": 1, 100: [float("nan"), float("inf"), -float("inf")]}
    claims[101] = 2**70
    odd = regions.zhejiang.sign(claims)  # an Ed25519 JWK's region
    shown = scan(client, site, odd)
    sent_back = {"99": "a\ufffdb", "k\ufffd": 1, "100": [None, None, None], "101": str(2**70)}
    assert shown["reason"] is None
    assert shown["region"]["claims"].items() >= sent_back.items()
    again = client.get(f"{API}/scans/{shown['scan_id']}", headers=site.guard)
    assert again.status_code == 200, again.text
    assert again.json()["region"]["claims"] == shown["region"]["claims"]
    at = regions.now.isoformat()
    good = regions.hubei.sign(ff.foreign_claims(regions.now - timedelta(minutes=1)))
    batch = {
        "scans": [
            {"client_id": "ok", "token": good, "scanned_at": at},
            {"client_id": "odd", "token": odd, "scanned_at": at},
        ]
    }
    uploaded = client.post(f"{site.scans()}/batch", json=batch, headers=site.guard)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json() == {"accepted": ["ok", "odd"], "duplicates": [], "refused": []}
    for uow, _env in in_session(app, sessions):
        row = uow.scans.by_client_id(uuid.UUID(site.venue_id), "odd")
        assert row is not None
        assert row.foreign_claims is not None
        assert row.foreign_claims.items() >= sent_back.items()
