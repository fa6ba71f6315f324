"""A window clerk lodges a filing → hospital preliminary review → roster → expert approves →
the patient is enrolled; all through Chromium, in the April round."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from accounts.models import Role
from patients.models import Enrolment
from tests.browser.conftest import browser_login
from tests.factories import PASSWORD, member
from tests.factories.patients import bureau, clerk, hospital, resident_id, township_window

pytestmark = pytest.mark.browser


def _page(browser: Browser) -> Page:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _confirm(page: Page, consequence: str) -> None:
    """The confirmation step of an irreversible action (issue 16.3)."""
    expect(page.get_by_test_id("consequence")).to_contain_text(consequence)
    page.get_by_role("button", name="确认", exact=True).click()


def test_filing_journey_from_window_to_enrolment(
    browser: Browser, live_server: Any, transactional_db: Any
) -> None:
    with time_machine.travel("2027-04-12 09:00 +0800"):
        h = hospital()
        township = clerk(township_window(), username="township_clerk")
        hospital_clerk = clerk(h, username="hospital_clerk")
        member(Role.BENEFITS_OFFICER, organisation=bureau(), username="benefits")
        expert = member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert")
        expert.full_name = "陈志远"
        expert.save()

        # The township clerk looks the person up by ID, fills the form, ticks the checklist.
        page = _page(browser)
        browser_login(page, live_server, township.username, PASSWORD)
        page.goto(f"{live_server.url}/tm/lodge/")
        page.get_by_label("按身份证号查找患者").fill(resident_id(21))
        page.get_by_role("button", name="查找").click()
        expect(page.get_by_text("未找到，请录入新患者资料。")).to_be_visible()
        page.get_by_label("姓名").fill("陈国强")
        page.get_by_label("参保类型").select_option(label="城乡居民医保")
        page.get_by_label("申报病种").select_option(label="冠心病")
        page.get_by_label("初审医院").select_option(label="衡阳县人民医院")
        page.get_by_label("住院资料出具医院").fill("衡阳县人民医院")
        for material in (
            "住院病历首页",
            "疾病诊断书",
            "入出院记录",
            "检查报告单",
            "身份证复印件",
            "社保卡复印件",
        ):
            page.get_by_label(material).check()
        page.get_by_role("button", name="受理", exact=True).click()
        expect(page.locator("#filing-status")).to_have_text("已受理")
        filing_url = page.url

        # The hospital reviews it and submits the roster.
        page = _page(browser)
        browser_login(page, live_server, hospital_clerk.username, PASSWORD)
        page.goto(filing_url)
        page.get_by_label("初审通过", exact=True).check()  # no decision is pre-selected
        page.get_by_role("button", name="提交初审结论").click()
        _confirm(page, "列入初审名册")
        expect(page.locator("#filing-status")).to_have_text("初审通过")
        page.goto(f"{live_server.url}/tm/rosters/")
        page.get_by_role("button", name="生成名册并报送待遇保障股").click()
        _confirm(page, "报送后名册不能修改或撤回")
        expect(page.get_by_role("link", name="下载 PDF")).to_be_visible()

        # The benefits officer assigns an expert.
        page = _page(browser)
        browser_login(page, live_server, "benefits", PASSWORD)
        page.goto(filing_url)
        page.get_by_label("评审专家").select_option(label="陈志远")
        page.get_by_role("button", name="分配").click()
        expect(page.locator("#filing-status")).to_have_text("专家评审中")

        # The expert approves with the benefit start date.
        page = _page(browser)
        browser_login(page, live_server, "expert", PASSWORD)
        page.goto(f"{live_server.url}/tm/")
        page.get_by_role("link", name="TM").first.click()
        page.get_by_label("通过", exact=True).check()
        page.get_by_label("待遇开始日期").fill("2027-05-01")
        page.get_by_role("button", name="提交评审决定").click()
        _confirm(page, "患者自待遇开始日期起享受待遇")
        expect(page.locator("#filing-status")).to_have_text("评审通过")

    enrolment = Enrolment.objects.get(patient__name="陈国强")
    assert enrolment.starts_on.isoformat() == "2027-05-01"
