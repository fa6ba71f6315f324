"""Upload checks: size limit and type sniffed from the content, never from the name."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

# An xlsx may expand this much in total, and no member more than this ratio: real sheets
# compress about 5–20×, a zip bomb thousands of times.
MAX_XLSX_EXPANSION = 20
MAX_MEMBER_RATIO = 200

MAGIC = [
    (b"%PDF", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG", "image/png"),
]


def sniff_upload(upload: UploadedFile) -> str:
    """The content type of an accepted upload; refuses oversize files and other types."""
    if upload.size is None or upload.size > settings.DINGDIAN_MAX_UPLOAD_BYTES:
        raise DomainError(
            _("文件超过大小限制（%(mb)s MB）。")
            % {"mb": settings.DINGDIAN_MAX_UPLOAD_BYTES // (1024 * 1024)},
            field="file",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    raise DomainError(_("只接受 PDF、JPEG 或 PNG 文件（按文件内容识别）。"), field="file")


def check_xlsx(data: bytes) -> None:
    """Refuses content that is not an xlsx workbook (whatever the name says) and workbooks
    that would expand like a zip bomb, before anything is decompressed."""
    if not data.startswith(b"PK\x03\x04"):
        raise DomainError(_("文件内容不是 Excel（.xlsx）表格，请勿修改扩展名。"), field="file")
    # The central directory states every member's uncompressed size, and the readers
    # (zipfile under openpyxl) stop at it.
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile as exc:
        raise DomainError(_("Excel 文件已损坏，无法读取。"), field="file") from exc
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise DomainError(_("文件内容不是 Excel（.xlsx）表格，请勿修改扩展名。"), field="file")
    total = sum(m.file_size for m in members)
    worst = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if total > settings.DINGDIAN_MAX_UPLOAD_BYTES * MAX_XLSX_EXPANSION or worst > MAX_MEMBER_RATIO:
        raise DomainError(_("Excel 文件解压后异常巨大（疑似压缩炸弹），已拒绝。"), field="file")


def private_file_response(file: File, content_type: str, filename: str) -> HttpResponse:
    """Serve a stored upload (after the caller's permission check) as a download."""
    with file.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
