"""HY-E06 stocktake periods: the programme's period (quarter or month) and who counts it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from accreditation.models import Designation
from accreditation.tasks import stocktakes_scan
from core.calendar import load_calendar
from inventory.models import Stocktake
from pharmacies.models import Pharmacy
from programmes.models import PeriodUnit, Programme


def _designate(pharmacy: Pharmacy, programme: Programme, starts_on: date) -> None:
    Designation.objects.create(
        pharmacy=pharmacy, programme=programme, starts_on=starts_on, ends_on=date(2027, 12, 31)
    )


@pytest.mark.django_db
def test_hy_e06_a_pharmacy_designated_after_the_period_ended_does_not_count_it(
    hy: Programme, pharmacy: Pharmacy, outsider_pharmacy: Pharmacy
) -> None:
    # Given one pharmacy designated since January and one since 1 October
    _designate(pharmacy, hy, date(2026, 1, 1))
    _designate(outsider_pharmacy, hy, date(2026, 10, 1))
    # When the scan runs on 1 October
    with time_machine.travel(datetime(2026, 10, 1, 2, 0), tick=False):
        assert stocktakes_scan()["opened"] == 1
    # Then only the first counts Q3; the newcomer counts Q4, its first quarter
    assert list(Stocktake.objects.values_list("pharmacy", "period_start")) == [
        (pharmacy.pk, date(2026, 7, 1))
    ]
    with time_machine.travel(datetime(2027, 1, 4, 2, 0), tick=False):
        assert stocktakes_scan()["opened"] == 2
    assert Stocktake.objects.filter(pharmacy=outsider_pharmacy, period_start=date(2026, 10, 1))


@pytest.mark.django_db
def test_hy_e06_a_monthly_programme_counts_every_month(hy: Programme, pharmacy: Pharmacy) -> None:
    # Given a bureau that sets monthly stocktakes
    Programme.objects.filter(pk=hy.pk).update(stocktake_period=PeriodUnit.MONTH)
    hy.refresh_from_db()
    _designate(pharmacy, hy, date(2026, 1, 1))
    # When the scan runs on 1 November (and again the next day)
    with time_machine.travel(datetime(2026, 11, 1, 2, 0), tick=False):
        assert stocktakes_scan()["opened"] == 1
    with time_machine.travel(datetime(2026, 11, 2, 2, 0), tick=False):
        assert stocktakes_scan()["opened"] == 0
    # Then October is counted, due the programme's working days after the month's end
    stocktake = Stocktake.objects.get()
    assert (stocktake.period_start, stocktake.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert stocktake.due_on == load_calendar(region_id=None).add_working_days(
        date(2026, 10, 31), hy.stocktake_due_working_days
    )
    # And on quarters again, the same day's scan opens the quarter just ended instead
    Programme.objects.filter(pk=hy.pk).update(stocktake_period=PeriodUnit.QUARTER)
    with time_machine.travel(datetime(2026, 11, 1, 2, 0), tick=False):
        assert stocktakes_scan()["opened"] == 1
    assert Stocktake.objects.filter(period_start=date(2026, 7, 1), period_end=date(2026, 9, 30))
