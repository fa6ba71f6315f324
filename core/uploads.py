"""Upload checks: size limit and type sniffed from the content, never from the name."""

from __future__ import annotations

import io
import zipfile

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse, HttpResponseNotFound
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


class StoredFileMissing(Exception):
    """A record names a stored file that is no longer on disk (restored database without
    its media, a file removed by hand)."""


def read_stored_file(file: File, size: int | None = None) -> bytes:
    """The content of a stored upload (or its first `size` bytes); StoredFileMissing when
    the record has no file or the file is not on disk."""
    if not file:
        raise StoredFileMissing(str(getattr(file, "name", "") or ""))
    try:
        with file.open("rb") as handle:
            return handle.read() if size is None else handle.read(size)
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise StoredFileMissing(file.name or "") from exc


def missing_file_response() -> HttpResponse:
    """404 with a message the user can act on, instead of a 500."""
    return HttpResponseNotFound(
        _("文件在服务器上已不存在（可能已被移除），请联系管理员或重新上传。"),
        content_type="text/plain; charset=utf-8",
    )


def private_file_response(file: File, content_type: str, filename: str) -> HttpResponse:
    """Serve a stored upload (after the caller's permission check) as a download; a file
    missing on disk answers 404 with a message."""
    try:
        content = read_stored_file(file)
    except StoredFileMissing:
        return missing_file_response()
    from core.responses import download_response

    response = download_response(content, filename, content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
