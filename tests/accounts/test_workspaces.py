"""Each role lands in its own workspace; an organisation sees only its own data."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from accounts.workspaces import WORKSPACES
from tests.factories import region
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_in_its_own_workspace(role: Role, personas: dict[str, User]) -> None:
    client = login(Client(), personas[role])
    response = client.get("/accounts/workspace/", follow=True)
    assert response.redirect_chain[-1][0] == f"/accounts/workspace/{role.value}/"
    body = response.content.decode()
    assert str(WORKSPACES[role].title) in body
    # Its navigation is its own: e.g. only bureau admins see the calendar entry.
    assert ('href="/programmes/calendar/"' in body) == (role == Role.BUREAU_ADMIN)


def test_another_roles_workspace_is_not_found(personas: dict[str, User]) -> None:
    client = login(Client(), personas[Role.PHARMACIST])
    assert client.get("/accounts/workspace/bureau_admin/").status_code == 404


def test_anonymous_user_is_sent_to_login(client: Client) -> None:
    response = client.get("/accounts/workspace/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_user_with_two_memberships_switches_between_them(personas: dict[str, User]) -> None:
    user = personas[Role.PHARMACIST]
    other = Organisation.objects.create(
        kind=OrganisationKind.PHARMACY, name="衡阳县第二药店", region=region()
    )
    second = Membership.objects.create(user=user, organisation=other, role=Role.PHARMACY_MANAGER)
    client = login(Client(), user)
    assert "药师工作台" in client.get("/accounts/workspace/", follow=True).content.decode()
    client.post("/accounts/workspace/switch/", {"membership": second.pk})
    body = client.get("/accounts/workspace/", follow=True).content.decode()
    assert "药店负责人工作台" in body and "衡阳县第二药店" in body
    # A membership of somebody else cannot be chosen.
    foreign = Membership.objects.exclude(user=user).first()
    assert foreign is not None
    assert client.post("/accounts/workspace/switch/", {"membership": foreign.pk}).status_code == 404


def test_role_must_fit_the_organisation_kind() -> None:
    hospital = Organisation.objects.create(
        kind=OrganisationKind.HOSPITAL, name="测试医院", region=region(), hospital_level="2"
    )
    membership = Membership(
        user=User.objects.create(username="x"), organisation=hospital, role=Role.PHARMACIST
    )
    with pytest.raises(ValidationError, match="药师"):
        membership.full_clean()


def test_hospital_needs_a_level() -> None:
    hospital = Organisation(kind=OrganisationKind.HOSPITAL, name="无等级医院", region=region())
    with pytest.raises(ValidationError, match="等级"):
        hospital.full_clean()


def test_bureau_admin_sees_the_missing_calendar_year_warning(personas: dict[str, User]) -> None:
    import time_machine

    with time_machine.travel("2026-11-24 10:00 +0800", tick=False):
        client = login(Client(), personas[Role.BUREAU_ADMIN])
        body = client.get("/accounts/workspace/bureau_admin/").content.decode()
    assert "2027 年的法定节假日调休安排尚未录入" in body
