"""The pages of issue 16 on the demo: the reviewer's home says what waits and leads to the
charts, whose numbers export to Excel; the window clerk downloads a decided filing's PDF
result notice. (The demo runs with DJANGO_DEBUG=1, so a 404 there is Django's debug page; the
portal's own error pages are tested in tests/core/test_error_pages.py.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.demo.conftest import Visitor


def reviewer_sees_what_waits_opens_the_charts_and_exports_one(
    visit: Callable[[str], Visitor], tmp_path: Path
) -> None:
    reviewer = visit("hy_reviewer")
    page = reviewer.page
    expect(page.get_by_test_id("waiting")).to_be_visible()
    page.get_by_role("link", name="查看统计图表与数据导出").click()
    chart = page.locator("section.chart").first
    image = chart.locator("img")
    image.scroll_into_view_if_needed()
    src = image.get_attribute("src")
    assert src
    svg = page.request.get(src)
    assert svg.status == 200 and svg.headers["content-type"].startswith("image/svg+xml"), svg
    # The browser draws it (the page's CSP lets the portal's own images load).
    page.wait_for_function("document.querySelector('section.chart img').naturalWidth > 0")
    download = reviewer.download_from(chart.get_by_role("link", name="导出 Excel"))
    saved = tmp_path / "chart.xlsx"
    download.save_as(saved)
    assert load_workbook(saved).active.max_row >= 1
    reviewer.assert_clean()


def window_downloads_the_result_notice_of_a_decided_filing(
    visit: Callable[[str], Visitor], tmp_path: Path
) -> None:
    window = visit("hy_window")
    page = window.page
    window.nav("特门申报")
    page.get_by_role("row").filter(has_text="评审通过").get_by_role("link").first.click()
    download = window.download_from(page.get_by_test_id("receipt-pdf"))
    saved = tmp_path / "receipt.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    window.assert_clean()
