"""The offline scanner page in Chromium: a checkpoint with its network cut checks a
green screen code, a paper pass and a phone's live code, refuses a screenshot and a
revoked pass, keeps the scan records, and uploads them once the network is back."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import BrowserContext, Page, expect

from healthcode.domain.colour import Colour
from healthcode.domain.tokens import (
    Purpose,
    compressed_point,
    issue_token,
    new_attestation,
    new_claims,
    present,
    sign_attestation,
)
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from healthcode.services.shared.lists import ensure_list_key, federate_region
from healthcode.store import tables as t
from tests.domain.tokens import foreign_factory as ff
from tests.web.live import START, LiveServer
from tests.web.scanning.offline import (
    QUEUE,
    REQUEUE_AND_UPLOAD,
    Checkpoint,
    open_scanner,
    recorded,
    scan,
)
from tests.web.staff_flows import PASSWORD, staff_sign_in
from tests.web.test_a11y import check_page

SCANNER = "/staff/scanner"
WARN = re.compile(r"\bwarn\b")


class Codes:
    """Codes signed by the server's own key at the server's time."""

    def __init__(self, server: LiveServer) -> None:
        env = server.app.state.env
        self.now = env.clock.now()
        with server.app.state.uow_factory() as uow:
            self.key = env.keys.signer(uow, env.protector, self.now)
            self._uow_factory = server.app.state.uow_factory

    def token(self, purpose: Purpose, *, ago: timedelta = timedelta(0), **kw: Any) -> str:
        claims = new_claims(
            purpose, now=self.now - ago, issuer="CN-37", colour=kw.pop("colour", Colour.GREEN),
            policy=kw.pop("policy", "binzhou-code"), policy_version="2026.3",
            resident_ref="r8Hq3ZkT2mNwXc4P",
            masked_name="张*", masked_id="3701**********1234",
            pass_valid_until=kw.pop("pass_valid_until", self.now + timedelta(days=5)), **kw,
        )  # fmt: skip
        return issue_token(claims, self.key)

    def revoked_paper(self) -> str:
        token_id = os.urandom(16)
        with self._uow_factory() as uow:
            uow.add(t.Revocation(token_id=token_id, revoked_at=self.now, reason="test"))
            uow.commit()
        return self.token(Purpose.PAPER, token_id=token_id)

    def device(self) -> str:
        phone = ec.generate_private_key(ec.SECP256R1())
        claims = new_attestation(
            now=self.now, colour=Colour.GREEN, policy="shandong-pass",
            policy_version="2020-02-14", device_key=compressed_point(phone.public_key()),
            pseudonym=os.urandom(16), id_number="37010219800101123X", masked_name="欧阳*锋",
            masked_id="3701**********123X", pass_valid_until=self.now + timedelta(days=5),
            recheck_at=None,
        )  # fmt: skip
        return present(sign_attestation(claims, self.key), int(self.now.timestamp()), phone)


def test_offline_checkpoint_checks_codes_and_uploads_once_back_online(
    scanner_context: BrowserContext, server: LiveServer, checkpoint: Checkpoint
) -> None:
    server.clock.set(START + timedelta(minutes=30))  # the key has signed for half an hour
    codes = Codes(server)
    uploads: list[dict[str, Any]] = []
    scanner_context.on(
        "request",
        lambda r: (
            uploads.append(json.loads(r.post_data or "{}")) if "/scanner/scans" in r.url else None
        ),
    )
    page = open_scanner(scanner_context, server, checkpoint)
    expect(page.locator(".scanner-venue")).to_have_text("滨州西收费站卡口")
    revoked = codes.revoked_paper()
    page.reload()  # the revocation list now holds the pass
    expect(page.locator("[data-scanner][data-ready=true]")).to_be_attached()

    scanner_context.set_offline(True)
    page.reload()  # the page, its modules and its lists all come from the device
    expect(page.locator("[data-scanner][data-ready=true]")).to_be_attached()
    result = page.locator("#scan-result")

    scan(page, codes.token(Purpose.DISPLAY))
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(page.locator("#scan-word")).to_have_text("绿码")
    expect(page.locator("#scan-who")).to_contain_text("张*")
    # the pass's end, not the on-screen code's (09:31, a minute away); its freshness
    # is a check, not a validity
    valid, fresh = page.locator("#scan-valid"), page.locator("#scan-fresh")
    expect(valid).to_have_text("通行卡有效至 2020-02-28 09:30")
    expect(fresh).to_contain_text("实时码")

    scan(page, codes.token(Purpose.DISPLAY, pass_valid_until=None))  # a code, no pass
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(valid).to_be_hidden()
    expect(fresh).to_be_visible()

    scan(page, codes.token(Purpose.PAPER))
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(valid).to_have_text("通行卡有效至 2020-02-28 09:30")
    expect(fresh).to_be_hidden()

    scan(page, codes.device())
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(page.locator("#scan-who")).to_contain_text("欧阳*锋")
    expect(valid).to_have_text("通行卡有效至 2020-02-28 09:30")
    expect(fresh).to_contain_text("实时码")

    scan(page, codes.token(Purpose.DISPLAY, ago=timedelta(minutes=10)))  # a screenshot
    expect(result).to_have_attribute("data-reason", "expired")
    expect(page.locator("#scan-word")).to_have_text("无效码")
    expect(page.locator("#scan-reason")).to_contain_text("过期")
    check_page(page)  # the result screen too: contrast, labels

    scan(page, revoked)
    expect(result).to_have_attribute("data-reason", "revoked")

    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "6")
    queue = page.evaluate(QUEUE)
    assert uploads == []

    scanner_context.set_offline(False)
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "0")
    assert len(uploads) == 1
    stored = recorded(server, checkpoint)
    assert sorted(stored) == sorted(r["client_id"] for r in queue)
    # The server verified each again at its scan time and agrees with the page.
    assert {r["client_id"]: r["reason"] for r in queue} == stored

    # The answer was lost: the same records go up again and nothing is stored twice.
    outcome = page.evaluate(REQUEUE_AND_UPLOAD, queue)
    assert sorted(outcome["duplicates"]) == sorted(stored)
    assert outcome["accepted"] == []
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "0")
    assert len(uploads) == 2
    assert recorded(server, checkpoint) == stored


def test_another_regions_code_shows_its_region_and_colour(
    scanner_context: BrowserContext, server: LiveServer, checkpoint: Checkpoint
) -> None:
    """Hubei's codes (P-256 certificate, colour at -260/1/c) checked offline with the
    signed trust list: the result names the region and shows the colour it sent; back
    online, the server's re-verification of the queue agrees."""
    env, now = server.app.state.env, server.clock.now()
    hubei = ff.p256_issuer("420000", "CNHB1:", now - timedelta(days=1))
    with server.app.state.uow_factory() as uow:
        ensure_list_key(uow, env.protector, now=now)  # the page then reads signed lists
        document = {"region": ff.HUBEI, "keys": [hubei.entry]}
        federate_region(uow, env.protector, env.settings, document=document, now=now)
        uow.commit()
    page = open_scanner(scanner_context, server, checkpoint)
    scanner_context.set_offline(True)
    result, region = page.locator("#scan-result"), page.locator("#scan-region")

    scan(page, hubei.sign(ff.foreign_claims(now - timedelta(minutes=5), colour=1)))
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(result).to_have_attribute("data-region", "420000")
    expect(region).to_have_text("湖北省的健康码")
    expect(page.locator("#scan-word")).to_have_text("黄码")
    expect(page.locator("#scan-action")).to_contain_text("不得放行")
    check_page(page)

    scan(page, hubei.sign(ff.foreign_claims(now - timedelta(hours=2))))  # expired
    expect(result).to_have_attribute("data-reason", "expired")
    expect(region).to_have_text("湖北省的健康码")
    expect(page.locator("#scan-word")).to_have_text("无效码")

    scan(page, Codes(server).token(Purpose.DISPLAY))  # ours, with the same lists
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(result).to_have_attribute("data-region", "")
    expect(region).to_be_hidden()
    expect(page.locator("#scan-word")).to_have_text("绿码")

    # Back online, the server verifies the queued Hubei codes with Hubei's entry too
    # (not "bad_prefix") and agrees with the page. The green code on screen waits for
    # its temperature until the guard moves on.
    page.click("#scan-again")
    queue = page.evaluate(QUEUE)
    scanner_context.set_offline(False)
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "0")
    assert recorded(server, checkpoint) == {r["client_id"]: r["reason"] for r in queue}
    assert sorted(v or "valid" for v in recorded(server, checkpoint).values()) == [
        "expired",
        "valid",
        "valid",
    ]


