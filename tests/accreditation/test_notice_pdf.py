"""HY-C03: the public notice of evaluation results as a PDF, public while the notice runs."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from tests.factories import accreditation as h

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    """The text of every page, without the line breaks a table cell may add."""
    pages = PdfReader(BytesIO(content)).pages
    return "".join(page.extract_text() for page in pages).replace("\n", "")


def test_hy_c03_notice_pdf_lists_the_batch_with_its_period_and_links_from_the_page(
    django_assert_num_queries: Any,
) -> None:
    reviewer = h.reviewer()
    first, second = h.pharmacy(name="衡阳县康宁大药房"), h.pharmacy(name="衡阳县仁和大药房")
    later = h.pharmacy(name="衡阳县百草堂药房")
    with time_machine.travel(date(2026, 9, 28)):
        notice = h.passed(first, h.hy(), h.manager_of(first), reviewer)
        h.passed(second, h.hy(), h.manager_of(second), reviewer)
    with time_machine.travel(date(2026, 9, 29)):
        h.passed(later, h.hy(), h.manager_of(later), reviewer)  # another period: another notice
    anonymous = Client()
    with time_machine.travel(date(2026, 10, 5)):
        page = anonymous.get("/public/notices/").content.decode()
        assert f"/public/notices/{notice.pk}.pdf" in page
        with django_assert_num_queries(5):  # notices, agency, calendar (3)
            response = anonymous.get(f"/public/notices/{notice.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "20260928.pdf" in disposition
    assert "filename*=utf-8''" in disposition  # the Chinese name, RFC 5987
    text = _pdf_text(response.content)
    assert "定点药店评估结果公示" in text and "公示期" in text
    assert "2026年9月28日" in text and "2026年10月10日" in text
    assert "衡阳县康宁大药房" in text and "衡阳县仁和大药房" in text and "合格" in text
    assert "衡阳县百草堂药房" not in text


def test_hy_c03_notice_pdf_is_404_before_and_after_its_period_and_for_other_applications() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    with time_machine.travel(date(2026, 9, 28)):
        notice = h.passed(pharmacy, h.hy(), manager, reviewer)
        other = h.pharmacy()
        submitted = h.submitted(other, h.hy(), h.manager_of(other))
        assert Client().get(f"/public/notices/{submitted.pk}.pdf").status_code == 404
    with time_machine.travel(date(2026, 9, 27)):
        assert Client().get(f"/public/notices/{notice.pk}.pdf").status_code == 404
    with time_machine.travel(date(2026, 10, 12)):
        assert Client().get(f"/public/notices/{notice.pk}.pdf").status_code == 404
