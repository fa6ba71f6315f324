"""One helper per kind of download (core.responses, core.exports): content type, a Chinese
filename every browser reads, attachment or inline, and spreadsheet cells that cannot run."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from openpyxl import load_workbook
from pypdf import PdfReader

from core.exports import csv_response, xlsx_response
from core.responses import pdf_response


def test_pdf_response_renders_the_template_with_a_chinese_filename() -> None:
    response = pdf_response(
        "prescriptions/statement_pdf.html",
        {"lines": [], "month": None, "printed": None},
        "盘点表-7.pdf",
    )
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('盘点表-7.pdf')}"
    )
    assert len(PdfReader(io.BytesIO(response.content)).pages) >= 1
    shown = pdf_response(
        "prescriptions/statement_pdf.html",
        {"lines": [], "month": None, "printed": None},
        "RX-1.pdf",
        inline=True,
    )
    assert shown["Content-Disposition"] == 'inline; filename="RX-1.pdf"'


def test_xlsx_response_neutralises_formulas_and_names_the_file() -> None:
    response = xlsx_response(
        "进货台账.xlsx", ["药店名称", "数量"], [['=HYPERLINK("x")', 3], ["康民大药房", -2]]
    )
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert (
        response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('进货台账.xlsx')}"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None and sheet.title == "进货台账"
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows == [["药店名称", "数量"], ['\'=HYPERLINK("x")', 3], ["康民大药房", -2]]


def test_csv_response_neutralises_formulas_and_opens_in_excel_with_chinese() -> None:
    response = csv_response("ledger.csv", ["通用名"], [["@SUM(A1)"], ["-1+1"], ["卡托普利片"]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ledger.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel and WPS need
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["通用名"], ["'@SUM(A1)"], ["'-1+1"], ["卡托普利片"]]
