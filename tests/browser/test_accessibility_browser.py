"""Accessibility basics (issue 16.9): axe-core (bundled in the PyPI package axe-playwright-python)
runs in Chromium over each role's home, one list and one form, and the public pages, on the demo
data; no violation of impact serious or critical is allowed.

The portal's CSP (no inline scripts, no eval) does not stop the check: Playwright's
`page.evaluate` hands axe's source to the DevTools protocol, which runs it in the page without
a <script> element, so neither `bypass_csp` nor a relaxed policy is needed."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from accounts.demo import DEMO_PASSWORD
from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


def _first_pk(model_path: str, **filters: Any) -> Callable[[], int]:
    def pk() -> int:
        app, name = model_path.split(".")
        from django.apps import apps

        return int(apps.get_model(app, name).objects.filter(**filters).order_by("pk")[0].pk)

    return pk


def _programme_code(region: str) -> str:
    from programmes.models import Programme

    return str(Programme.objects.filter(regions__code=region).order_by("pk")[0].code)


# Each demo user (None: the public, not logged in) and the pages checked: home, a list, a form.
# A page is a path or a callable returning one (resolved on the seeded data).
PAGES: list[tuple[str | None, list[str | Callable[[], str]]]] = [
    (None, ["/public/notices/", "/public/designated/", "/tm/hospitals/", "/accounts/login/"]),
    (
        "hy_admin",
        [
            "/accounts/workspace/",
            "/supervision/findings/",
            lambda: f"/programmes/{_programme_code('430421')}/edit/",
            "/programmes/calendar/",
        ],
    ),
    (
        "hy_reviewer",
        [
            "/accounts/workspace/",
            "/accreditation/review/",
            lambda: f"/accreditation/review/{_first_pk('accreditation.Application')()}/",
        ],
    ),
    ("hy_benefits", ["/accounts/workspace/", "/tm/rosters/", "/tm/diseases/"]),
    ("hy_expert", ["/accounts/workspace/", "/tm/", "/accounts/security/"]),
    (
        "hy_window",
        [
            "/accounts/workspace/",
            "/tm/",
            "/tm/lodge/",
            lambda: f"/tm/filings/{_first_pk('patients.Filing')()}/",
        ],
    ),
    (
        "hy_physician",
        ["/accounts/workspace/", "/dispensing/prescriptions/", "/dispensing/prescriptions/issue/"],
    ),
    ("hy_manager", ["/accounts/workspace/", "/inventory/movements/", "/pharmacy/profile/"]),
    (
        "hy_pharmacist",
        ["/accounts/workspace/", "/dispensing/dispensings/", "/dispensing/prescriptions/record/"],
    ),
    ("catalogue_admin", ["/accounts/workspace/", "/inventory/catalogue/"]),
    (
        "gy_admin",
        [
            "/accounts/workspace/",
            "/programmes/",
            lambda: f"/programmes/{_programme_code('520100')}/edit/",
        ],
    ),
    ("gy_pharmacist", ["/accounts/workspace/", "/dispensing/dispensings/", "/dispensing/counter/"]),
]


def _blocking_violations(page: Page, axe: Axe) -> list[dict[str, Any]]:
    results = axe.run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING]


def _tables_without_headers(page: Page) -> list[str]:
    """Every data table names its columns (or rows) with <th>."""
    return list(
        page.evaluate(
            "Array.from(document.querySelectorAll('main table'))"
            ".filter(t => !t.querySelector('th')).map(t => t.outerHTML.slice(0, 150))"
        )
    )


def _describe(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{where}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"      {' '.join(map(str, node['target']))}  {node['html'][:150]}")
        if len(v["nodes"]) > 5:
            lines.append(f"      … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def test_each_roles_home_list_and_form_have_no_serious_accessibility_violation(
    browser: Browser, live_server: Any
) -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    axe = Axe()
    failures: list[str] = []
    checked: list[str] = []
    for username, paths in PAGES:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        if username is not None:
            browser_login(page, live_server, username, DEMO_PASSWORD)
        for entry in paths:
            path = entry() if callable(entry) else entry
            response = page.goto(f"{live_server.url}{path}")
            where = f"{username or 'public'} {path}"
            if response is None or not response.ok:
                failures.append(f"{where}: HTTP {response and response.status}")
                continue
            checked.append(where)
            violations = _blocking_violations(page, axe)
            if violations:
                failures.append(_describe(where, violations))
            failures.extend(
                f"{where}: table without headers {t}" for t in _tables_without_headers(page)
            )
        context.close()
    assert not failures, "axe: serious/critical violations\n" + "\n".join(failures)
    assert len(checked) >= 30


def test_the_skip_link_is_the_first_stop_and_focus_is_visible(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/public/notices/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    # Hidden until focused, then on screen, with a visible focus ring.
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    outline = skip.evaluate(
        "a => getComputedStyle(a).outlineStyle + ' ' + getComputedStyle(a).outlineWidth"
    )
    assert not outline.startswith("none") and not outline.endswith(" 0px"), outline
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab reaches the page's content, not the header again.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
