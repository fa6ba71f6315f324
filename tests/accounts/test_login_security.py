"""Login, lockout (5 failures, 30-minute cool-off), idle timeout, password policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from tests.factories import PASSWORD, member
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _attempt(client: Client, username: str, password: str) -> object:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_page_is_in_chinese(client: Client) -> None:
    response = client.get("/accounts/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>登录</h1>" in body and 'lang="zh-hans"' in body


def test_wrong_password_names_the_lockout_rule(client: Client) -> None:
    user = member(Role.PHARMACIST)
    body = _attempt(client, user.username, "wrong-password1").content.decode()  # type: ignore[attr-defined]
    assert "用户名或密码不正确" in body and "锁定 30 分钟" in body


def test_five_failed_logins_lock_the_account_for_thirty_minutes(client: Client) -> None:
    user = member(Role.PHARMACY_MANAGER)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(5):
            _attempt(client, user.username, "wrong-password1")
        # Locked: even the right password is refused, with the lockout page.
        locked = _attempt(client, user.username, PASSWORD)
        assert locked.status_code == 429  # type: ignore[attr-defined]
        assert "账户已锁定" in locked.content.decode()  # type: ignore[attr-defined]
        # Still locked after 29 minutes ...
        traveller.shift(timedelta(minutes=29))
        assert _attempt(client, user.username, PASSWORD).status_code == 429  # type: ignore[attr-defined]
        # ... and free again once the 30-minute cool-off has passed.
        traveller.shift(timedelta(minutes=2))
        assert _attempt(client, user.username, PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_four_failures_do_not_lock(client: Client) -> None:
    user = member(Role.PHARMACY_MANAGER)
    for _ in range(4):
        _attempt(client, user.username, "wrong-password1")
    assert _attempt(client, user.username, PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_lockout_of_one_account_leaves_colleagues_at_the_same_address_alone(client: Client) -> None:
    locked_user = member(Role.PHARMACIST)
    colleague = member(Role.PHARMACY_MANAGER)
    for _ in range(5):
        _attempt(client, locked_user.username, "wrong-password1")
    assert _attempt(Client(), colleague.username, PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_session_ends_after_thirty_idle_minutes(client: Client) -> None:
    user = member(Role.PHARMACIST)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        login(client, user)
        traveller.shift(timedelta(minutes=29))
        assert client.get("/accounts/workspace/pharmacist/").status_code == 200
        # Activity renewed the session: another 29 minutes is still fine.
        traveller.shift(timedelta(minutes=29))
        assert client.get("/accounts/workspace/pharmacist/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get("/accounts/workspace/pharmacist/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_password_policy_refuses_weak_passwords(client: Client) -> None:
    user = member(Role.PHARMACIST)
    login(client, user)
    for weak, message in [
        ("short1", "密码长度太短"),
        ("12345678901", "全都是数字"),
        ("onlyletterspassword", "同时包含字母和数字"),
    ]:
        response = client.post(
            "/accounts/password/",
            {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Hengyang2027x",
            "new_password2": "Hengyang2027x",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Hengyang2027x")


def test_logout_ends_the_session(client: Client) -> None:
    user = member(Role.PHARMACIST)
    login(client, user)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/workspace/").status_code == 302


def test_english_is_available(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    body = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in body
    assert "Log in" in body


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(client: Client) -> None:
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in body and "<h1>登录</h1>" in body
