"""The counter with a barcode scanner and a keyboard only (issue 16.4): the resident ID and
Enter, the quantity and Enter, the price and Enter, each traceability code and Enter; the live
summary (htmx, under the strict CSP) follows; the form fits a 390 px phone and a 768 px tablet
without sideways scrolling; the sale settles."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from accounts.demo import DEMO_PASSWORD
from patients.models import Patient
from prescriptions.models import Dispensing
from tests.browser.conftest import browser_login
from tests.factories.prescriptions import codes

pytestmark = pytest.mark.browser

WIDTHS = (1440, 768, 390)


def _overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_counter_sale_by_scanner_and_keyboard_with_live_summary_at_3_widths(
    browser: Browser, live_server: Any
) -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    wang = Patient.objects.get(name="王建华")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    browser_login(page, live_server, "hy_pharmacist", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/dispensing/counter/")
    # The scanner (or the keyboard) types the resident ID into the focused field, then Enter.
    expect(page.get_by_label("患者身份证号")).to_be_focused()
    page.keyboard.type(wang.resident_id)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="王建华", exact=False)).to_be_visible()
    summary = page.locator(".counter-summary").first
    expect(summary.get_by_role("heading", name="结算预览")).to_be_visible()  # htmx loaded it

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert _overflow(page) <= 0, width

    # The cursor waits in the first quantity: 3, Enter, the price (kept), Enter, 3 codes.
    quantity = page.get_by_label("本次数量").first
    expect(quantity).to_be_focused()
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    price = page.get_by_label("单价（元）").first
    expect(price).to_be_focused()
    unit_price = Decimal(price.input_value())
    assert price.input_value() == f"{unit_price:.2f}"  # 2 decimals, never 27.0750
    page.keyboard.press("Enter")
    expect(page.get_by_label("追溯码").first).to_be_focused()
    scanned = codes(3)
    for n, code in enumerate(scanned, start=1):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        if n < 3:
            expect(page.locator("output.badge").first).to_have_text(f"已扫 {n} / 3 件")
    expect(page.locator("output.badge").first).to_have_text("已扫 3 / 3 件")
    # One code per unit scanned: Enter moved on to the identity check.
    identity = page.get_by_label("已核验有效身份证件，人证一致")
    expect(identity).to_be_focused()

    total = (unit_price * 3).quantize(Decimal("0.01"))
    expect(summary.locator("[data-total=total]")).to_have_text(f"{total}")
    expect(summary.get_by_text("3 / 3")).to_be_visible()
    fund = Decimal(summary.locator("[data-total=fund]").inner_text())
    personal = Decimal(summary.locator("[data-total=personal]").inner_text())
    assert fund + personal == total and fund > 0

    for width in WIDTHS:  # the filled form and its summary still fit
        page.set_viewport_size({"width": width, "height": 900})
        assert _overflow(page) <= 0, width
    page.set_viewport_size({"width": 390, "height": 900})

    page.keyboard.press("Space")  # tick, Enter on
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    expect(page.get_by_label("患者（代购人）已在结算单上签字")).to_be_checked()
    for key in ("Enter", "Enter", "Enter", "Tab", "Tab"):  # 实收, 审方药师, 录像, 代购, the button
        page.keyboard.press(key)
    expect(page.get_by_role("button", name="结算并发药")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("结算成功")).to_be_visible()
    dispensing = Dispensing.objects.get()
    assert dispensing.total == total
    assert (dispensing.fund_share, dispensing.personal_share) == (fund, personal)
    assert sorted(c for line in dispensing.lines.all() for c in line.traceability_codes) == sorted(
        scanned
    )
    assert problems == []
    context.close()
