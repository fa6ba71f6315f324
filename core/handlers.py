"""The portal's WSGI application: requests signed with an API key skip the browser's
middleware.

A POS or HIS system calling `/api/` with `Authorization: Api-Key …` has no session, no
cookie-borne login, no CSRF token, no flash messages and no login form to lock, so
those middleware only cost CPU on the busiest path (the counter's dispensing). Such requests
go through `settings.API_KEY_MIDDLEWARE`, a subset of `settings.MIDDLEWARE` in the same
order; everything else — pages, static files, session-authenticated API calls — through the
whole stack. `DINGDIAN_LEAN_API_MIDDLEWARE=0` sends every request through the whole stack.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

API_PREFIX = "/api/"
API_KEY_PREFIX = "Api-Key "


class _ApiKeyHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        lean = list(settings.API_KEY_MIDDLEWARE)
        unknown = [m for m in lean if m not in full]
        if unknown or lean != [m for m in full if m in lean]:
            raise ValueError("API_KEY_MIDDLEWARE must be MIDDLEWARE's entries, in its order")
        settings.MIDDLEWARE = lean
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class PortalHandler(WSGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.api_key = _ApiKeyHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if (
            settings.DINGDIAN_LEAN_API_MIDDLEWARE
            and environ.get("PATH_INFO", "").startswith(API_PREFIX)
            and environ.get("HTTP_AUTHORIZATION", "").startswith(API_KEY_PREFIX)
        ):
            return self.api_key(environ, start_response)
        return super().__call__(environ, start_response)


def get_wsgi_application() -> PortalHandler:
    import django

    django.setup(set_prefix=False)
    return PortalHandler()
