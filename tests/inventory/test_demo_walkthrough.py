"""Issue 6's acceptance, as a new user would try it on the demo data: the demo pharmacy imports
the sample purchase ledger, completes its quarterly stocktake with one discrepancy (HY-E06),
and the bureau sees the priority-inspection finding."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from config.celery import app
from inventory.models import PurchaseImport, PurchaseImportStatus, Stocktake, StocktakeStatus
from supervision.engine import rules_scan
from supervision.models import Finding, FindingPriority
from tests.factories.sessions import login


def _login(username: str) -> Client:
    """The login form; bureau demo users then type the code of their demo authenticator."""
    return login(Client(), User.objects.get(username=username), password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_demo_pharmacy_imports_counts_with_one_discrepancy_and_the_bureau_sees_it(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    manager = _login("hy_manager")
    # The pharmacy downloads the sample purchase file and uploads it
    sample = manager.get("/inventory/imports/sample.xlsx")
    assert sample.status_code == 200
    upload = io.BytesIO(sample.content)
    upload.name = "进货台账.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post("/inventory/imports/", {"file": upload})
    record = PurchaseImport.objects.get()
    assert record.status == PurchaseImportStatus.IMPORTED, record.errors
    assert "已导入" in manager.get(response["Location"]).content.decode()
    # It downloads the open quarterly stocktake's count sheet, counts one box fewer with a
    # reason and uploads it
    stocktake = Stocktake.objects.get(
        pharmacy__organisation__memberships__user__username="hy_manager"
    )
    assert stocktake.status == StocktakeStatus.OPEN
    sheet = manager.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx")
    workbook = load_workbook(io.BytesIO(sheet.content))
    rows = workbook.active
    assert rows is not None
    counted = 0
    for number in range(4, rows.max_row + 1):
        system = rows.cell(number, 8).value
        if system is None:
            continue
        if not counted:
            rows.cell(number, 9).value = int(system) - 1
            rows.cell(number, 10).value = "一盒破损未报损"
        else:
            rows.cell(number, 9).value = int(system)
        counted += 1
    assert counted
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "盘底表.xlsx"
    manager.post(f"/inventory/stocktakes/{stocktake.pk}/upload/", {"file": out, "confirmed": "1"})
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.SUBMITTED
    # The bureau reviewer sees the priority-inspection finding with the reason
    rules_scan()  # the worker's beat runs it every few minutes
    finding = Finding.objects.get(rule_id="SV-F03", priority=FindingPriority.PRIORITY_INSPECTION)
    reviewer = _login("hy_reviewer")
    assert "重点核查" in reviewer.get("/supervision/findings/").content.decode()
    detail = reviewer.get(f"/supervision/findings/{finding.pk}/").content.decode()
    assert "一盒破损未报损" in detail
