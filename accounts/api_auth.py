from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiKey, ApiKeyScope
from accounts.principal import ApiKeyUser
from accounts.services import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>` — a POS/HIS system acting for one organisation."""

    keyword = "Api-Key"

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(self.keyword + " "):
            return None
        raw_key = header[len(self.keyword) + 1 :].strip()
        key = api_key_authenticate(raw_key)
        if key is None:
            raise exceptions.AuthenticationFailed(_("接口密钥无效、已过期或已吊销。"))
        # The scope is enforced here, for every view whatever its permission classes.
        view = request.parser_context.get("view") if request.parser_context else None
        if not api_key_scope_allows(key.scope, request.method or "GET", view):
            raise exceptions.PermissionDenied(
                _("该接口密钥的权限范围（%(scope)s）不允许此操作。")
                % {"scope": ApiKeyScope(key.scope).label}
            )
        return ApiKeyUser(key), key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def api_key_scope_allows(scope: str, method: str, view: Any) -> bool:
    """A read-only key only reads; a view marked `api_key_scope = ApiKeyScope.POS` (dispensing,
    eligibility) or `.HIS` (filings, hospital stays) takes keys of that scope (and read-only
    ones for reading); other views take any key of the caller's organisation."""
    if scope == ApiKeyScope.READ_ONLY:
        return method in SAFE_METHODS
    wanted = getattr(view, "api_key_scope", None)
    return wanted is None or wanted == scope


def _parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate notation: "600/min" → (600, 60)."""
    num, period = rate.split("/")
    return int(num), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


class ApiKeyRateThrottle(BaseThrottle):
    """Calls per API key (`settings.API_KEY_RATE`, e.g. "600/min"), counted in a fixed window
    in the shared cache (Redis): one increment (two round trips), no history list. Session
    calls are not counted here (the login is throttled instead)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        num, duration = _parse_rate(settings.API_KEY_RATE)
        now = time.time()
        window = int(now // duration)
        cache_key = f"throttle:apikey:{key.pk}:{duration}:{window}"
        # The window's counter usually exists: increment first (Django's Redis incr is two
        # round trips); a new window's first call creates it.
        try:
            count = cache.incr(cache_key)
        except ValueError:
            count = 1 if cache.add(cache_key, 1, timeout=duration + 1) else cache.incr(cache_key)
        self._wait = (window + 1) * duration - now
        return count <= num

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization"}
