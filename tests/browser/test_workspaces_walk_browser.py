"""Issue 16 "done when", in Chromium on the demo data, at 1440, 768 and 390 px: each role's home
(dashboard), a list searched and exported to Excel, a confirmed irreversible action (the
reviewer's 评估不合格), and a counter sale with its live summary. No page scrolls sideways at any
width; each step's screenshot is saved to var/screenshots/walk/<width>/<step>.png.

One seeded database and one test for the module (seed_demo is the slow part); a context per
person, resized to each width in turn."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from accounts.demo import DEMO_PASSWORD
from accreditation.models import Application
from accreditation.models import ApplicationStatus as A
from patients.models import Patient
from prescriptions.models import Dispensing
from tests.browser.conftest import browser_login
from tests.factories.prescriptions import codes

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "walk"
WIDTHS = (1440, 768, 390)

# Each role's home: (step name, demo login).
HOMES = [
    ("bureau-admin", "hy_admin"),
    ("reviewer", "hy_reviewer"),
    ("benefits-officer", "hy_benefits"),
    ("expert", "hy_expert"),
    ("window-clerk", "hy_window"),
    ("physician", "hy_physician"),
    ("pharmacy-manager", "hy_manager"),
    ("pharmacist", "hy_pharmacist"),
    ("catalogue-admin", "catalogue_admin"),
    ("guiyang-admin", "gy_admin"),
]


def _overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


WIDEST = """() => {
  const w = document.documentElement.clientWidth;
  const out = e => e.getBoundingClientRect().right > w + 1;
  return Array.from(document.querySelectorAll('body *'))
    .filter(e => out(e) && !Array.from(e.children).some(out)).slice(0, 3)
    .map(e => `${e.tagName}.${e.className} «${(e.textContent || '').trim().slice(0, 30)}»`);
}"""


def _widest(page: Page) -> list[str]:
    """The innermost elements that reach past the window's right edge (to name the culprit)."""
    return list(page.evaluate(WIDEST))


