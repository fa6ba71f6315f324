"""Chinese first: the UI is zh-hans unless the user chose English with the switch."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation


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
