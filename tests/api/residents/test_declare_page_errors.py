"""The declaration page names every missing field at once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.helpers import CapturingSender
from tests.api.pages import HTML, page_token, sign_in_on_pages


def test_an_empty_pass_form_names_every_field_at_once(
    client: TestClient, sms: CapturingSender
) -> None:
    """Name, ID number and region came first; the pledge and the pass's own fields only
    after those were fixed, a second round on a phone."""
    sign_in_on_pages(client, sms)
    token = page_token(client, "/declare/shandong-pass")
    page = client.post("/declare/shandong-pass", data={"csrf_token": token}, headers=HTML)
    assert page.status_code == 422
    named = set(re.findall(r'id="([a-z_]+)-error"', page.text))
    assert {"name", "id_number", "region", "pledge", "destination", "purpose"} <= named
