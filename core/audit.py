"""The audit trail: `audit_record(...)` writes one `AuditEvent` row and one JSON log line.

Called explicitly where something worth auditing happens — a patient record read, a resident
ID revealed, a file downloaded, a document or export produced, a login, a permission changed —
never by a generic every-request logger. Core imports no other app: the caller passes who
acted as plain values (`AuditActor`; `accounts.audit` builds it from a request or a user).
Where from (client IP, user agent) and the request ID come from the request being served
(`RequestContextMiddleware` keeps it in a context variable), so services need no request.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from core.models import AuditEvent
from core.request_context import client_ip, current_request, request_id_for
from core.validators import mask_resident_id

logger = logging.getLogger("dingdian.audit")


# An 18-character resident ID (GB 11643) anywhere in a detail text is masked before it is kept.
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@dataclass(frozen=True)
class AuditActor:
    """Who acted, as plain values (a member: user + organisation + role; or an API key)."""

    user_id: int | None = None
    username: str = ""
    organisation_id: int | None = None
    organisation_name: str = ""
    role: str = ""
    api_key_id: int | None = None
    api_key_prefix: str = ""
    region_id: int | None = None  # the actor's organisation's region


def mask_detail(text: str) -> str:
    return _RESIDENT_ID.sub(lambda m: mask_resident_id(m.group(0)), text)


def audit_record(
    *,
    action: str,
    actor: AuditActor | None = None,
    request: HttpRequest | None = None,
    object_type: str = "",
    object_id: Any = "",
    region_id: int | None = None,
    detail: str = "",
) -> AuditEvent:
    """Record one audited act (row + `dingdian.audit` JSON log line). The region is the one
    the act concerns, else the actor's organisation's; the detail is masked of resident IDs."""
    actor = actor or AuditActor()
    request = request if request is not None else current_request()
    ip = user_agent = request_id = None
    if request is not None:
        request = getattr(request, "_request", request)  # a DRF Request wraps Django's
        ip = client_ip(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
        request_id = request_id_for(request)
    event = AuditEvent.objects.create(
        action=action,
        user_id=actor.user_id,
        username=actor.username[:150],
        organisation_id=actor.organisation_id,
        organisation_name=actor.organisation_name[:100],
        role=actor.role,
        api_key_id=actor.api_key_id,
        api_key_prefix=actor.api_key_prefix,
        region_id=region_id if region_id is not None else actor.region_id,
        object_type=object_type[:60],
        object_id=str(object_id if object_id is not None else "")[:40],
        detail=mask_detail(detail)[:300],
        ip=ip,
        user_agent=user_agent or "",
        request_id=request_id or "",
    )
    logger.info(
        "audit %s",
        action,
        extra={
            "audit": {
                "id": event.pk,
                "action": action,
                "user_id": event.user_id,
                "username": event.username,
                "organisation_id": event.organisation_id,
                "role": event.role,
                "api_key_prefix": event.api_key_prefix,
                "region_id": event.region_id,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "detail": event.detail,
                "user_agent": event.user_agent,
            },
        },
    )
    return event
