"""A pharmacist dispenses a demo prescription to a proxy at the counter and prints the slip."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accounts.demo import DEMO_PASSWORD
from patients.models import Patient
from prescriptions.demo import PROXY_NAME, PROXY_RESIDENT_ID
from prescriptions.models import Dispensing
from tests.browser.conftest import browser_login
from tests.factories.prescriptions import PNG, codes

pytestmark = pytest.mark.browser


def test_pharmacist_dispenses_to_a_proxy_and_prints_the_slip(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    wang = Patient.objects.get(name="王建华")
    photo = tmp_path / "purchase-list.png"
    photo.write_bytes(PNG)

    # The pharmacist opens the counter from the workspace and finds the patient by ID
    browser_login(page, live_server, "hy_pharmacist", DEMO_PASSWORD)
    page.get_by_role("link", name="配药结算").first.click()
    page.get_by_label("患者身份证号").fill(wang.resident_id)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name="王建华", exact=False)).to_be_visible()

    # … dispenses 3 boxes, scanning one code per box, to his registered proxy
    page.get_by_label("本次数量").fill("3")
    page.get_by_label("追溯码").fill("\n".join(codes(3)))
    page.get_by_label("已核验有效身份证件，人证一致").check()
    page.get_by_label("患者（代购人）已在结算单上签字").check()
    page.get_by_text("代购", exact=True).click()
    page.get_by_label("代购（代购人出示本人及患者身份证）").check()
    page.get_by_label("代购人姓名").fill(PROXY_NAME)
    page.get_by_label("代购人身份证号").fill(PROXY_RESIDENT_ID)
    page.get_by_label("代购人签字的购药清单照片").set_input_files(str(photo))
    page.get_by_role("button", name="结算并发药").click()
    expect(page.get_by_text("结算成功")).to_be_visible()

    # … and prints the settlement slip naming the proxy
    dispensing = Dispensing.objects.get()
    assert dispensing.is_proxy and dispensing.pharmacist.username == "hy_pharmacist"
    slip_link = page.get_by_role("link", name="打印结算单")
    href = slip_link.get_attribute("href")
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "特门购药结算单" in text and PROXY_NAME in text and "王建华" in text
