"""Screenshots of the main pages at a phone's size, for the README.

    .venv/bin/python -m tests.web.screenshots [OUT_DIR]     # default docs/screenshots

Runs the real app on a temporary database (as the browser tests do), walks three
residents through the seeds' stories in Chromium at 390×844 (2× pixels), and saves
palette PNGs small enough to keep in git. Chinese needs fonts-noto-cjk.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

from tests.factories import videos
from tests.factories.inputs import id_number
from tests.factories.roster import staff_csv, staff_id, staff_rows, wrong_check_char
from tests.web import live
from tests.web.conftest import ARGS, CHROMIUM, PHONE
from tests.web.flows import declare_and_confirm, fill_declaration, sign_in
from tests.web.notices.steps import issuer_with_waiting, sign_in_staff, tell_more_needed
from tests.web.staff_flows import add_employer, import_file, staff_sign_in

OUT = Path("docs/screenshots")


def save(page: Page, out: Path, name: str, *, at: str | None = None) -> None:
    """A viewport-sized shot, optionally scrolled to ``at``, as a small palette PNG."""
    if at is None:
        page.evaluate("() => window.scrollTo(0, 0)")
    else:
        page.evaluate("(sel) => document.querySelector(sel).scrollIntoView()", at)
    path = out / f"{name}.png"
    page.screenshot(path=path)
    image = Image.open(path).convert("RGB")
    quantized = image.quantize(colors=96, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    quantized.save(path, optimize=True)
    print(f"{path}: {path.stat().st_size // 1024} KB")


def green_and_pending(page: Page, server: live.LiveServer, out: Path) -> None:
    page.goto("/login")
    save(page, out, "01-login")
    sign_in(page, server, "13800000001")
    person = id_number()  # one account, one person: both codes use the same ID number
    fill_declaration(page, id_number=person, address="滨城区黄河五路 1 号")
    save(page, out, "02-declare")
    page.click("button[value=submit]")
    page.wait_for_url("**/declarations/*")
    save(page, out, "03-confirm")
    page.click("form.actions button.primary")
    page.wait_for_url("**/codes/binzhou-code?welcome=1")
    save(page, out, "04-first-use-guidance")
    page.goto("/codes/binzhou-code")
    save(page, out, "05-code-green")
    declare_and_confirm(page, "shandong-pass", id_number=person)
    page.goto("/codes/shandong-pass")
    save(page, out, "06-pass-pending")
    page.goto("/")
    save(page, out, "07-home")
    page.goto("/lang/en?next=/codes/binzhou-code")
    save(page, out, "14-code-english")
    page.goto("/lang/zh?next=/")


def yellow_with_streak(page: Page, server: live.LiveServer, out: Path) -> None:
    sign_in(page, server, "13800000002")
    declare_and_confirm(page, temperature="37.8", name="李四")
    for _ in range(2):
        server.clock.advance(timedelta(days=1))
        page.goto("/codes/binzhou-code/report")
        page.click(".chip:has-text('36.5')")
        page.click("button[value=submit]")
    server.clock.advance(timedelta(days=1, hours=3))
    page.goto("/codes/binzhou-code/report")
    page.click(".chip:has-text('36.7')")
    save(page, out, "09-daily-report")
    page.goto("/codes/binzhou-code")
    save(page, out, "08-code-yellow")
    save(page, out, "10-why-this-colour", at="#why")
    page.goto("/codes/binzhou-code/history")
    save(page, out, "11-history")
    page.goto("/notifications")
    save(page, out, "12-messages")


def errors_and_help(page: Page, server: live.LiveServer, out: Path) -> None:
    sign_in(page, server, "13800000003")
    bad = id_number()
    fill_declaration(page, id_number=bad[:-1] + ("0" if bad[-1] != "0" else "1"), temperature="45")
    page.click("button[value=submit]")
    save(page, out, "13-form-errors", at="#error-summary")
    page.goto("/help?q=黄码怎么变绿码")
    save(page, out, "15-help-answer")
    page.goto("/help?q=今天天气怎么样")
    save(page, out, "16-help-hotline")


def staff_pages(page: Page, server: live.LiveServer, out: Path) -> None:
    """An employer's administrator imports its staff and manages staff accounts."""
    company = add_employer(server, username="hr.bohai")
    staff_sign_in(page, company.admin)
    page.wait_for_url("**/staff")
    page.click("a[href='/staff/manage']")
    page.wait_for_url("**/staff/manage")
    save(page, out, "17-staff-manage")
    rows = [*staff_rows(5, start=301), ("钱伟", wrong_check_char(staff_id(330)), "", "仓储部")]
    rows += [("", staff_id(331), "13812340331", "仓储部"), rows[0]]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "员工名单.csv"
        path.write_bytes(staff_csv(rows, encoding="gbk"))
        import_file(page, company, path)
    save(page, out, "18-staff-import-report", at="#report")
    page.goto("/staff/accounts/new")
    page.fill("#display_name", "生产部 王芳")
    page.fill("#username", "issuer.wangfang")
    page.fill("#password", "a long enough password 2020")
    page.click("form[action='/staff/accounts/new'] button.primary")
    page.fill("#reason", "调离岗位")
    page.click("form[action$='/deactivation'] button.primary")
    page.goto("/staff/accounts")
    save(page, out, "19-staff-accounts")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/staff/employers/{company.id}/roster")
    save(page, out, "20-staff-roster-desktop")


