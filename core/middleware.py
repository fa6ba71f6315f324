"""Chinese first: the UI is zh-hans unless the user chose English with the switch."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers


class ChineseFirstLocaleMiddleware:
    """Like LocaleMiddleware, but the browser's Accept-Language is not consulted: staff
    computers in the bureau often run English-language browsers, yet the portal is Chinese.
    The language cookie set by the switch (`/i18n/setlang/`) is honoured."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class MissingCJKFontMiddleware:
    """A PDF asked for on a server without a Chinese font answers 503 with the package to
    install (core.fonts), not a 500 and never a PDF of empty boxes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from core.fonts import MissingCJKFont

        if isinstance(exception, MissingCJKFont):
            return HttpResponse(
                str(exception), status=503, content_type="text/plain; charset=utf-8"
            )
        return None


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in user and on all of the API
    (settings.NO_STORE_PATH_PREFIXES): patient pages, evidence, PDFs and exports must not stay
    in the browser cache of a shared hospital or pharmacy computer, nor in a proxy. Static
    files (answered by WhiteNoise, before any user is known) and public pages stay cacheable.

    Placed before WhiteNoise and the authentication middleware, it looks at the user after
    the view has answered (`request.user` is set by then, by Django or by DRF)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.NO_STORE_PATH_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(self.prefixes) or _signed_in(request):
            add_never_cache_headers(response)
        return response


def _signed_in(request: HttpRequest) -> bool:
    # Not `request.user` blindly: a static file answered by WhiteNoise never got one.
    user = request.__dict__.get("user")
    return user is not None and bool(user.is_authenticated)


class RequestContextMiddleware:
    """Gives each request an ID (answered in `X-Request-ID`) and keeps the request in a context
    variable while it is served, so `core.audit.audit_record` and the JSON log lines know the
    request ID, client IP and user agent without every service taking the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from core.request_context import _current_request, request_id_for

        request_id = request_id_for(request)
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)
        response.headers.setdefault("X-Request-ID", request_id)
        return response
