"""Issue 16.6: the error pages are the portal's own, in its layout, in the reader's language,
with a way home and to the login; the 500 page renders with neither the request nor the
database (either may be what failed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.test import Client, override_settings
from django.urls import include, path
from django.utils import translation

from accounts.models import Role
from tests.factories import member
from tests.factories.sessions import login


def _refused(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the database is gone")


urlpatterns = [
    path("refused/", _refused),
    path("broken/", _broken),
    path("", include("config.urls")),
]


@pytest.fixture
def errors_urls() -> Iterator[None]:
    with override_settings(ROOT_URLCONF=__name__):
        yield


def _in_layout(body: str) -> None:
    assert '<link rel="stylesheet" href="/static/css/dingdian.css">' in body
    assert '<link rel="icon" href="/static/favicon.svg"' in body
    assert 'href="/"' in body  # home


@pytest.mark.parametrize(
    ("language", "heading", "home"),
    [("zh-hans", "系统出错", "返回首页"), ("en", "Something went wrong", "Back to the home page")],
)
def test_500_page_renders_without_request_or_database(
    language: str, heading: str, home: str
) -> None:
    # No django_db mark: any database access here fails the test.
    with translation.override(language):
        body = loader.get_template("500.html").render()
    _in_layout(body)
    assert heading in body and home in body
    assert 'href="/accounts/login/"' in body


@pytest.mark.django_db
def test_a_server_error_answers_with_the_friendly_page(errors_urls: None) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    _in_layout(body)
    assert "系统出错" in body and "the database is gone" not in body


@pytest.mark.django_db
def test_403_is_the_portal_page_for_a_logged_in_user(errors_urls: None) -> None:
    client = login(Client(), member(Role.PHARMACIST, username="err_pharmacist"))
    response = client.get("/refused/")
    assert response.status_code == 403
    body = response.content.decode()
    _in_layout(body)
    assert "无权访问" in body and "配药结算" in body  # the user's own menu stays
    assert 'href="/accounts/login/"' not in body  # already logged in


@pytest.mark.django_db
def test_404_in_english_links_home_and_to_the_login() -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    _in_layout(body)
    assert "Not found." in body and "未找到" not in body
    assert 'href="/accounts/login/"' in body


@pytest.mark.django_db
def test_an_expired_form_says_so_in_the_layout() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    body = response.content.decode()
    _in_layout(body)
    assert "页面已过期" in body
