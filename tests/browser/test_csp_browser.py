"""Under the strict Content-Security-Policy (no inline script or style), Chromium reports no
violation on the main pages of several roles nor on Swagger UI, and the behaviour that moved
from inline handlers to static/js/dingdian.js still works."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import Role, User
from tests.browser.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

ROLES = [Role.PHARMACY_MANAGER, Role.WINDOW_CLERK, Role.BUREAU_REVIEWER, Role.BENEFITS_OFFICER]


def _watched_page(browser: Browser) -> tuple[Page, list[str]]:
    """A page that records every CSP violation Chromium reports in its console, and every
    uncaught script error."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            problems.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    return page, problems


def test_main_pages_of_several_roles_raise_no_csp_violation(
    browser: Browser, live_server: Any, personas: dict[str, User]
) -> None:
    for role in ROLES:
        page, problems = _watched_page(browser)
        browser_login(page, live_server, personas[role].username, PASSWORD)
        expect(page.get_by_test_id("workspace-title")).to_be_visible()
        links = page.locator("nav.sidenav a").evaluate_all("links => links.map(a => a.href)")
        assert links, role
        for url in links:
            page.goto(url)
            page.wait_for_load_state("load")
        # The page really is styled by our stylesheet (style-src 'self' lets it through).
        assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == (
            "flex"
        )
        assert problems == [], role
        page.context.close()


def test_status_filter_still_submits_on_change(
    browser: Browser, live_server: Any, personas: dict[str, User]
) -> None:
    page, problems = _watched_page(browser)
    browser_login(page, live_server, personas[Role.WINDOW_CLERK].username, PASSWORD)
    page.goto(f"{live_server.url}/tm/")
    page.get_by_label("状态").select_option(index=1)  # no button: the change submits the form
    page.wait_for_url("**/tm/?*status=*")
    assert problems == []
    page.context.close()


def test_swagger_ui_works_under_the_strict_policy(
    browser: Browser, live_server: Any, personas: dict[str, User]
) -> None:
    page, problems = _watched_page(browser)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_label("用户名")).to_be_visible()  # sent to the login page first
    page.get_by_label("用户名").fill(personas[Role.PHARMACY_MANAGER].username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("定点 Dingdian API")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    assert problems == []
    page.context.close()