class Walk:
    def __init__(self, browser: Browser, live_server: Any) -> None:
        self.browser = browser
        self.url = live_server.url
        self.live_server = live_server
        self.overflows: list[str] = []
        self.problems: list[str] = []

    def person(self, username: str) -> Page:
        context = self.browser.new_context(
            locale="zh-CN", viewport={"width": WIDTHS[0], "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: self.problems.append(f"{username}: {error}"))
        page.on(
            "console",
            lambda m: (
                self.problems.append(f"{username}: {m.text}")
                if "Content Security Policy" in m.text
                else None
            ),
        )
        browser_login(page, self.live_server, username, DEMO_PASSWORD)
        return page

    def shot(self, page: Page, width: int, step: str) -> None:
        """Check the page at this width (no sideways scrolling) and save its screenshot."""
        page.set_viewport_size({"width": width, "height": 900})
        over = _overflow(page)
        if over > 0:
            self.overflows.append(
                f"{step} at {width} px: {over} px too wide ({page.url}): {_widest(page)}"
            )
        folder = SHOTS / str(width)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{step}.png"), full_page=True)

    def at_each_width(self, page: Page, step: str) -> None:
        for width in WIDTHS:
            self.shot(page, width, step)


def _homes(walk: Walk) -> None:
    for step, username in HOMES:
        page = walk.person(username)
        page.goto(f"{walk.url}/accounts/workspace/")
        expect(page.get_by_test_id("workspace-title")).to_be_visible()
        walk.at_each_width(page, f"home-{step}")
        if username == "hy_reviewer":  # the bureau's charts
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            page.goto(f"{walk.url}/dashboards/")
            expect(page.locator("section.chart img").first).to_be_attached()
            walk.at_each_width(page, "dashboard-reviewer-charts")
        page.context.close()


def _searched_and_exported_list(walk: Walk, tmp_path: Path) -> None:
    """The window clerk's filings: search a patient's name, see only that filing, export it."""
    page = walk.person("hy_window")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{walk.url}/tm/")
        rows = page.locator("main table tbody tr")
        expect(rows.filter(has_text="刘桂兰")).to_have_count(1)
        page.get_by_label("搜索").fill("陈国强")
        page.get_by_role("button", name="查询").click()
        expect(rows.filter(has_text="陈国强")).to_have_count(1)
        expect(rows).to_have_count(1)
        walk.shot(page, width, "list-filings-searched")
        with page.expect_download() as info:
            page.get_by_role("link", name="导出 Excel（当前筛选）").click()
        download = info.value
        assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
        saved = tmp_path / f"filings-{width}.xlsx"
        download.save_as(saved)
        sheet = load_workbook(saved).active
        assert sheet is not None
        data = [r for r in sheet.iter_rows(min_row=2, values_only=True) if any(r)]
        assert len(data) == 1, data  # the filtered rows only
    page.context.close()


def _confirmed_irreversible_action(walk: Walk) -> None:
    """The reviewer fails an evaluation: the confirmation page names the consequence, nothing
    changes until 确认, then the message says what comes next."""
    application = Application.objects.get(status=A.ACCEPTED)
    page = walk.person("hy_reviewer")
    page.goto(f"{walk.url}/accreditation/review/{application.pk}/")
    fail = page.locator("form").filter(has=page.get_by_role("button", name="评估不合格"))
    fail.locator("textarea").fill("营业场所与申报材料不符")
    walk.at_each_width(page, "action-fail-form")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    fail.get_by_role("button", name="评估不合格").click()
    expect(page.get_by_test_id("consequence")).to_contain_text("反馈意见书")
    walk.at_each_width(page, "action-fail-confirm")
    application.refresh_from_db()
    assert application.status == A.ACCEPTED  # nothing happened yet
    page.get_by_role("button", name="确认").click()
    expect(
        page.get_by_text("评估不合格已记录。请在反馈截止日前发出评估结果反馈函。")
    ).to_be_visible()
    walk.at_each_width(page, "action-fail-done")
    application.refresh_from_db()
    assert application.status == A.FAILED
    page.context.close()


def _counter_sale(walk: Walk) -> None:
    """The pharmacist's sale of 3 units to 王建华; the live summary follows each entry."""
    wang = Patient.objects.get(name="王建华")
    page = walk.person("hy_pharmacist")
    page.goto(f"{walk.url}/dispensing/counter/")
    page.get_by_label("患者身份证号").fill(wang.resident_id)
    page.keyboard.press("Enter")
    summary = page.locator(".counter-summary").first
    expect(summary.get_by_role("heading", name="结算预览")).to_be_visible()
    walk.at_each_width(page, "counter-patient")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.get_by_label("本次数量").first.fill("3")
    price = Decimal(page.get_by_label("单价（元）").first.input_value())
    codes_field = page.get_by_label("追溯码").first
    codes_field.click()
    for code in codes(3):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    total = (price * 3).quantize(Decimal("0.01"))
    expect(summary.locator("[data-total=total]")).to_have_text(f"{total}")
    fund = Decimal(summary.locator("[data-total=fund]").inner_text())
    personal = Decimal(summary.locator("[data-total=personal]").inner_text())
    assert fund + personal == total and fund > 0
    walk.at_each_width(page, "counter-summary")
    page.get_by_label("已核验有效身份证件，人证一致").check()
    page.get_by_label("患者（代购人）已在结算单上签字").check()
    page.get_by_role("button", name="结算并发药").click()
    expect(page.get_by_text("结算成功")).to_be_visible()
    walk.at_each_width(page, "counter-settled")
    dispensing = Dispensing.objects.get()
    assert (dispensing.total, dispensing.fund_share) == (total, fund)
    page.context.close()


def test_each_role_a_list_an_action_and_a_sale_at_three_widths(
    browser: Browser, live_server: Any, tmp_path: Path
) -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    walk = Walk(browser, live_server)
    steps: list[Callable[[], None]] = [
        lambda: _homes(walk),
        lambda: _searched_and_exported_list(walk, tmp_path),
        lambda: _confirmed_irreversible_action(walk),
        lambda: _counter_sale(walk),
    ]
    for step in steps:
        step()
    assert not walk.overflows, "sideways scrolling:\n" + "\n".join(walk.overflows)
    assert walk.problems == []
    for width in WIDTHS:
        assert len(list((SHOTS / str(width)).glob("*.png"))) >= len(HOMES) + 7
