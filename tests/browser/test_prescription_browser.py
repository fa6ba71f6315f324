"""The demo physician issues a free prescription of two drugs; the demo pharmacist records a
paper prescription with its seal image and lands at the counter with both ready to dispense."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from accounts.demo import DEMO_PASSWORD
from patients.models import Patient
from prescriptions.models import Prescription, PrescriptionSource
from tests.browser.conftest import browser_login
from tests.factories.prescriptions import PNG

pytestmark = pytest.mark.browser
CAPTOPRIL = "卡托普利片 25mg×100片（片剂）"


def test_physician_issues_and_pharmacist_records_a_paper_prescription(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    wang = Patient.objects.get(name="王建华")
    seal = tmp_path / "seal.png"
    seal.write_bytes(PNG)
    before = set(Prescription.objects.values_list("pk", flat=True))

    # The physician opens 开具处方 from the workspace and finds the patient by ID
    browser_login(page, live_server, "hy_physician", DEMO_PASSWORD)
    page.get_by_role("link", name="开具处方").first.click()
    expect(page.get_by_text("HY-F04", exact=False).first).to_be_visible()
    page.get_by_label("患者身份证号").fill(wang.resident_id)
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("heading", name="王建华", exact=False)).to_be_visible()

    # … 31 days on a normal prescription is refused with HY-E02
    page.get_by_label("药品", exact=True).nth(0).select_option(label=CAPTOPRIL)
    page.get_by_label("用法用量", exact=True).nth(0).fill("每日两次，每次一片")
    page.get_by_label("数量", exact=True).nth(0).fill("62")
    page.get_by_label("用药天数", exact=True).nth(0).fill("31")
    page.get_by_role("button", name="开具处方（免费）").click()
    expect(page.get_by_text("[HY-E02]", exact=False)).to_be_visible()

    # … so 30 days, and a second drug added with the “添加药品” button
    page.get_by_label("用药天数", exact=True).nth(0).fill("30")
    page.get_by_label("数量", exact=True).nth(0).fill("60")
    page.get_by_role("button", name="＋ 添加药品").click()
    second = page.get_by_label("药品", exact=True).nth(1)
    options = second.locator("option").all_inner_texts()
    other = next(o for o in options if o.strip() and "卡托普利" not in o and "---" not in o)
    second.select_option(label=other)
    page.get_by_label("用法用量", exact=True).nth(1).fill("每日一次，每次一片")
    page.get_by_label("数量", exact=True).nth(1).fill("30")
    page.get_by_label("用药天数", exact=True).nth(1).fill("30")
    page.get_by_role("button", name="开具处方（免费）").click()
    expect(page.get_by_text("已开具", exact=False)).to_be_visible()
    expect(page.get_by_text("特门处方由定点医院免费开具，HY-F04")).to_be_visible()
    (issued_pk,) = set(Prescription.objects.values_list("pk", flat=True)) - before
    issued = Prescription.objects.get(pk=issued_pk)
    assert issued.items.count() == 2 and issued.fee == 0

    # The pharmacist records a paper prescription brought by the same patient
    page.context.clear_cookies()
    browser_login(page, live_server, "hy_pharmacist", DEMO_PASSWORD)
    page.get_by_role("link", name="录入外配处方").first.click()
    page.get_by_label("患者身份证号").fill(wang.resident_id)
    page.get_by_role("button", name="查找").click()
    page.get_by_label("开方机构").fill("衡阳市中心医院")
    page.get_by_label("处方医师").fill("周医生")
    page.get_by_label("开具日期").fill(issued.issued_on.isoformat())
    page.get_by_label("药品", exact=True).nth(0).select_option(label=CAPTOPRIL)
    page.get_by_label("用法用量", exact=True).nth(0).fill("每日两次，每次一片")
    page.get_by_label("数量", exact=True).nth(0).fill("20")
    page.get_by_label("用药天数", exact=True).nth(0).fill("10")
    # … without the seal image it is refused with GY-D02
    page.get_by_role("button", name="录入处方").click()
    expect(page.get_by_text("[GY-D02]", exact=False)).to_be_visible()
    page.get_by_label("医师签名或盖章的处方图片").set_input_files(str(seal))
    page.get_by_label("数量", exact=True).nth(0).fill("20")
    # … an ordinary one would be the second this month (HY 五(二), HY-E02): long-term
    page.get_by_label("长期处方").check()
    page.get_by_role("button", name="录入处方").click()

    # … and lands on the counter, where both prescriptions wait to be dispensed
    expect(page.get_by_text("已录入", exact=False)).to_be_visible()
    paper = Prescription.objects.get(source=PrescriptionSource.PAPER)
    assert paper.seal_image and paper.physician_name == "周医生"
    expect(page.get_by_role("link", name=paper.number)).to_be_visible()
    expect(page.get_by_role("link", name=issued.number)).to_be_visible()
