"""File downloads: every PDF, spreadsheet and CSV the portal sends goes through here, so the
content type and the Content-Disposition header (a Chinese filename included) are built once.

`pdf_response(template, context, filename)` renders an official document (core.pdf);
spreadsheets and CSV come from `core.exports.xlsx_response` / `csv_response`, which neutralise
formulas first. The caller checks access before and writes its audit row after (so a document
that fails to render is not audited as downloaded).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from core.pdf import render_pdf

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def download_response(
    content: bytes, filename: str, content_type: str, *, inline: bool = False
) -> HttpResponse:
    """`content` as a file named `filename`: saved by the browser (attachment), or shown in it
    (`inline`). A non-ASCII name is sent as RFC 5987 `filename*=utf-8''…`, which every
    browser in use reads."""
    response = HttpResponse(content, content_type=content_type)
    header = content_disposition_header(not inline, filename)
    assert header is not None  # only None for inline without a filename
    response["Content-Disposition"] = header
    return response


def pdf_response(
    template: str, context: dict[str, Any], filename: str, *, inline: bool = False
) -> HttpResponse:
    """The template rendered as a PDF (refused with MissingCJKFont without a Chinese font)."""
    return download_response(render_pdf(template, context), filename, PDF, inline=inline)