def test_offline_the_result_says_the_policys_checkpoint_words_in_the_pages_language(
    scanner_context: BrowserContext, server: LiveServer, checkpoint: Checkpoint
) -> None:
    """The words of each policy's ``checkpoint.actions`` for the code's colour, as the
    online result screen says them, kept with the page for the network cut."""
    codes = Codes(server)
    page = open_scanner(scanner_context, server, checkpoint)
    scanner_context.set_offline(True)
    page.reload()
    expect(page.locator("[data-scanner][data-ready=true]")).to_be_attached()
    action = page.locator("#scan-action")

    scan(page, codes.token(Purpose.DISPLAY))
    expect(action).to_have_text("进行健康检查后，点击确认放行。")  # seed 003
    scan(page, codes.token(Purpose.DISPLAY, policy="shandong-pass"))  # seed 000: directly
    expect(action).to_have_text("直接放行。根据当地疫情防控需要，可查看其详细信息。")
    scan(page, codes.token(Purpose.DISPLAY, colour=Colour.YELLOW))
    expect(action).to_have_text(re.compile(r"^禁止通行。请其居家或在单位隔离观察14天"))
    yellow_pass = codes.token(Purpose.DISPLAY, colour=Colour.YELLOW, policy="shandong-pass")
    scan(page, yellow_pass)
    expect(action).to_have_text(re.compile(r"^暂不放行。待信息进一步完善核实后通行"))
    scan(page, codes.token(Purpose.DISPLAY, colour=Colour.RED, policy="no-such-policy"))
    expect(action).to_have_text("拦停：不得放行")  # no words of its own: the generic ones

    scanner_context.set_offline(False)
    page.goto(checkpoint.url + "&lang=en")
    expect(page.locator("[data-scanner][data-ready=true]")).to_be_attached()
    scan(page, codes.token(Purpose.DISPLAY, colour=Colour.RED, policy="shandong-pass"))
    expect(action).to_have_text(re.compile(r"^Stop\. The holder does not meet the conditions"))


