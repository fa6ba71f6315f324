"""A pharmacist records a loss by hand from the stock on hand and finds it in the ledger."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from inventory.models import MovementKind, StockBatch
from tests.browser.conftest import browser_login
from tests.factories import PASSWORD
from tests.factories.inventory import DrugFactory, at, book
from tests.factories.pharmacies import PharmacyFactory

pytestmark = pytest.mark.browser


def test_pharmacist_records_a_loss_and_finds_it_in_the_ledger(
    page: Page, live_server: Any, personas: dict[str, User]
) -> None:
    pharmacist = personas[Role.PHARMACIST]
    pharmacy = PharmacyFactory.create(organisation=pharmacist.memberships.get().organisation)
    drug = DrugFactory.create(insurance_code="XC0000000001", generic_name="苯磺酸氨氯地平片")
    yesterday = timezone.localdate() - timedelta(days=1)
    book(pharmacy, drug, MovementKind.PURCHASE, 12, at(yesterday), batch_no="AM01")

    browser_login(page, live_server, pharmacist.username, PASSWORD)
    page.get_by_role("link", name="出入库登记").first.click()
    page.get_by_role("link", name="报损").click()
    page.get_by_label("批次").select_option(
        label="苯磺酸氨氯地平片 10mg×30片｜批号 AM01｜库存 12｜有效期至 2028-01-01"
    )
    # Too many: refused on the quantity field, nothing booked
    page.get_by_label("数量").fill("13")
    page.get_by_label("报损原因").fill("包装破损")
    page.get_by_role("button", name="登记").click()
    expect(page.locator(".error")).to_contain_text("数量：数量 13 超过批次")
    page.get_by_label("数量").fill("2")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#movement-detail")).to_contain_text("包装破损")
    assert StockBatch.objects.get().quantity == 10

    page.goto(f"{live_server.url}/inventory/movements/?kind=loss")
    expect(page.locator("#movements")).to_contain_text("苯磺酸氨氯地平片")
    expect(page.locator("#movements")).to_contain_text("-2")
