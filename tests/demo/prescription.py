"""The physician's main job on the demo: issue a free 特门 prescription (HY-F04) for an enrolled
patient from the disease's drug scope (HY-G10)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.demo.conftest import Visitor

WANG = "430400195803121012"  # 王建华, enrolled for hypertension


def hy_physician_issues_a_prescription(visit: Callable[[str], Visitor], tmp_path: Path) -> None:
    physician = visit("hy_physician")
    page = physician.page
    physician.nav("开具处方")
    page.get_by_label("患者身份证号").fill(WANG)
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("heading", name="王建华")).to_be_visible()
    # A drug of the hypertension scope other than the demo's 卡托普利片 (the counter's test
    # dispenses that one)
    drug = page.get_by_label("药品", exact=True).first
    options = [o.strip() for o in drug.locator("option").all_inner_texts()]
    other = next(o for o in options if o and "---" not in o and "卡托普利" not in o)
    drug.select_option(label=other)
    page.get_by_label("用法用量", exact=True).first.fill("每日一次，每次一片，口服")
    page.get_by_label("数量", exact=True).first.fill("30")
    page.get_by_label("用药天数", exact=True).first.fill("30")
    page.get_by_role("button", name="开具处方（免费）").click()
    expect(page.get_by_text("已开具", exact=False).first).to_be_visible()
    expect(page.get_by_text("HY-F04", exact=False).first).to_be_visible()
    physician.nav("处方记录")
    expect(page.get_by_role("row").filter(has_text=other.split()[0]).first).to_be_visible()
    physician.assert_clean()