def released(server: LiveServer, at: Checkpoint) -> dict[str, tuple[bool, float | None]]:
    """The venue's scan records: client_id → (released, temperature)."""
    with server.app.state.uow_factory() as uow:
        rows = uow.scans.of_venue(at.venue_id, limit=50)
        return {row.client_id or "": (row.released_at is not None, row.temperature) for row in rows}


def test_offline_a_temperature_is_taken_and_a_fever_is_not_released(
    scanner_context: BrowserContext, server: LiveServer, checkpoint: Checkpoint
) -> None:
    """As on the online result screen: a valid green code takes an optional reading; at
    or above the policy's fever line it is a fever, recorded and not released."""
    codes = Codes(server)
    page = open_scanner(scanner_context, server, checkpoint)
    scanner_context.set_offline(True)
    page.reload()
    expect(page.locator("[data-scanner][data-ready=true]")).to_be_attached()
    result, form, error = (
        page.locator("#scan-result"),
        page.locator("#temp-form"),
        page.locator("#temp-error"),
    )
    temperature, taken = page.locator("#temperature"), page.locator("#scan-temp")

    def reading(text: str) -> None:
        temperature.fill(text)
        temperature.press("Enter")

    scan(page, codes.token(Purpose.DISPLAY))
    expect(form).to_be_visible()
    reading("abc")
    expect(error).to_have_text("请填写体温数字，如 36.5")
    reading("50")
    expect(error).to_have_text("体温应在 34.0 至 43.0 ℃ 之间")
    reading("37.5℃")
    expect(result).to_have_attribute("data-reason", "fever")
    expect(result).to_have_attribute("data-verdict", "refused")
    expect(page.locator("#scan-word")).to_have_text("绿码")  # a fever keeps the colour
    expect(page.locator("#scan-action")).to_have_text(
        re.compile(r"^体温异常（37.3℃及以上），禁止通行。")
    )
    expect(taken).to_have_text("已记录体温 37.5 ℃")
    expect(form).to_be_hidden()
    check_page(page)

    scan(page, codes.token(Purpose.PAPER))
    expect(taken).to_be_hidden()
    expect(form).to_be_visible()  # the new result's form, before a reading is typed
    reading("36,6")
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(taken).to_have_text("已记录体温 36.6 ℃")
    scan(page, codes.token(Purpose.PAPER))  # no reading: released as scanned
    scan(page, codes.token(Purpose.DISPLAY, colour=Colour.YELLOW))
    expect(form).to_be_hidden()  # not releasable: no reading to take
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "4")
    queue = page.evaluate(QUEUE)
    assert [(r["temperature"], r["reason"]) for r in queue if "temperature" in r] in (
        [(37.5, "fever"), (36.6, None)],
        [(36.6, None), (37.5, "fever")],
    )

    scanner_context.set_offline(False)
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "0")
    assert recorded(server, checkpoint) == {r["client_id"]: r["reason"] for r in queue}
    assert sorted(released(server, checkpoint).values(), key=str) == sorted(
        [(False, 37.5), (True, 36.6), (True, None), (False, None)], key=str
    )

    # Online, the green code on screen is not sent before its reading: a fever taken a
    # moment later is not lost to a release already recorded.
    scan(page, codes.token(Purpose.PAPER))
    expect(form).to_be_visible()
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "1")
    reading("38.1")
    expect(result).to_have_attribute("data-reason", "fever")
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "0")
    assert sorted(released(server, checkpoint).values(), key=str).count((False, 38.1)) == 1

    # A reading that is not a number is refused by itself, by field, in words (the
    # page never sends one; it made the whole batch a 422, and the queue waited for ever).
    answer = page.evaluate(
        """async (url) => (await fetch(url, {
          method: "POST", headers: {"Content-Type": "application/json",
            "X-CSRF-Token": document.querySelector("meta[name=csrf-token]").content},
          body: JSON.stringify({scans: [{client_id: "hot-1", token: "x",
            scanned_at: new Date().toISOString(), temperature: "hot"}]})})).json()""",
        page.locator("[data-scanner]").get_attribute("data-upload"),
    )
    refused = answer["refused"][0]
    assert (refused["client_id"], refused["field"], refused["recorded"]) == (
        "hot-1",
        "temperature",
        False,
    )
    assert refused["message"] == "请填写数字"


