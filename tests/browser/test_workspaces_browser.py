"""Every role logs in through Chromium and lands in its own workspace, in Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import Role, User
from accounts.workspaces import WORKSPACES
from tests.browser.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_each_role_logs_in_and_sees_its_workspace_in_chinese(
    browser: Browser, live_server: Any, personas: dict[str, User]
) -> None:
    for role in Role:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        browser_login(page, live_server, personas[role].username, PASSWORD)
        expect(page.get_by_test_id("workspace-title")).to_have_text(str(WORKSPACES[role].title))
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        assert page.url.endswith(f"/accounts/workspace/{role.value}/")
        # The stylesheet is served by the portal itself.
        css = page.evaluate("getComputedStyle(document.querySelector('.topbar')).display")
        assert css == "flex"
        context.close()
