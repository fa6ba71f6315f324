"""Login throttling beside django-axes' lock (issue 12): limits that slow guessing per address
and over all addresses, but never lock an account (README: Login security)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited


def client_address(request: HttpRequest) -> str:
    """The caller's address (settings.DINGDIAN_CLIENT_IP_META_KEY): axes and the limits agree."""
    return str(request.META.get(settings.DINGDIAN_CLIENT_IP_META_KEY, "") or "")


def _address_key(group: str, request: HttpRequest) -> str:
    return client_address(request)


def _everyone_key(group: str, request: HttpRequest) -> str:
    return "all"


def login_throttled(request: HttpRequest) -> bool:
    """Has this login POST gone over the per-address or the global rate? Counts it either way."""
    limits: list[tuple[str, Any, str]] = [
        ("login:address", _address_key, settings.LOGIN_RATE_PER_ADDRESS),
        ("login:all", _everyone_key, settings.LOGIN_RATE_GLOBAL),
    ]
    throttled = False
    for group, key, rate in limits:
        throttled |= is_ratelimited(
            request, group=group, key=key, rate=rate, method="POST", increment=True
        )
    return throttled
