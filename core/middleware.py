"""Chinese first: the UI is zh-hans unless the user chose English with the switch."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
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


class RefuseNulBytesMiddleware:
    """A NUL byte (0x00) in the path, the query string or a url-encoded form answers 400
    with the place named: PostgreSQL refuses NUL in text ("A string literal cannot contain
    NUL"), so letting it through to a filter or a path lookup would end in a 500. JSON
    bodies are checked by the API's parser (core.parsers), multipart fields by the form and
    serializer fields (ProhibitNullCharactersValidator)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = self._nul_in(request)
        if where is not None:
            from core.validators import nul_byte_message

            message = str(nul_byte_message(where))
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message, "field": where}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _nul_in(request: HttpRequest) -> str | None:
        if "\x00" in request.path_info:
            return "path"
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "")
        content_type = request.content_type or ""
        if request.method == "POST" and content_type == "application/x-www-form-urlencoded":
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return key.replace("\x00", "")
        return None
