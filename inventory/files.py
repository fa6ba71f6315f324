"""Uploaded spreadsheets: size limit, type sniffed from content, zip-bomb check for xlsx
(core.uploads.check_xlsx)."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.uploads import check_xlsx

EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"%PDF", b"\xff\xd8\xff", b"\x89PNG")


def sniff_spreadsheet(name: str, data: bytes) -> str:
    """'csv' or 'xlsx' when the content is what the extension claims; DomainError otherwise."""
    limit = settings.DINGDIAN_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise DomainError(
            _("文件过大（%(size).1f MB），上限 %(limit).1f MB。")
            % {"size": len(data) / 1048576, "limit": limit / 1048576}
        )
    if not data:
        raise DomainError(_("文件为空。"))
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xlsx":
        check_xlsx(data)
        return "xlsx"
    if suffix == ".csv":
        if data.startswith(EXECUTABLE_MAGIC) or data.startswith(b"PK") or b"\x00" in data[:4096]:
            raise DomainError(_("文件内容不是 CSV 文本，请勿修改扩展名。"))
        return "csv"
    raise DomainError(_("只接受 .xlsx 或 .csv 文件。"))


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, the two encodings Chinese spreadsheets save."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_("无法识别 CSV 文件编码，请另存为 UTF-8。"))
