from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from core.pdf import ForbiddenResource, StaticOnlyURLFetcher, render_pdf
from core.validators import mask_resident_id, validate_credit_code, validate_resident_id

VALID_ID = "11010519491231002X"
VALID_USCC = "91110000600037341L"


def test_resident_id_checksum_gb11643() -> None:
    validate_resident_id(VALID_ID)
    validate_resident_id(VALID_ID.lower())
    with pytest.raises(ValidationError, match="居民身份证号"):
        validate_resident_id("110105194912310021")  # wrong check digit
    with pytest.raises(ValidationError):
        validate_resident_id("11010519491331002X")  # no 13th month


def test_resident_id_is_masked_for_display() -> None:
    assert mask_resident_id(VALID_ID) == "110105********002X"


def test_credit_code_checksum_gb32100() -> None:
    validate_credit_code(VALID_USCC)
    with pytest.raises(ValidationError, match="统一社会信用代码"):
        validate_credit_code("91110000600037341M")


def test_pdf_renders_chinese_text(settings: object) -> None:
    pdf = render_pdf("core/pdf_smoke.html", {"title": "定点零售药店申请表"})
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "定点零售药店申请表" in text


def test_pdf_fetcher_refuses_anything_but_our_static_files() -> None:
    fetcher = StaticOnlyURLFetcher()
    with pytest.raises(ForbiddenResource):
        fetcher.fetch("https://cdn.example.com/x.css")
    with pytest.raises(ForbiddenResource):
        fetcher.fetch("file:///etc/passwd")
    response = fetcher.fetch("file:///static/css/pdf.css")
    assert b"Noto Serif CJK SC" in response.read()
