"""The dashboard in Chromium: each role's "what waits" opens; the bureau's charts load as
images under the strict Content-Security-Policy, at desktop, tablet and phone widths.
Screenshots go to var/screenshots/dashboards/."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import Role, User
from accreditation.models import ApplicationStatus as A
from tests.browser.conftest import browser_login
from tests.factories import PASSWORD
from tests.factories.accreditation import pharmacy
from tests.factories.dashboards import application, finding, stocktake

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "dashboards"
WIDTHS = {"desktop": 1440, "tablet": 768, "phone": 390}


@pytest.mark.parametrize("role", [Role.BUREAU_REVIEWER, Role.PHARMACY_MANAGER])
def test_the_dashboard_shows_what_waits_and_the_bureaus_charts_load(
    browser: Browser, live_server: Any, personas: dict[str, User], role: str
) -> None:
    shop = pharmacy()
    application(shop, A.ACCEPTED, evaluation_due_on=date(2020, 1, 1))
    stocktake(shop, date(2020, 1, 1))
    finding(shop, "HY-E06")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, width in WIDTHS.items():
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        page = context.new_page()
        problems: list[str] = []

        def on_console(message: Any, problems: list[str] = problems) -> None:
            if "Content Security Policy" in message.text:
                problems.append(message.text)

        page.on("console", on_console)
        browser_login(page, live_server, personas[role].username, PASSWORD)
        page.goto(f"{live_server.url}/dashboards/")
        expect(page.get_by_test_id("waiting")).to_be_visible()
        images = page.locator("section.chart img")
        if role == Role.BUREAU_REVIEWER:
            expect(page.get_by_test_id("overdue").first).to_be_visible()
            assert images.count() == 9
            for i in range(9):  # loaded lazily: each as it scrolls into view
                images.nth(i).scroll_into_view_if_needed()
                page.wait_for_function(
                    "img => img.complete && img.naturalWidth > 0",
                    arg=images.nth(i).element_handle(),
                )
            # The page never scrolls sideways; wide tables scroll in their own box.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        else:
            assert images.count() == 0
        page.screenshot(path=str(SHOTS / f"{role}-{name}.png"), full_page=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / f"{role}-{name}-top.png"))
        assert problems == []
        context.close()


def test_the_supervision_dashboards_charts_load_at_each_width(
    browser: Browser, live_server: Any, personas: dict[str, User]
) -> None:
    """Issue 17.5: the five supervision charts load under the CSP; no sideways scroll."""
    shop = pharmacy()
    finding(shop, "HY-E06")
    finding(shop, "HY-E06", priority="priority_inspection")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, width in WIDTHS.items():
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        page = context.new_page()
        problems: list[str] = []

        def on_console(message: Any, problems: list[str] = problems) -> None:
            if "Content Security Policy" in message.text:
                problems.append(message.text)

        page.on("console", on_console)
        browser_login(page, live_server, personas[Role.BUREAU_REVIEWER].username, PASSWORD)
        page.goto(f"{live_server.url}/dashboards/supervision/")
        images = page.locator("section.chart img")
        assert images.count() == 5
        for i in range(5):
            images.nth(i).scroll_into_view_if_needed()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0",
                arg=images.nth(i).element_handle(),
            )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"supervision-{name}.png"), full_page=True)
        assert problems == []
        context.close()
