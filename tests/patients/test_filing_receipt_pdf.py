"""The filing receipt (受理回执) and the notice of the result (结果告知书) as PDFs."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from core.models import AuditAction, AuditEvent
from patients.models import FilingStatus
from patients.services import filing_preliminary_review
from tests.factories.patients import clerk, hospital, lodge, patient, township_window
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
APRIL = "2027-04-12 10:00 +0800"


def _as(user: Any) -> Client:
    return login(Client(), user)


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_window_downloads_the_receipt_pdf_from_the_filing_page_and_it_is_audited() -> None:
    window = township_window()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient(name="陈国强"), at=window)
        c = _as(clerk(window, username="township"))
        page = c.get(f"/tm/filings/{filing.pk}/").content.decode()
        assert f"/tm/filings/{filing.pk}/receipt.pdf" in page and "下载 PDF" in page
        response = c.get(f"/tm/filings/{filing.pk}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"{filing.number}.pdf" in disposition
    assert "filename*=utf-8''" in disposition
    text = _pdf_text(response.content)
    assert "特门申报受理回执" in text and filing.number in text and "陈国强" in text
    assert window.name in text and "2027-04-12" in text
    assert filing.patient.resident_id not in text and filing.patient.masked_id in text
    assert AuditEvent.objects.filter(
        action=AuditAction.DOCUMENT, detail=f"filing {filing.number} receipt pdf"
    ).exists()


def test_notice_of_result_pdf_names_the_reason_for_the_reviewing_hospital() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient())
        hc = clerk(h, username="hosp_clerk")
        filing_preliminary_review(
            filing=filing, passed=False, reason="住院资料不全", actor=hc, organisation=h
        )
        filing.refresh_from_db()
        assert filing.status == FilingStatus.PRELIMINARY_REJECTED
        response = _as(hc).get(f"/tm/filings/{filing.pk}/receipt.pdf")
    text = _pdf_text(response.content)
    assert "特门申报结果告知书" in text and "住院资料不全" in text


def test_outsider_gets_404_on_the_receipt_pdf_and_nothing_is_audited() -> None:
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient())
    outsider = _as(clerk(hospital("衡阳县中医医院"), username="outsider"))
    assert outsider.get(f"/tm/filings/{filing.pk}/receipt.pdf").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.DOCUMENT).exists()
