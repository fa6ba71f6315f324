"""The pharmacy manager's main job on the demo: import the sample purchase file (the Celery
worker of `make run` books it from the filesystem queue) and submit the quarter's stocktake
with one discrepancy (HY-E06)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.demo.conftest import Visitor

SYSTEM, COUNTED, REASON = 8, 9, 10  # columns of the count sheet (inventory/sheets.py)


def hy_manager_imports_the_sample_file_and_counts_with_one_discrepancy(
    visit: Callable[[str], Visitor], tmp_path: Path
) -> None:
    manager = visit("hy_manager")
    page = manager.page

    # 进货导入 → 下载样例文件 → upload it; the worker imports it while the page refreshes
    manager.nav("进货导入")
    download = manager.download_from(page.get_by_role("link", name="下载样例文件"))
    sample = tmp_path / download.suggested_filename
    download.save_as(sample)
    page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(sample)
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-status")).to_have_text("已导入", timeout=120_000)
    expect(page.get_by_text("已导入", exact=False).last).to_be_visible()

    # 季度盘点 → the open stocktake → download the count sheet
    manager.nav("季度盘点")
    page.get_by_role("row").filter(has_text="待盘点").get_by_role("link").first.click()
    download = manager.download_from(page.get_by_role("link", name="下载盘底表（Excel）"))
    sheet_file = tmp_path / download.suggested_filename
    download.save_as(sheet_file)
    workbook = load_workbook(sheet_file)
    sheet = workbook.active
    assert sheet is not None
    # … count every batch as the sheet says, but one box fewer of the first, with a reason
    counted = 0
    for row in range(4, sheet.max_row + 1):
        system = sheet.cell(row, SYSTEM).value
        if system is None:
            continue
        sheet.cell(row, COUNTED).value = int(system) - (0 if counted else 1)
        if not counted:
            sheet.cell(row, REASON).value = "一盒破损未报损"
        counted += 1
    assert counted, "the count sheet lists no batch"
    out = io.BytesIO()
    workbook.save(out)
    filled = tmp_path / "盘底表.xlsx"
    filled.write_bytes(out.getvalue())
    page.get_by_label("已填写的盘底表（.xlsx）").set_input_files(filled)
    page.get_by_label("提交后盘点表交医保中心审核", exact=False).check()  # its confirmation box
    page.get_by_role("button", name="上传并提交").click()
    expect(page.locator("#stocktake-status")).to_have_text("已提交待审核")
    expect(page.get_by_text("账实不符（重点核查）")).to_be_visible()
    discrepancies = page.locator("#reconciliation tr.diff")
    expect(discrepancies).to_have_count(1)
    expect(discrepancies).to_contain_text("一盒破损未报损")
    manager.assert_clean()
