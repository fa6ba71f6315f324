"""The bureau reviewer's main job on the demo: take an application from acceptance through the
on-site inspection to the public notice (衡阳县仁心药店, submitted), and sign the agreement of
one whose notice is over (衡阳县福康药房), whose PDF downloads."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.demo.conftest import Visitor


def hy_reviewer_accepts_inspects_passes_and_signs_an_agreement(
    visit: Callable[[str], Visitor], tmp_path: Path
) -> None:
    reviewer = visit("hy_reviewer")
    page = reviewer.page
    status = page.get_by_test_id("status")

    reviewer.nav("定点申请工作清单")
    page.get_by_role("link", name="衡阳县仁心药店").click()
    page.get_by_role("button", name="受理").click()
    reviewer.confirm("评估期限开始计算")
    expect(status).to_have_text("已受理，评估中")
    page.get_by_role("button", name="书面审核完成，进行现场查勘").click()
    for label in ("功能区域", "证件原件", "监控与人脸识别", "执业药师及岗位人员"):
        page.get_by_label(label).check()
    # One verdict per evidence document (HY-A06, HY-A07, HY-E05).
    for box in page.get_by_label("证明材料与现场系统核对一致").all():
        box.check()
    page.get_by_role("button", name="保存查勘结果").click()
    # Soft conditions the demo stock leaves failing: the reviewer acknowledges each one.
    for box in page.get_by_test_id("pass-form").get_by_role("checkbox").all():
        box.check()
    page.get_by_role("button", name="评估合格").click()
    reviewer.confirm("签订定点服务协议")
    expect(status).to_have_text("评估合格，公示中")

    reviewer.nav("定点申请工作清单")
    page.get_by_role("link", name="衡阳县福康药房").click()
    page.get_by_role("button", name="签订定点服务协议").click()
    reviewer.confirm("定点资格即日生效")
    expect(status).to_have_text("已签订协议")
    download = reviewer.download_from(page.get_by_role("link", name="下载定点服务协议（PDF）"))
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "特门服务定点零售药店服务协议" in text and "衡阳县福康药房" in text
    reviewer.assert_clean()
