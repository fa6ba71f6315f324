"""Browser journey: the pharmacy submits → the reviewer accepts, asks for a supplement, the
pharmacy supplements, the reviewer passes → the notice is public → after the notice period
the agreement is signed and its PDF downloads."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from accreditation.models import Application
from tests.browser.conftest import browser_login
from tests.factories import PASSWORD
from tests.factories import accreditation as h

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser: Browser, live_server: Any, username: str) -> Page:
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    browser_login(page, live_server, username, PASSWORD)
    return page


def _confirm(page: Page, consequence: str) -> None:
    """The confirmation step of an irreversible action (issue 16.3): the page names the
    consequence; 确认 re-posts the action."""
    expect(page.get_by_test_id("consequence")).to_contain_text(consequence)
    page.get_by_role("button", name="确认", exact=True).click()


def test_designation_journey_from_submission_to_agreement_pdf(
    browser: Browser, live_server: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "private"
    # Start a week after today's real date: the browser keeps real time for cookies, so the
    # server's clock must not run behind it.
    start = date.today() + timedelta(days=7)
    with time_machine.travel(start, tick=True):
        pharmacy = h.pharmacy(name="衡阳县济世大药房", opened_on=start - timedelta(days=400))
        manager, reviewer = h.manager_of(pharmacy), h.reviewer()
        application = h.draft(pharmacy, h.hy(), manager)
        url = f"{live_server.url}/accreditation/applications/{application.pk}/"

        shop = _page(browser, live_server, manager.username)
        shop.goto(url)
        shop.get_by_role("button", name="提交申请").click()
        _confirm(shop, "提交后不能再修改材料和承诺")
        expect(shop.get_by_test_id("status")).to_have_text("已提交")

        desk = _page(browser, live_server, reviewer.username)
        desk.goto(f"{live_server.url}/accreditation/review/")
        desk.get_by_role("link", name="衡阳县济世大药房").click()
        desk.get_by_role("button", name="受理").click()
        _confirm(desk, "评估期限开始计算")
        expect(desk.get_by_test_id("status")).to_have_text("已受理，评估中")
        desk.get_by_label("说明").fill("请补充最近三个月的银行流水")
        desk.get_by_role("button", name="要求补充材料").click()
        _confirm(desk, "评估期限暂停")
        expect(desk.get_by_test_id("status")).to_have_text("补充材料中")

        shop.goto(url)
        expect(shop.get_by_role("alert").first).to_contain_text("请补充最近三个月的银行流水")
        statement = tmp_path / "流水.pdf"
        statement.write_bytes(h.PDF)
        shop.get_by_label("材料").select_option("payroll_and_bank")
        shop.get_by_label("文件（PDF、JPEG、PNG）").set_input_files(str(statement))
        shop.get_by_role("button", name="上传", exact=True).click()
        shop.get_by_role("button", name="补充材料已上传，提交").click()
        _confirm(shop, "评估期限继续计算")
        expect(shop.get_by_test_id("status")).to_have_text("已受理，评估中")

        desk.reload()
        desk.get_by_role("button", name="书面审核完成，进行现场查勘").click()
        for label in ("功能区域", "证件原件", "监控与人脸识别", "执业药师及岗位人员"):
            desk.get_by_label(label).check()
        # One verdict per evidence document (HY-A06, HY-A07, HY-E05).
        for box in desk.get_by_label("证明材料与现场系统核对一致").all():
            box.check()
        desk.get_by_role("button", name="保存查勘结果").click()
        # The empty demo stock fails soft conditions: the reviewer acknowledges each one.
        for box in desk.get_by_test_id("pass-form").get_by_role("checkbox").all():
            box.check()
        desk.get_by_role("button", name="评估合格").click()
        _confirm(desk, "公示期满后签订定点服务协议")
        expect(desk.get_by_test_id("status")).to_have_text("评估合格，公示中")

        public = browser.new_page()
        public.goto(f"{live_server.url}/public/notices/")
        expect(public.get_by_test_id("notices")).to_contain_text("衡阳县济世大药房")
        notice_ends_on = Application.objects.get(pk=application.pk).notice_ends_on
        assert notice_ends_on is not None
        expect(public.get_by_test_id("notices")).to_contain_text(notice_ends_on.isoformat())

    with time_machine.travel(notice_ends_on + timedelta(days=1), tick=True):
        desk = _page(browser, live_server, reviewer.username)
        desk.goto(f"{live_server.url}/accreditation/review/{application.pk}/")
        desk.get_by_role("button", name="签订定点服务协议").click()
        _confirm(desk, "定点资格即日生效")
        expect(desk.get_by_test_id("status")).to_have_text("已签订协议")
        shop = _page(browser, live_server, manager.username)
        shop.goto(url)
        with shop.expect_download() as download:
            shop.get_by_role("link", name="下载定点服务协议（PDF）").click()
        content = Path(download.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(content)).pages)
    assert "特门服务定点零售药店服务协议" in text and "衡阳县济世大药房" in text
