"""Issue 16.6: every demo persona's menu leads only to pages that open (200, or a redirect to
one), and shows only the features of the programmes of the persona's region."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.demo import LOGINS
from accounts.models import Role, User
from tests.factories.sessions import force_login_verified

pytestmark = pytest.mark.django_db


def _nav(client: Client) -> list[tuple[str, str]]:
    response = client.get("/accounts/workspace/", follow=True)
    assert response.status_code == 200
    return [(str(label), url) for label, url in response.context["nav"]]


def _broken_links(users: list[User]) -> list[tuple[str, str, str, int]]:
    broken = []
    for user in users:
        client = force_login_verified(Client(), user)
        for label, url in _nav(client):
            response = client.get(url, follow=True)
            if response.status_code != 200:
                broken.append((user.username, label, url, response.status_code))
    return broken


def test_every_menu_link_of_every_demo_persona_opens() -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    users = [User.objects.get(username=username) for username, *_rest in LOGINS]
    assert _broken_links(users) == []


def test_every_menu_link_of_every_other_role_opens_on_an_empty_database(
    personas: dict[str, User],
) -> None:
    """One user per role (Hengyang), before any filing or stock exists. The pharmacy roles are
    walked with the demo's pharmacies above: an organisation of kind pharmacy without its
    Pharmacy profile row (which only the Django admin or the demo creates) answers 404 on its
    own pages (pharmacies.permissions.own_pharmacy), a gap left to the pharmacies app."""
    pharmacy_roles = {Role.PHARMACY_MANAGER, Role.PHARMACIST}
    users = [user for role, user in personas.items() if role not in pharmacy_roles]
    assert _broken_links(users) == []


def _menu_of(username: str) -> list[str]:
    client = force_login_verified(Client(), User.objects.get(username=username))
    return [label for label, _url in _nav(client)]


def test_guiyang_users_see_no_hengyang_tm_features() -> None:
    """GY-PT (employee general outpatient) covers no 特门 diseases (HY 第三章, HY-E08), asks for
    no quarterly stocktake (HY-E06) and files no pharmacists (HY-E01)."""
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    tm_only = {"特门申报", "受理申报", "初审名册", "特门患者", "住院登记", "留存社保卡", "病种"}
    for username in ("gy_admin", "gy_manager", "gy_pharmacist", "gy_physician"):
        menu = _menu_of(username)
        assert not tm_only & set(menu), (username, menu)
        assert "季度盘点" not in menu and "药师备案审核" not in menu
    # Hengyang's users keep them.
    assert {"特门患者", "留存社保卡", "季度盘点"} <= set(_menu_of("hy_manager"))
    assert "病种" in _menu_of("hy_admin")
    assert "配药结算" in _menu_of("gy_pharmacist")


def test_a_programme_that_gains_diseases_shows_them_in_the_menu_of_a_logged_in_user() -> None:
    from programmes.models import Disease, Programme
    from programmes.services import disease_save

    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    admin = User.objects.get(username="gy_admin")
    client = force_login_verified(Client(), admin)
    assert "病种" not in [label for label, _url in _nav(client)]
    disease_save(
        programme=Programme.objects.get(code="GY-PT"),
        actor=admin,
        changes={"code": "GY001", "name": "高血压"},
    )
    assert Disease.objects.filter(programme__code="GY-PT").exists()
    assert "病种" in [label for label, _url in _nav(client)]  # the same session, asked again


PUBLIC_PAGES = ["/accounts/login/", "/public/notices/", "/public/designated/", "/tm/hospitals/"]


def test_public_pages_link_to_each_other_and_to_the_login() -> None:
    visitor = Client()
    for page in PUBLIC_PAGES:
        response = visitor.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        for other in PUBLIC_PAGES:
            assert f'href="{other}"' in body, (page, other)
        assert 'aria-current="page"' in body  # the page itself is marked in the links


def test_the_menu_costs_no_query_after_the_login() -> None:
    """The programme features are read at login, not by every page (list pages pin their
    query counts)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    client = force_login_verified(Client(), User.objects.get(username="hy_manager"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/accounts/workspace/", follow=True).status_code == 200
    assert not [q for q in queries.captured_queries if "programmes_disease" in q["sql"]]


def test_every_feature_a_menu_item_needs_is_one_programmes_provide() -> None:
    from accounts.workspaces import PUBLIC_NAV, WORKSPACES
    from programmes.features import FEATURES

    items = [item for ws in WORKSPACES.values() for item in ws.nav] + list(PUBLIC_NAV)
    needed = {item.feature for item in items if item.feature is not None}
    assert needed == FEATURES
