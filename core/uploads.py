"""Upload checks: size limit and type sniffed from the content, never from the name."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

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


def private_file_response(file: File, content_type: str, filename: str) -> HttpResponse:
    """Serve a stored upload (after the caller's permission check) as a download."""
    with file.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
