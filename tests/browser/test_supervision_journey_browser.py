"""Issue 17 "done when", in Chromium on the demo data (seed_demo runs the rules scan): the scan
has raised findings of at least five SV rules; the reviewer opens a case from one (立案核查),
assigns an inspector and plans the date; the inspector records the checklist and concludes with
a payment refusal (confirmed on the confirmation page that names the consequence); the pharmacy
manager's monthly fund statement (GY-D03) of the decision's month shows the deduction
(拒付扣减) with the decision named. Screenshots go to var/screenshots/supervision/."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.demo import DEMO_PASSWORD
from programmes.models import Programme
from supervision.case_models import CaseStatus, InspectionCase
from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "supervision"
REFUSED = "123.45"


def _page(browser: Browser, live_server: Any, username: str) -> Page:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    browser_login(page, live_server, username, DEMO_PASSWORD)
    return page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sv_scan_case_refusal_reaches_the_monthly_statement(
    browser: Browser, live_server: Any
) -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    # The reviewer sees the scan's findings: five different SV rules on the demo data.
    reviewer = _page(browser, live_server, "hy_reviewer")
    reviewer.goto(f"{base}/supervision/findings/")
    rules = set(re.findall(r"SV-F\d\d", reviewer.locator("main table").inner_text()))
    assert len(rules) >= 5, rules
    _shot(reviewer, "01-findings")

    # A finding's page: 立案核查 under the 特门 programme.
    reviewer.get_by_role("row").filter(has_text="SV-F02").get_by_role("link").first.click()
    expect(reviewer.get_by_role("button", name="立案核查")).to_be_visible()
    hy_tm = Programme.objects.get(code="HY-TM")
    reviewer.locator("select[name=programme]").select_option(str(hy_tm.pk))
    _shot(reviewer, "02-finding")
    reviewer.get_by_role("button", name="立案核查").click()
    expect(reviewer.get_by_text("已立案，请指派检查人员并安排检查日期。")).to_be_visible()
    case = InspectionCase.objects.get()
    assert reviewer.url.endswith(f"/supervision/cases/{case.pk}/")

    # Assigns an inspector: 李建国 (hy_admin) of the same bureau.
    reviewer.locator("select[name=inspector]").select_option(label="李建国")
    reviewer.get_by_role("button", name="指派", exact=True).click()
    expect(reviewer.get_by_text("已指派检查人员。")).to_be_visible()
    # And plans the inspection for today (the decision's month is this month).
    reviewer.locator("[name=planned_on]").fill(f"{timezone.localdate():%Y-%m-%d}")
    reviewer.get_by_role("button", name="安排检查").click()
    expect(reviewer.get_by_text("检查日期已安排。")).to_be_visible()
    _shot(reviewer, "03-case-assigned")
    reviewer.context.close()

    # The inspector records what was checked and concludes with a payment refusal.
    inspector = _page(browser, live_server, "hy_admin")
    inspector.goto(f"{base}/supervision/cases/{case.pk}/")
    first_check = inspector.locator("select[name^=result_]").first
    first_check.select_option("issue")
    inspector.get_by_role("button", name="保存检查记录").click()
    expect(inspector.get_by_text("检查记录已保存。")).to_be_visible()
    inspector.locator("[name=outcome][value=violation]").check()
    inspector.locator("[name=conclusion]").fill("处方药品与所配药品不一致，串换药品")
    inspector.locator("[name=decision][value=refuse_payment]").check()
    inspector.locator("[name=rule_id]").fill("HY-G10")
    inspector.locator("[name=refused_amount]").fill(REFUSED)
    inspector.get_by_role("button", name="办结", exact=True).click()
    # The confirmation page names the consequence; nothing has changed yet.
    expect(inspector.get_by_test_id("consequence")).to_contain_text("结算单中扣减")
    case.refresh_from_db()
    assert case.status != CaseStatus.CONCLUDED
    _shot(inspector, "04-conclude-confirm")
    inspector.get_by_role("button", name="确认").click()
    expect(inspector.get_by_text("案件已办结", exact=False).first).to_be_visible()
    expect(inspector.locator("main")).to_contain_text(f"拒付金额 {REFUSED} 元")
    expect(inspector.locator("main")).to_contain_text("已安排检查 → 已办结")  # labels, not values
    _shot(inspector, "05-case-concluded")
    inspector.context.close()
    case.refresh_from_db()
    assert case.status == CaseStatus.CONCLUDED and case.violation is not None

    # The pharmacy's statement of the decision's month shows the deduction.
    manager = _page(browser, live_server, "hy_manager")
    month = f"{timezone.localdate():%Y-%m}"
    manager.goto(f"{base}/dispensing/statement/?month={month}")
    table = manager.locator("main table")
    header = [c.strip() for c in table.locator("thead th").all_inner_texts()]
    refused_column = header.index("拒付扣减")
    row = table.locator("tbody tr").filter(has_text=case.pharmacy.organisation.name)
    assert row.locator("td").nth(refused_column).inner_text().strip() == REFUSED
    expect(manager.locator("ul.deductions")).to_contain_text(f"拒付 {REFUSED} 元")
    expect(manager.locator("ul.deductions")).to_contain_text("HY-G10")
    _shot(manager, "06-statement")
    manager.context.close()
