"""Security headers (issue 12, point 7): a strict Content-Security-Policy and a
Permissions-Policy on every response, `Cache-Control: no-store` on everything a signed-in user
or an API caller gets (static files stay cacheable), the schema and Swagger UI behind a login,
and no inline script, handler attribute or inline style left in a page template."""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from django.test import Client

from accounts.models import Role, User
from accounts.services import api_key_create
from patients.models import Filing, Roster
from tests.factories.patients import clerk, enrol, hospital, patient
from tests.factories.pharmacies import PharmacyFactory
from tests.factories.sessions import login
from tests.factories.wsgi import wsgi_call

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
APRIL = "2027-04-12 10:00 +0800"


@pytest.fixture
def portal() -> Iterator[Any]:
    """The portal's WSGI application (core.handlers), as tests/core/test_handlers.py calls it."""
    from config.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def pos_key(personas: dict[str, User]) -> str:
    manager = personas[Role.PHARMACY_MANAGER]
    organisation = manager.memberships.get().organisation
    return api_key_create(organisation=organisation, name="收银台", actor=manager)[1]


def _csp(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_pages_carry_a_strict_content_security_policy(client: Client) -> None:
    csp = _csp(client.get("/accounts/login/"))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in str(csp) and "'unsafe-eval'" not in str(csp)


def test_every_response_carries_a_permissions_policy(client: Client) -> None:
    for response in (client.get("/accounts/login/"), client.get("/public/notices/")):
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy


# The POS's lean middleware stack (core.handlers) is called before any request through the test
# client in a test: a prepared statement after a test-client request fails inside the test's
# transaction (core.prepared), which is a matter of the test harness, not of the headers.
def test_api_key_calls_get_the_same_headers_and_no_store(portal: Any, pos_key: str) -> None:
    status, headers, _ = wsgi_call(portal, "/api/v1/whoami/", authorization=f"Api-Key {pos_key}")
    assert status == 200
    assert "camera=()" in headers["permissions-policy"][0]
    assert "script-src 'self'" in headers["content-security-policy"][0]
    assert "no-store" in headers["cache-control"][0]


def test_the_schema_answers_an_api_key(portal: Any, pos_key: str) -> None:
    # A POS or HIS developer's key may fetch the schema.
    status, headers, content = wsgi_call(portal, "/api/schema/", authorization=f"Api-Key {pos_key}")
    assert status == 200 and b"/api/v1/whoami/" in content
    assert "no-store" in headers["cache-control"][0]


def _no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_patient_pages_files_and_pdfs_are_not_stored() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        enrol(patient(name="王建华"))
    filing = Filing.objects.get()
    roster = Roster.objects.get()
    c = login(Client(), clerk(h, username="headers_clerk"))
    png = BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    png.name = "scan.png"
    c.post(f"/tm/filings/{filing.pk}/materials/", {"kind": "id_copy", "file": png})
    material = filing.materials.get()
    for url in (
        "/accounts/workspace/",
        "/tm/",
        f"/tm/filings/{filing.pk}/",
        f"/tm/filings/{filing.pk}/receipt/",
        f"/tm/materials/{material.pk}/",  # uploaded evidence
        f"/tm/rosters/{roster.pk}/pdf/",
        f"/tm/rosters/{roster.pk}/xlsx/",
    ):
        response = c.get(url, follow=True)
        assert response.status_code == 200, url
        assert _no_store(response), url


def test_exports_and_the_whole_api_are_not_stored(personas: dict[str, User]) -> None:
    manager = personas[Role.PHARMACY_MANAGER]
    PharmacyFactory.create(organisation=manager.memberships.get().organisation)
    c = login(Client(), manager)
    for url in ("/inventory/export/", "/inventory/export/?format=csv", "/api/v1/whoami/"):
        response = c.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url
    anonymous = Client().get("/api/v1/whoami/")
    assert anonymous.status_code in (401, 403) and _no_store(anonymous)


def test_static_files_and_public_pages_stay_cacheable(settings: Any) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # serve from the source folders, as in development
    settings.WHITENOISE_AUTOREFRESH = True
    css = Client().get("/static/css/dingdian.css")
    assert css.status_code == 200
    assert not _no_store(css)
    assert "camera=()" in css["Permissions-Policy"]
    assert not _no_store(Client().get("/public/notices/"))


def test_schema_and_swagger_ui_need_a_login() -> None:
    anonymous = Client()
    assert anonymous.get("/api/schema/").status_code in (401, 403)
    assert anonymous.get("/api/docs/?script=").status_code in (401, 403)
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/accounts/login/?next=/api/docs/")


def test_swagger_ui_runs_under_the_strict_policy(personas: dict[str, User]) -> None:
    c = login(Client(), personas[Role.PHARMACY_MANAGER])
    page = c.get("/api/docs/")
    assert page.status_code == 200 and _no_store(page)
    body = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    # Every script is a file; the init script is a second request to the same view.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body) == []
    assert "<style" not in body and "style=" not in body
    assert _csp(page)["script-src"] == ["'self'"]
    script = c.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def _page_templates() -> list[Path]:
    """Templates a browser renders: ours, not those WeasyPrint renders to PDF (no CSP there)."""
    found = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    return sorted(p for p in found if "pdf" not in p.relative_to(ROOT).as_posix())


def test_no_template_has_inline_script_handlers_or_styles() -> None:
    templates = _page_templates()
    assert len(templates) > 50
    offences = []
    for path in templates:
        text = path.read_text()
        checks = {
            "inline <script>": r"<script(?![^>]*\bsrc=)[^>]*>",
            "on* handler": r"<[^>]*\son[a-z]+\s*=",
            "javascript: URL": r"javascript:",
            "style attribute": r"<[^>]*\sstyle\s*=",
            "<style> block": r"<style",
        }
        for label, pattern in checks.items():
            if re.search(pattern, text, flags=re.IGNORECASE):
                offences.append(f"{path.relative_to(ROOT)}: {label}")
    assert offences == []
