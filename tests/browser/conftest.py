"""Playwright driving Debian's Chromium (no browser download: /usr/bin/chromium); the session's
one browser is `tests.conftest.browser`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def browser_login(page: Page, live_server: Any, username: str, password: str) -> None:
    """The login form, then — for a bureau user, an admin or anyone enrolled — the second
    factor: the code the user's authenticator shows now (tests.factories.sessions.totp_code,
    from the device's key; a user who must have one and has none is given one first)."""
    from accounts.models import User
    from tests.factories.sessions import needs_second_factor, totp_device

    user = User.objects.get(username=username)
    device = totp_device(user) if needs_second_factor(user) else None
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    if device is None:
        page.get_by_role("button", name="登录").click()
        return
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    complete_second_factor(page, device)


def complete_second_factor(page: Page, device: Any) -> None:
    """On the 双因素认证 page: type the authenticator's current code and submit."""
    from tests.factories.sessions import totp_code

    page.get_by_label("验证码").fill(totp_code(device))
    page.get_by_role("button", name="验证").click()
