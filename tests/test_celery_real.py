"""Periodic work runs through a real Celery worker on the Redis broker."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker

from accounts.models import Role, User
from config.celery import app
from core.models import HolidayOverride, Notification
from programmes.tasks import remind_calendar_arrangement
from tests.factories import region


@pytest.mark.django_db(transaction=True)
def test_calendar_reminder_runs_on_a_real_worker_and_is_sent_once(
    personas: dict[str, User],
) -> None:
    admin = personas[Role.BUREAU_ADMIN]
    assert app.conf.broker_url.startswith("redis://")
    with (
        time_machine.travel(date(2026, 11, 24)),
        start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"),
    ):
        assert remind_calendar_arrangement.delay().get(timeout=30) == 1
        # Idempotent: the daily scan does not repeat a reminder already sent.
        assert remind_calendar_arrangement.delay().get(timeout=30) == 0
    notes = Notification.objects.filter(recipient=admin)
    assert [n.subject for n in notes] == ["请录入 2027 年法定节假日调休安排"]
    assert not Notification.objects.filter(recipient=personas[Role.PHARMACIST]).exists()


@pytest.mark.django_db
def test_no_reminder_once_the_year_is_entered(personas: dict[str, User]) -> None:
    HolidayOverride.objects.create(
        region=region("430421"), date=date(2027, 2, 20), is_working_day=True, name="春节调休"
    )
    with time_machine.travel(date(2026, 11, 24)):
        assert remind_calendar_arrangement.apply().get() == 0


@pytest.mark.django_db
def test_sec_reminder_follows_each_regions_own_arrangement(
    personas: dict[str, User], outsider_bureau_admin: User
) -> None:
    # Hengyang entered 2027; Guiyang did not: only Guiyang's admin is reminded.
    HolidayOverride.objects.create(
        region=region("430421"), date=date(2027, 2, 20), is_working_day=True, name="春节调休"
    )
    with time_machine.travel(date(2026, 11, 24)):
        assert remind_calendar_arrangement.apply().get() == 1
    assert outsider_bureau_admin.notifications.count() == 1
    assert not personas[Role.BUREAU_ADMIN].notifications.exists()


def test_every_periodic_scan_is_on_the_beat_schedule_and_registered() -> None:
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled == {
        "programmes.remind_calendar_arrangement",
        "accreditation.scan_deadlines",
        "inventory.stocktakes_scan",
        "inventory.purchase_imports_recover",
        "supervision.rules_scan",
    }
    app.loader.import_default_modules()
    assert scheduled <= set(app.tasks)
