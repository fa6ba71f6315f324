"""The portal's WSGI application: a POS calling /api/ with its key goes through the lean
middleware stack (core.handlers) and gets the same answers and security headers; pages and
session calls go through the whole stack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections

from accounts.models import Role, User
from accounts.services import api_key_create
from tests.factories.wsgi import wsgi_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def application() -> Iterator[Any]:
    from config.wsgi import application

    # As Django's test client does: the test's transaction must outlive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def raw_key(personas: dict[str, User]) -> str:
    manager = personas[Role.PHARMACY_MANAGER]
    _key, raw = api_key_create(
        organisation=manager.memberships.get().organisation, name="收银台", actor=manager
    )
    return raw


def test_api_key_call_answers_with_the_security_headers_and_no_cookies(
    application: Any, raw_key: str
) -> None:
    raw = raw_key
    status, headers, content = wsgi_call(
        application, "/api/v1/whoami/", authorization=f"Api-Key {raw}"
    )
    assert status == 200, content
    assert json.loads(content)["via"] == "api_key"
    assert headers["x-content-type-options"] == ["nosniff"]
    assert headers["x-frame-options"] == ["DENY"]
    assert headers["content-language"] == ["zh-hans"]
    assert "set-cookie" not in headers  # no session, no CSRF token for a POS

    status, _headers, content = wsgi_call(
        application, "/api/v1/whoami/", authorization="Api-Key nope.nope"
    )
    assert status == 401
    assert "接口密钥无效" in json.loads(content)["detail"]


def test_api_key_call_without_trailing_slash_is_redirected_as_before(
    application: Any, raw_key: str
) -> None:
    status, headers, _content = wsgi_call(
        application, "/api/v1/whoami", authorization=f"Api-Key {raw_key}"
    )
    assert status == 301
    assert headers["location"] == ["/api/v1/whoami/"]


def test_pages_and_session_calls_keep_the_whole_stack(application: Any) -> None:
    status, headers, _content = wsgi_call(application, "/accounts/login/")
    assert status == 200
    assert any(c.strip().startswith("csrftoken=") for c in headers.get("set-cookie", []))
    # No key: the session path, which refuses an anonymous caller.
    status, _headers, _content = wsgi_call(application, "/api/v1/whoami/")
    assert status in (401, 403)


def test_switched_off_an_api_key_call_goes_through_the_whole_stack_with_the_same_answer(
    application: Any, raw_key: str, settings: Any
) -> None:
    # README "Hot path": DINGDIAN_LEAN_API_MIDDLEWARE=0 measures what the lean stack buys.
    settings.DINGDIAN_LEAN_API_MIDDLEWARE = False
    status, headers, content = wsgi_call(
        application, "/api/v1/whoami/", authorization=f"Api-Key {raw_key}"
    )
    assert status == 200, content
    assert json.loads(content)["via"] == "api_key"
    assert headers["x-frame-options"] == ["DENY"]
    assert headers.get("vary", [""])[0].lower().count("cookie") == 1  # the session stack ran
