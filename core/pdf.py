"""Official documents as PDF (WeasyPrint), with a URL fetcher limited to our static files."""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from core.fonts import require_cjk_font


class ForbiddenResource(ValueError):
    """A document asked for something that is not one of our static files."""


class StaticOnlyURLFetcher(URLFetcher):
    """Serve `/static/…` from our own files; refuse the network and the rest of the disk."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        prefix = settings.STATIC_URL
        for marker in (f"file://{prefix}", prefix):
            if url.startswith(marker):
                relative = url[len(marker) :].split("?")[0]
                found = finders.find(relative)
                if found:
                    path = Path(str(found))
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, body=path.read_bytes(), headers={"Content-Type": mime}
                    )
        raise ForbiddenResource(f"PDF may only load our static files, not {url!r}")


# One rendering at a time per process: the web server runs threads (config/gunicorn.py), and
# WeasyPrint's font machinery (Pango, fontconfig) is not documented as safe to share between
# threads. A page of ours renders in 0.1–0.3 s, so a queue of a few is short.
_RENDERING = threading.Lock()


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes; refused (MissingCJKFont) when no Chinese font is
    installed, rather than a document of empty boxes."""
    require_cjk_font()
    html = render_to_string(template, context)
    document = HTML(string=html, base_url="/", url_fetcher=StaticOnlyURLFetcher())
    with _RENDERING:
        return document.write_pdf()
