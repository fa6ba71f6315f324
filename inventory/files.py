"""Uploaded spreadsheets: size limit, type sniffed from content, zip-bomb check for xlsx."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError

# An xlsx may expand this much in total, and no member more than this ratio: real sheets
# compress about 5–20×, a zip bomb thousands of times.
MAX_XLSX_EXPANSION = 20
MAX_MEMBER_RATIO = 200
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
        if not data.startswith(b"PK\x03\x04"):
            raise DomainError(_("文件内容不是 Excel（.xlsx）表格，请勿修改扩展名。"))
        _check_zip(data, limit)
        return "xlsx"
    if suffix == ".csv":
        if data.startswith(EXECUTABLE_MAGIC) or data.startswith(b"PK") or b"\x00" in data[:4096]:
            raise DomainError(_("文件内容不是 CSV 文本，请勿修改扩展名。"))
        return "csv"
    raise DomainError(_("只接受 .xlsx 或 .csv 文件。"))


def _check_zip(data: bytes, limit: int) -> None:
    # The central directory states every member's uncompressed size: check it before
    # anything is decompressed.
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise DomainError(_("Excel 文件已损坏，无法读取。")) from exc
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise DomainError(_("文件内容不是 Excel（.xlsx）表格，请勿修改扩展名。"))
    total = sum(m.file_size for m in members)
    worst = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if total > limit * MAX_XLSX_EXPANSION or worst > MAX_MEMBER_RATIO:
        raise DomainError(_("Excel 文件解压后异常巨大（疑似压缩炸弹），已拒绝。"))


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, the two encodings Chinese spreadsheets save."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_("无法识别 CSV 文件编码，请另存为 UTF-8。"))
