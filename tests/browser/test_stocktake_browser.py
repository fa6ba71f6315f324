"""A pharmacy downloads its count sheet, uploads it counted with one discrepancy, and the
bureau sees the discrepancy and the priority-inspection finding (HY-E06)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from accounts.models import Role, User
from core.calendar import quarter_bounds
from inventory.models import MovementKind, Stocktake
from inventory.services import stocktakes_open_for_period
from programmes.models import Programme
from tests.browser.conftest import browser_login
from tests.factories import PASSWORD
from tests.factories.inventory import DrugFactory, at, book
from tests.factories.pharmacies import PharmacyFactory

pytestmark = pytest.mark.browser


def test_pharmacy_counts_and_bureau_sees_the_discrepancy(
    browser: Browser, page: Page, live_server: Any, personas: dict[str, User], tmp_path: Path
) -> None:
    # Given a pharmacy with a ledger in the quarter just ended and its stocktake open
    manager = personas[Role.PHARMACY_MANAGER]
    pharmacy = PharmacyFactory.create(organisation=manager.memberships.get().organisation)
    this_quarter, _ = quarter_bounds(timezone.localdate())
    day = this_quarter - timedelta(days=30)
    drug = DrugFactory.create(insurance_code="XC0000000001", generic_name="苯磺酸氨氯地平片")
    book(pharmacy, drug, MovementKind.PURCHASE, 50, at(day), batch_no="AM01")
    book(pharmacy, drug, MovementKind.SALE, 8, at(day + timedelta(days=1)), batch_no="AM01")
    hy = Programme.objects.get(code="HY-TM")
    stocktakes_open_for_period(programme=hy, pharmacies=[pharmacy], today=timezone.localdate())
    stocktake = Stocktake.objects.get()

    # When the pharmacy downloads its count sheet …
    browser_login(page, live_server, manager.username, PASSWORD)
    page.goto(f"{live_server.url}/inventory/stocktakes/")
    page.get_by_role("link", name=stocktake.period_start.isoformat(), exact=False).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载盘底表（Excel）").click()
    sheet_path = tmp_path / "sheet.xlsx"
    download_info.value.save_as(sheet_path)
    workbook = load_workbook(sheet_path)
    sheet = workbook.active
    assert sheet is not None
    assert sheet["F4"].value == "AM01" and sheet["H4"].value == 42
    # … counts one box fewer, with a reason, and uploads it
    sheet["I4"] = 41
    sheet["J4"] = "一盒破损未报损"
    out = io.BytesIO()
    workbook.save(out)
    counted_path = tmp_path / "counted.xlsx"
    counted_path.write_bytes(out.getvalue())
    page.get_by_label("已填写的盘底表（.xlsx）").set_input_files(str(counted_path))
    page.get_by_label("提交后盘点表交医保中心审核", exact=False).check()  # its confirmation box
    page.get_by_role("button", name="上传并提交").click()
    expect(page.locator("#stocktake-status")).to_have_text("已提交待审核")
    expect(page.locator("#reconciliation")).to_contain_text("一盒破损未报损")

    # Then, after the scheduled rules scan (supervision.rules_scan) has run, the bureau sees the
    # discrepancy as a priority-inspection finding (SV-F03)
    from supervision.engine import rules_scan

    rules_scan()
    context = browser.new_context(locale="zh-CN")
    bureau = context.new_page()
    bureau.set_default_timeout(15_000)
    browser_login(bureau, live_server, personas[Role.BUREAU_REVIEWER].username, PASSWORD)
    bureau.goto(f"{live_server.url}/supervision/findings/")
    expect(bureau.locator("#findings")).to_contain_text("重点核查")
    bureau.get_by_role("link", name="进销存不平衡", exact=False).click()
    expect(bureau.locator("body")).to_contain_text("一盒破损未报损")
    bureau.get_by_role("link", name="查看盘点").click()
    expect(bureau.locator("#reconciliation")).to_contain_text("-1")
    bureau.get_by_role("button", name="审核通过").click()
    expect(bureau.get_by_test_id("consequence")).to_contain_text("账面库存按实盘调整")
    bureau.get_by_role("button", name="确认", exact=True).click()
    expect(bureau.locator("#stocktake-status")).to_have_text("已审核")
    context.close()
