"""Bureau admins enter a year's holiday arrangement; nobody else reaches the page."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from accounts.models import Role, User
from core.calendar import is_working_day
from core.models import HolidayOverride
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def test_bureau_admin_enters_a_make_up_working_day_and_calculations_use_it(
    personas: dict[str, User],
) -> None:
    admin = personas[Role.BUREAU_ADMIN]
    hy = admin.memberships.get().organisation.region_id
    client = login(Client(), admin)
    page = client.get("/programmes/calendar/").content.decode()
    assert "仅有法定节日，调休未录入" in page  # 2027 before entry
    response = client.post(
        "/programmes/calendar/",
        {"date": "2027-02-20", "is_working_day": "on", "name": "春节调休上班"},
    )
    assert response.status_code == 302
    assert is_working_day(date(2027, 2, 20), region_id=hy)
    # Entering the same day again replaces the entry instead of failing; the first is kept.
    client.post("/programmes/calendar/", {"date": "2027-02-20", "name": "更正：放假"})
    assert HolidayOverride.objects.filter(deleted_at__isnull=True).count() == 1
    assert HolidayOverride.objects.count() == 2
    assert not is_working_day(date(2027, 2, 20), region_id=hy)
    override = HolidayOverride.objects.get(deleted_at__isnull=True)
    assert override.created_by == admin and override.region_id == hy
    client.post(f"/programmes/calendar/{override.pk}/delete/")
    assert not HolidayOverride.objects.filter(deleted_at__isnull=True).exists()
    override.refresh_from_db()
    assert override.deleted_by == admin and override.deleted_at is not None
    assert "更正：放假" in client.get("/programmes/calendar/").content.decode()  # history


def test_sec_admin_of_other_region_cannot_delete_an_override(
    personas: dict[str, User], outsider_bureau_admin: User
) -> None:
    hengyang = login(Client(), personas[Role.BUREAU_ADMIN])
    hengyang.post("/programmes/calendar/", {"date": "2027-02-20", "is_working_day": "on"})
    override = HolidayOverride.objects.get()
    guiyang = login(Client(), outsider_bureau_admin)
    # Guiyang neither sees nor deletes Hengyang's entry, and its calendar is not changed by it.
    assert "2027-02-20" not in guiyang.get("/programmes/calendar/").content.decode()
    assert guiyang.post(f"/programmes/calendar/{override.pk}/delete/").status_code == 404
    override.refresh_from_db()
    assert override.deleted_at is None
    gy = outsider_bureau_admin.memberships.get().organisation.region_id
    assert not is_working_day(date(2027, 2, 20), region_id=gy)
    assert is_working_day(date(2027, 2, 20), region_id=override.region_id)
    # Guiyang's own entry for the same day is its own row; Hengyang's stays as it was.
    guiyang.post("/programmes/calendar/", {"date": "2027-02-20", "name": "贵阳：放假"})
    assert HolidayOverride.objects.filter(deleted_at__isnull=True).count() == 2
    assert is_working_day(date(2027, 2, 20), region_id=override.region_id)


def test_bad_date_is_refused_with_the_field_named(personas: dict[str, User]) -> None:
    client = login(Client(), personas[Role.BUREAU_ADMIN])
    body = client.post("/programmes/calendar/", {"date": "2027-02-30", "name": "x"})
    assert "日期：" in body.content.decode()
    assert not HolidayOverride.objects.exists()


@pytest.mark.parametrize("role", [Role.BUREAU_REVIEWER, Role.PHARMACY_MANAGER, Role.WINDOW_CLERK])
def test_only_bureau_admins_reach_the_calendar(role: Role, personas: dict[str, User]) -> None:
    client = login(Client(), personas[role])
    assert client.get("/programmes/calendar/").status_code == 404
    assert client.post("/programmes/calendar/", {"date": "2027-02-20"}).status_code == 404
