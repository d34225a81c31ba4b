"""The guard's result screen (``/staff/venues/{id}/scans/{scan_id}``) as a browser
without JavaScript reads it: what it says, in Asia/Shanghai time."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.http.security import SESSION_COOKIE
from tests.api.pages import HTML, page_token
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


class TestAReadingTheScanNoLongerTakes:
    """A reading sent from a page left open (a second tap, the back button) after the
    scan was refused for a fever or released: the screen says why it was not taken,
    in the result the guard reads (the release form and its field are gone)."""

    def _first_reading(self, client: TestClient, site: Site, temperature: float) -> str:
        """A code scanned and its reading sent (released, or refused for a fever)."""
        scan = client.post(site.scans(), json={"token": qr_text(client, site)}, headers=site.guard)
        scan_id: str = scan.json()["scan_id"]
        release = f"{API}/scans/{scan_id}/release"
        client.post(release, json={"temperature": temperature}, headers=site.guard)
        return scan_id

    def _release(self, client: TestClient, site: Site, scan_id: str, reading: str) -> str:
        client.cookies.set(SESSION_COOKIE, site.guard["Authorization"].removeprefix("Bearer "))
        token = page_token(client, f"/staff/venues/{site.venue_id}/scan")
        sent = client.post(
            f"/staff/scans/{scan_id}/release",
            data={"csrf_token": token, "temperature": reading},
            headers=HTML,
        )
        assert sent.status_code == 409, sent.text[:300]
        return sent.text.split('id="result"')[1].split("</section>")[0]

    def test_after_a_fever_the_guard_is_told_to_scan_again(
        self, client: TestClient, site: Site
    ) -> None:
        scan_id = self._first_reading(client, site, 38.4)
        result = self._release(client, site, scan_id, "36.5")
        assert "38.4" in result
        assert 'role="alert"' in result
        assert "重新扫码" in result

    def test_after_the_release_the_reading_is_said_not_taken(
        self, client: TestClient, site: Site
    ) -> None:
        scan_id = self._first_reading(client, site, 36.5)
        result = self._release(client, site, scan_id, "36.8")
        assert "已于 09:00 放行" in result
        assert 'class="error"' in result
