"""Unknown calendars are visible where dates are decided (issue 15.3): a review clock, notice
or feedback date in a year whose holiday arrangement is neither in the `holidays` package nor
entered by the bureau carries a note beside it; entering the arrangement recomputes the
stored date (an event row says from what to what) and the note goes."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client

from accounts.models import Role, User
from accreditation import services
from accreditation.models import ApplicationEvent, Designation, DesignationStatus
from core.calendar import WorkingCalendar, load_calendar
from tests.factories import accreditation as h
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
# 2029: far enough ahead that the `holidays` package has no State Council arrangement for it.
NOTE = "2029年节假日安排尚未录入，日期按周末推算，录入后自动重算"


def test_hy_c02_review_clock_in_an_unknown_year_is_noted_and_recomputed_on_entry(
    personas: dict[str, User],
) -> None:
    assert WorkingCalendar().year_status(2029) in ("provisional", "unknown")
    with time_machine.travel("2028-12-04 10:00 +0800"):
        pharmacy = h.pharmacy()
        manager, reviewer = h.manager_of(pharmacy), h.reviewer()
        application = services.application_accept(
            application=h.submitted(pharmacy, h.hy(), manager), actor=reviewer
        )
        # 3 months from 4 December 2028: Monday 5 March 2029 (4 March is a Sunday)
        assert application.evaluation_due_on == date(2029, 3, 5)
        page = f"/accreditation/review/{application.pk}/"
        html = login(Client(), reviewer).get(page).content.decode()
        assert "2029-03-05" in html and NOTE in html
        # The bureau enters 2029's arrangement: 5 March is (say) a day off.
        admin = login(Client(), personas[Role.BUREAU_ADMIN])
        saved = admin.post("/programmes/calendar/", {"date": "2029-03-05", "name": "调休放假"})
        assert saved.status_code == 302
        application.refresh_from_db()
        assert application.evaluation_due_on == date(2029, 3, 6)
        event = application.events.order_by("-id").first()
        assert isinstance(event, ApplicationEvent) and event.rule_id == "HY-C02"
        assert "2029-03-05" in event.reason and "2029-03-06" in event.reason
        assert event.actor == personas[Role.BUREAU_ADMIN]
        html = login(Client(), reviewer).get(page).content.decode()
        assert "2029-03-06" in html and NOTE not in html


def test_hy_c03_public_notice_end_in_an_unknown_year_is_noted_and_moves_on_entry(
    personas: dict[str, User],
) -> None:
    with time_machine.travel("2028-12-27 10:00 +0800"):
        pharmacy = h.pharmacy()
        manager, reviewer = h.manager_of(pharmacy), h.reviewer()
        application = h.passed(pharmacy, h.hy(), manager, reviewer)
        ends = application.notice_ends_on
        assert ends is not None and ends.year == 2029
        assert NOTE in Client().get("/public/notices/").content.decode()
        admin = login(Client(), personas[Role.BUREAU_ADMIN])
        admin.post("/programmes/calendar/", {"date": ends.isoformat(), "name": "调休放假"})
        application.refresh_from_db()
        region = pharmacy.organisation.region_id
        assert application.notice_ends_on == load_calendar(region_id=region).add_working_days(
            date(2028, 12, 27), 5
        )
        assert application.notice_ends_on > ends
        public = Client().get("/public/notices/").content.decode()
        assert application.notice_ends_on.isoformat() in public and NOTE not in public


def test_a_known_year_shows_no_note(personas: dict[str, User]) -> None:
    with time_machine.travel("2026-03-02 10:00 +0800"):
        pharmacy = h.pharmacy()
        manager, reviewer = h.manager_of(pharmacy), h.reviewer()
        application = services.application_accept(
            application=h.submitted(pharmacy, h.hy(), manager), actor=reviewer
        )
        assert application.evaluation_due_on is not None
        assert application.evaluation_due_on.year == 2026  # official in the package
        html = login(Client(), reviewer).get(f"/accreditation/review/{application.pk}/")
        assert "节假日安排尚未录入" not in html.content.decode()


def test_hy_g06_revocation_stop_day_in_an_unknown_year_is_noted_and_recomputed(
    personas: dict[str, User],
) -> None:
    with time_machine.travel("2028-12-10 10:00 +0800"):
        pharmacy, reviewer = h.pharmacy(), h.reviewer()
        designation = Designation.objects.create(
            pharmacy=pharmacy,
            programme=h.hy(),
            starts_on=date(2028, 1, 1),
            ends_on=date(2028, 12, 31),
            status=DesignationStatus.REVOKED,
            settle_until=date(2028, 12, 31),
            # 1 January 2029 is New Year's Day: the first working day after it
            stops_on=date(2029, 1, 2),
        )
        page = f"/accreditation/designations/{designation.pk}/"
        html = login(Client(), reviewer).get(page).content.decode()
        assert "2029-01-02" in html and NOTE in html
        admin = login(Client(), personas[Role.BUREAU_ADMIN])
        admin.post("/programmes/calendar/", {"date": "2029-01-02", "name": "元旦调休放假"})
        designation.refresh_from_db()
        assert designation.stops_on == date(2029, 1, 3)
        event = designation.events.get(rule_id="HY-G06")
        assert "2029-01-02" in event.reason and "2029-01-03" in event.reason
        html = login(Client(), reviewer).get(page).content.decode()
        assert "2029-01-03" in html and NOTE not in html
