"""The declaration page names every missing field at once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.helpers import PHONE, CapturingSender, bearer, declare, error
from tests.api.pages import HTML, page_token, sign_in_on_pages
from tests.factories.inputs import declaration_data


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


def test_a_phones_temperature_is_read_alike_by_the_api_and_the_form(
    client: TestClient, sms: CapturingSender
) -> None:
    """Stop 43, an outside probe: the form took "３６．５" and "36,5", and
    ``POST /codes/binzhou-code/reports {"temperature": "３６.５"}`` was 422
    float_parsing. Both go through one parser now (``bounds.temperature_text``)."""
    sign_in_on_pages(client, sms, PHONE)
    me = bearer(client.cookies["hc_session"])  # the same session, for the API
    declare(client, me, declaration_data(temperature="36,5"))
    for typed in ("３６.５", "36,5", "３６，４"):
        sent = client.post(
            "/api/v1/codes/binzhou-code/reports", json={"temperature": typed}, headers=me
        )
        assert sent.status_code == 200, sent.text
    wrong = client.post(
        "/api/v1/codes/binzhou-code/reports", json={"temperature": "36.5℃"}, headers=me
    )
    assert (wrong.status_code, error(wrong)["fields"][0]["code"]) == (422, "float_parsing")
    for typed in ("３６．５", "36,5"):
        token = page_token(client, "/codes/binzhou-code/report")
        page = client.post(
            "/codes/binzhou-code/report",
            data={"temperature": typed, "csrf_token": token},
            headers=HTML,
            follow_redirects=False,
        )
        assert page.status_code == 303, page.text[:500]
