"""The guard's result screen (``/staff/venues/{id}/scans/{scan_id}``) as a browser
without JavaScript reads it: what it says, in Asia/Shanghai time."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.pages import HTML
from tests.api.scanning.conftest import API, Site
from tests.api.scanning.test_scan_api import _paper, qr_text


def _page(client: TestClient, site: Site, scan_id: str) -> str:
    page = client.get(f"/staff/venues/{site.venue_id}/scans/{scan_id}", headers=site.guard | HTML)
    assert page.status_code == 200, page.text[:300]
    return page.text


class TestTimesOnTheResultScreen:
    """The test clock stands at 2020-02-23 09:00 in Beijing, 01:00 UTC."""

    def test_a_release_reads_in_beijing_time(self, client: TestClient, site: Site) -> None:
        scan = client.post(site.scans(), json={"token": qr_text(client, site)}, headers=site.guard)
        scan_id = scan.json()["scan_id"]
        released = client.post(
            f"{API}/scans/{scan_id}/release", json={"temperature": 36.5}, headers=site.guard
        )
        assert released.json()["released_at"].startswith("2020-02-23T09:00")
        assert "已于 09:00 放行" in _page(client, site, scan_id)

    def test_a_pass_ends_in_beijing_time(
        self, app: FastAPI, client: TestClient, sessions: sessionmaker[Session], site: Site
    ) -> None:
        paper = _paper(app, sessions, start=timedelta(0), days=5)
        scan = client.post(site.scans(), json={"token": paper}, headers=site.guard).json()
        assert scan["valid_until"] == "2020-02-28T09:00:00+08:00"
        assert "通行卡有效至 2020-02-28 09:00" in _page(client, site, scan["scan_id"])