def test_a_scan_the_server_does_not_record_is_shown_and_a_long_queue_goes_up_in_parts(
    scanner_context: BrowserContext, server: LiveServer, checkpoint: Checkpoint
) -> None:
    """Back online after a long day: 501 scans wait (more than one request takes), and
    two the server does not take (a reading of 44 ℃ queued by an older page, a scan
    time an hour ahead). The queue empties in two requests; the two are shown to the
    guard, with the time and why, until noted: never dropped without a word."""
    codes = Codes(server)
    page = open_scanner(scanner_context, server, checkpoint)
    now = codes.now
    paper = codes.token(Purpose.PAPER)

    def record(client_id: str, at: datetime, **more: Any) -> dict[str, Any]:
        return {"client_id": client_id, "token": paper, "scanned_at": at.isoformat(),
                "venue_id": str(checkpoint.venue_id), "lane": "camera", **more}  # fmt: skip

    queue = [record(f"day-{i}", now + timedelta(milliseconds=500 * i)) for i in range(499)]
    queue += [
        record("hot", now, temperature=44.0),
        record("ahead", now + timedelta(hours=1)),
    ]
    outcome = page.evaluate(REQUEUE_AND_UPLOAD, queue)
    assert (outcome.get("error"), outcome["sent"], len(outcome["accepted"])) == (None, 501, 499)
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "0")
    box = page.locator("#scanner-unrecorded")
    expect(box).to_be_visible()
    expect(box).to_contain_text("以下扫码记录未被服务器接收，请手工登记")
    items = box.locator("li")
    expect(items).to_have_count(2)
    expect(box.locator("li[data-reason=range]")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d 扫码：体温应在 34.0 至 43.0 ℃ 之间$")
    )
    expect(box.locator("li[data-reason=future]")).to_contain_text("请检查扫码设备的时钟")
    check_page(page)
    page.reload()  # kept on the device until the guard notes them
    expect(items).to_have_count(2)
    page.click("#unrecorded-noted")
    expect(box).to_be_hidden()


def test_the_lists_age_shows_and_warns_when_stale(
    scanner_context: BrowserContext, server: LiveServer, checkpoint: Checkpoint
) -> None:
    page = open_scanner(scanner_context, server, checkpoint)
    check_page(page)
    lists = page.locator("#scanner-lists")
    expect(lists).to_contain_text("2020-02-23 09:00")
    expect(lists).not_to_have_class(WARN)
    scanner_context.set_offline(True)
    page.clock.set_fixed_time(START + timedelta(days=4))
    page.reload()
    expect(lists).to_have_class(WARN)
    expect(lists).to_contain_text("已超过 3 天未更新")


def test_only_checkpoint_staff_open_the_scanner(page: Page, server: LiveServer) -> None:
    page.goto(SCANNER)
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    username = f"data.{os.getpid()}.{uuid.uuid4().hex[:6]}"
    with server.app.state.uow_factory() as uow:
        create_staff(
            uow, server.app.state.env, username=username, password=PASSWORD,
            display_name="数据 刘洋", roles=[(Role.DATA_OPERATOR, "")],
        )  # fmt: skip
        uow.commit()
    staff_sign_in(page, username)
    answer = page.goto(SCANNER)
    assert answer is not None
    assert answer.status == 403
    expect(page.locator("[data-scanner]")).to_have_count(0)


def test_another_venue_is_not_found_to_the_guard(
    page: Page, server: LiveServer, checkpoint: Checkpoint
) -> None:
    staff_sign_in(page, checkpoint.username)
    other = uuid.uuid4()
    answer = page.goto(f"/staff/scanner?venue={other}")
    assert answer is not None
    assert answer.status == 404
    page.goto(SCANNER)  # the only venue the guard operates is chosen by itself
    expect(page.locator("[data-scanner]")).to_have_attribute("data-venue", str(checkpoint.venue_id))
    status = page.evaluate(
        """async (venue) => (await fetch("/staff/scanner/scans?venue=" + venue, {
          method: "POST", headers: {"Content-Type": "application/json",
            "X-CSRF-Token": document.querySelector("meta[name=csrf-token]").content},
          body: JSON.stringify({scans: []})})).status""",
        str(other),
    )
    assert status == 404
