"""The role's home page shows what waits (the dashboards panel), not the menu again as tiles."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role, User
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.BUREAU_REVIEWER, Role.PHARMACY_MANAGER])
def test_the_home_page_shows_what_waits_and_bureau_roles_get_the_charts_link(
    client: Client, personas: dict[str, User], role: Role
) -> None:
    login(client, personas[role])
    page = client.get(f"/accounts/workspace/{role}/").content.decode()
    assert 'data-testid="waiting"' in page
    assert 'class="tile"' not in page
    assert ('href="/dashboards/"' in page) == (role == Role.BUREAU_REVIEWER)