def temperature_video(page: Page, server: live.LiveServer, out: Path) -> None:
    sign_in(page, server, "13800000004")
    declare_and_confirm(page, "shandong-pass", name="王五")
    page.click("text=上传测量体温小视频（选填）")
    page.locator("#video").set_input_files(
        {"name": "体温.mp4", "mimeType": "video/mp4", "buffer": videos.mp4(45)}
    )
    page.click("button:has-text('上传视频')")
    save(page, out, "31-temperature-video-refused", at="#error-summary")
    page.locator("#video").set_input_files(
        {"name": "体温.mp4", "mimeType": "video/mp4", "buffer": videos.mp4(12.5)}
    )
    page.click("button:has-text('上传视频')")
    save(page, out, "30-temperature-video")


def notification_centre(page: Page, server: live.LiveServer, out: Path) -> None:
    sign_in(page, server, "13800000004")
    declare_and_confirm(page, temperature="37.8", name="王五")
    server.clock.advance(timedelta(minutes=5))
    tell_more_needed(server, "13800000004", ["今日体温", "返回日期"])
    page.goto("/notifications")
    save(page, out, "17-notifications-resident")
    sign_in_staff(page.context, server, issuer_with_waiting(server, applications=3))
    page.goto("/notifications")
    save(page, out, "18-notifications-issuer")


STORIES: tuple[Callable[[Page, live.LiveServer, Path], None], ...] = (
    green_and_pending,
    yellow_with_streak,
    errors_and_help,
    staff_pages,
    temperature_video,
    notification_centre,
)


def main(
    out: Path = OUT,
    stories: tuple[str, ...] = (),
    *,
    run: tuple[Callable[[Page, live.LiveServer, Path], None], ...] = (),
) -> None:
    """Every story's shots, only the stories named (``-k staff_pages``), or those given."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        server = live.start(Path(tmp))
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for story in run or [s for s in STORIES if not stories or s.__name__ in stories]:
                context = browser.new_context(
                    base_url=server.url, viewport=PHONE, device_scale_factor=2, locale="zh-CN"
                )
                story(context.new_page(), server, out)
                context.close()
        finally:
            browser.close()
            server.stop()


if __name__ == "__main__":
    args = sys.argv[1:]
    named = tuple(args[i + 1] for i, a in enumerate(args[:-1]) if a == "-k")
    rest = [a for i, a in enumerate(args) if a != "-k" and (i == 0 or args[i - 1] != "-k")]
    main(Path(rest[0]) if rest else OUT, named)
