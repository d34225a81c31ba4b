"""A suspended organisation's gate over HTTP: the scan, the ID-card lane, the release
and each item of an offline upload refused as 409 ``organisation_suspended`` in the
reader's language; everything back on reactivation."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.api.helpers import error
from tests.api.scanning.conftest import API, Site
from tests.api.scanning.test_scan_api import qr_text

ZH = "本单位已被暂停，暂不能扫码核验"
EN = "Your organisation is suspended: its checkpoints cannot scan codes until it is reactivated"


def suspension(client: TestClient, site: Site, community: uuid.UUID, on: bool) -> None:
    if on:
        url, body = f"{API}/organisations/{community}/suspension", {"reason": "整改"}
    else:
        url, body = f"{API}/organisations/{community}/reactivation", None
    answer = client.post(url, json=body, headers=site.admin)
    assert answer.status_code == 200, answer.text


def test_a_suspended_organisations_gate_is_refused_in_words_until_reactivated(
    client: TestClient, site: Site, community: uuid.UUID
) -> None:
    token = qr_text(client, site)
    earlier = client.post(site.scans(), json={"token": token}, headers=site.guard).json()
    suspension(client, site, community, True)

    for refused in (
        client.post(site.scans(), json={"token": token}, headers=site.guard),
        client.post(site.scans(), json={"id_number": site.resident_id_number}, headers=site.guard),
        client.post(f"{API}/scans/{earlier['scan_id']}/release", json={}, headers=site.guard),
    ):
        assert (refused.status_code, error(refused)["code"]) == (409, "organisation_suspended")
        assert error(refused)["message"] == ZH
    english = client.post(
        site.scans(), json={"token": token}, headers=site.guard | {"accept-language": "en"}
    )
    assert error(english)["message"] == EN
    batch = {
        "scans": [
            {"client_id": "off-1", "token": token, "scanned_at": earlier["scanned_at"]},
            {"client_id": "off-2", "token": "not a code", "scanned_at": earlier["scanned_at"]},
        ]
    }
    upload = client.post(f"{site.scans()}/batch", json=batch, headers=site.guard)
    assert upload.status_code == 200, upload.text
    body = upload.json()
    assert (body["accepted"], body["duplicates"]) == ([], [])
    assert [(r["client_id"], r["index"], r["reason"], r["recorded"], r["message"])
            for r in body["refused"]] == [
        ("off-1", 0, "organisation_suspended", False, ZH),
        ("off-2", 1, "organisation_suspended", False, ZH),
    ]  # fmt: skip
    shown = client.get(f"{API}/scans/{earlier['scan_id']}", headers=site.guard)
    assert shown.status_code == 200  # what was recorded before stays readable

    suspension(client, site, community, False)
    released = client.post(f"{API}/scans/{earlier['scan_id']}/release", json={}, headers=site.guard)
    assert released.status_code == 200, released.text
    assert client.post(site.scans(), json={"token": token}, headers=site.guard).status_code == 200
    again = client.post(f"{site.scans()}/batch", json=batch, headers=site.guard).json()
    assert again["accepted"] == ["off-1"]
