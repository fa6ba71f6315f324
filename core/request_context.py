"""The request being served, for the audit trail and the log lines: its ID, client IP and user
agent (kept in a context variable by `core.middleware.RequestContextMiddleware`). Imports no
model, so the logging configuration may use it."""

from __future__ import annotations

import ipaddress
import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

_current_request: ContextVar[HttpRequest | None] = ContextVar("dingdian_request", default=None)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request() -> HttpRequest | None:
    return _current_request.get()


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. `X-Forwarded-For` is believed only when the deployment says a
    proxy of ours sits in front (`DINGDIAN_TRUST_X_FORWARDED_FOR`), and then only its last
    entry — the one our proxy appended; earlier entries are whatever the client sent."""
    candidates = []
    if settings.DINGDIAN_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            candidates.append(forwarded.split(",")[-1].strip())
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def request_id_for(request: HttpRequest) -> str:
    """Our proxy's `X-Request-ID` when we trust the proxy and it looks like an ID, else a new
    one; kept on the request."""
    existing = getattr(request, "request_id", None)
    if existing:
        return str(existing)
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    if settings.DINGDIAN_TRUST_X_FORWARDED_FOR and _REQUEST_ID.match(given):
        value = given
    else:
        value = uuid.uuid4().hex
    request.request_id = value  # type: ignore[attr-defined]
    return value
