"""Bureau admins enter a year's holiday arrangement; nobody else reaches the page."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from accounts.models import Role, User
from core.calendar import is_working_day
from core.models import HolidayOverride
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_bureau_admin_enters_a_make_up_working_day_and_calculations_use_it(
    personas: dict[str, User],
) -> None:
    client = login(Client(), personas[Role.BUREAU_ADMIN])
    page = client.get("/programmes/calendar/").content.decode()
    assert "仅有法定节日，调休未录入" in page  # 2027 before entry
    response = client.post(
        "/programmes/calendar/",
        {"date": "2027-02-20", "is_working_day": "on", "name": "春节调休上班"},
    )
    assert response.status_code == 302
    assert is_working_day(date(2027, 2, 20))
    # Entering the same day again replaces the entry instead of failing.
    client.post("/programmes/calendar/", {"date": "2027-02-20", "name": "更正：放假"})
    assert HolidayOverride.objects.count() == 1
    assert not is_working_day(date(2027, 2, 20))
    override = HolidayOverride.objects.get()
    assert override.created_by == personas[Role.BUREAU_ADMIN]
    client.post(f"/programmes/calendar/{override.pk}/delete/")
    assert not HolidayOverride.objects.exists()


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
