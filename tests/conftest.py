from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from playwright.sync_api import Browser, sync_playwright

from accounts.models import Organisation, OrganisationKind, Role, User
from tests.factories.accounts import member, region
from tests.factories.sessions import login


@pytest.fixture
def personas(db: Any) -> dict[str, User]:
    """One Hengyang user per role."""
    return {role.value: member(role, username=f"hy_{role.value}") for role in Role}


@pytest.fixture
def outsider_pharmacy_manager(db: Any) -> User:
    """A pharmacy manager of another organisation (Guiyang): must see nothing of ours."""
    pharmacy = Organisation.objects.create(
        kind=OrganisationKind.PHARMACY, name="贵阳市筑康大药房", region=region("520100")
    )
    return member(Role.PHARMACY_MANAGER, organisation=pharmacy, username="gy_manager")


@pytest.fixture
def outsider_bureau_admin(db: Any) -> User:
    bureau = Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="贵阳市医疗保障局", region=region("520100")
    )
    return member(Role.BUREAU_ADMIN, organisation=bureau, username="gy_admin")


@pytest.fixture
def client_for(client: Client) -> Any:
    def make(user: User) -> Client:
        return login(Client(), user)

    return make


def ensure_reference_data() -> None:
    """Reference data that data migrations load (regions, programmes, …), recreated when a
    transactional test has flushed it (and, with --reuse-db, left it flushed)."""
    from importlib import import_module
    from importlib.util import find_spec

    for app in settings.DINGDIAN_APPS:
        if find_spec(f"{app}.reference") is not None:
            import_module(f"{app}.reference").ensure()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    """The locale middleware leaves the language of the last request active on the thread;
    a test that chose English must not leave the next test (same worker) in English."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(
    request: pytest.FixtureRequest, django_db_blocker: Any
) -> None:
    """Transactional tests (live_server, real workers, concurrency) run after a flush."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        with django_db_blocker.unblock():
            ensure_reference_data()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium per test process, for tests/browser and tests/demo alike: Playwright's sync
    API runs one event loop per thread, so a second `sync_playwright()` would fail."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()
