"""HY-E06 stocktake due dates in a year without a holiday arrangement (issue 15.3): the page
says so beside the date; the bureau entering the arrangement moves the stored date, with an
event row, and the note goes."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client

from accounts.models import Role, User
from core.calendar import load_calendar
from inventory.models import Stocktake
from inventory.services import stocktakes_open_for_period
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
NOTE = "2029年节假日安排尚未录入，日期按周末推算，录入后自动重算"


def test_hy_e06_stocktake_due_date_in_an_unknown_year_is_noted_and_recomputed(
    hy: Programme, pharmacy: Pharmacy, manager: User, personas: dict[str, User]
) -> None:
    with time_machine.travel("2029-01-02 10:00 +0800"):
        stocktakes_open_for_period(programme=hy, pharmacies=[pharmacy], today=date(2029, 1, 1))
        stocktake = Stocktake.objects.get(pharmacy=pharmacy)
        due = stocktake.due_on
        assert due.year == 2029
        page = f"/inventory/stocktakes/{stocktake.pk}/"
        html = login(Client(), manager).get(page).content.decode()
        assert due.isoformat() in html and NOTE in html
        admin = login(Client(), personas[Role.BUREAU_ADMIN])
        admin.post("/programmes/calendar/", {"date": "2029-01-04", "name": "调休放假"})
        stocktake.refresh_from_db()
        calendar = load_calendar(region_id=pharmacy.organisation.region_id)
        assert stocktake.due_on == calendar.add_working_days(date(2028, 12, 31), 10)
        assert stocktake.due_on > due
        event = stocktake.events.order_by("-id").first()
        assert event is not None and event.rule_id == "HY-E06"
        assert due.isoformat() in event.reason and stocktake.due_on.isoformat() in event.reason
        html = login(Client(), manager).get(page).content.decode()
        assert stocktake.due_on.isoformat() in html and NOTE not in html
