"""Working-day calendar: statutory holidays, 调休 make-up days, overrides, unknown years."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.calendar import (
    WorkingCalendar,
    YearStatus,
    add_months,
    add_working_days,
    is_working_day,
    load_calendar,
    next_working_day,
    period_applies,
    period_last_day,
    years_needing_arrangement,
)
from core.models import HolidayOverride
from tests.factories import region

CAL = WorkingCalendar()


def test_national_day_week_2026_is_off_and_saturday_10_october_is_a_working_day() -> None:
    for day in range(1, 8):
        assert not CAL.is_working_day(date(2026, 10, day)), f"2026-10-0{day} is a holiday"
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday, 调休
    assert CAL.is_working_day(date(2026, 9, 20))  # Sunday, 调休
    assert not CAL.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert CAL.is_working_day(date(2026, 10, 8))


def test_five_working_days_across_national_day_count_the_make_up_saturday() -> None:
    # Given a notice published on 30 September 2026 (the day itself does not count)
    # then 8, 9, 10 (Saturday 调休), 12 and 13 October are the five working days.
    assert CAL.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert CAL.next_working_day(date(2026, 10, 1)) == date(2026, 10, 8)


def test_spring_festival_2026() -> None:
    for day in (15, 16, 17, 18, 19, 20, 23):
        assert not CAL.is_working_day(date(2026, 2, day))
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday before, 调休
    assert CAL.is_working_day(date(2026, 2, 28))  # Saturday after, 调休
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert CAL.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2


def test_an_unknown_year_still_works_on_weekends_only() -> None:
    assert CAL.year_status(2101) == YearStatus.UNKNOWN
    first = date(2101, 1, 3)
    saturday = first + timedelta(days=(5 - first.weekday()) % 7)
    assert not CAL.is_working_day(saturday)
    assert CAL.is_working_day(saturday + timedelta(days=2))
    assert CAL.next_working_day(saturday) == saturday + timedelta(days=2)
    assert CAL.add_working_days(saturday, 5) == saturday + timedelta(days=6)


def test_2027_is_provisional_until_the_bureau_enters_its_arrangement() -> None:
    assert CAL.year_status(2026) == YearStatus.OFFICIAL
    assert CAL.year_status(2027) == YearStatus.PROVISIONAL
    # Statutory Spring Festival 2027 is still known from the package.
    assert not CAL.is_working_day(date(2027, 2, 8))
    entered = WorkingCalendar(overrides={date(2027, 2, 20): True})
    assert entered.year_status(2027) == YearStatus.ENTERED
    assert entered.is_working_day(date(2027, 2, 20))  # a Saturday made a working day


def test_civil_code_month_periods_end_on_the_corresponding_day_or_month_end() -> None:
    assert add_months(date(2026, 7, 15), 3) == date(2026, 10, 15)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    # A period ending on a holiday ends on the next working day (art. 203).
    assert CAL.period_end(date(2026, 7, 1), months=3) == date(2026, 10, 8)
    assert CAL.period_end(date(2026, 7, 15), months=3) == date(2026, 10, 15)


def test_add_working_days_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 1, 5), -1)
    # zero working days after a day is that day, even a holiday (nothing is counted)
    assert CAL.add_working_days(date(2026, 1, 1), 0) == date(2026, 1, 1)


@pytest.mark.django_db
def test_bureau_override_wins_over_the_package() -> None:
    # Given the bureau declares 2026-10-10 a day off after all (e.g. a local arrangement)
    hy = region("430421").pk
    HolidayOverride.objects.create(
        region_id=hy, date=date(2026, 10, 10), is_working_day=False, name="测试"
    )
    # then every calculation in its region uses it
    assert not is_working_day(date(2026, 10, 10), region_id=hy)
    assert next_working_day(date(2026, 10, 9), region_id=hy) == date(2026, 10, 12)
    assert add_working_days(date(2026, 9, 30), 5, region_id=hy) == date(2026, 10, 14)
    assert load_calendar(region_id=hy).year_status(2026) == YearStatus.OFFICIAL


@pytest.mark.django_db
def test_years_needing_arrangement_lists_next_year_until_entered() -> None:
    hy = region("430421").pk
    assert years_needing_arrangement(date(2026, 11, 24), calendar=load_calendar(region_id=hy)) == [
        2027
    ]
    HolidayOverride.objects.create(
        region_id=hy, date=date(2027, 2, 20), is_working_day=True, name="春节调休"
    )
    assert years_needing_arrangement(date(2026, 11, 24), calendar=load_calendar(region_id=hy)) == []
    # Another region has entered nothing: it still needs its arrangement.
    gy = region("520100").pk
    assert years_needing_arrangement(date(2026, 11, 24), calendar=load_calendar(region_id=gy)) == [
        2027
    ]


@pytest.mark.django_db
def test_sec_overrides_apply_in_their_region_and_below_only() -> None:
    city, county, guiyang = region("430400").pk, region("430421").pk, region("520100").pk
    saturday = date(2027, 2, 20)
    HolidayOverride.objects.create(region_id=city, date=saturday, is_working_day=True)
    assert is_working_day(saturday, region_id=city)
    assert is_working_day(saturday, region_id=county)  # the county is in the city
    assert not is_working_day(saturday, region_id=guiyang)  # another region: weekend
    # The county's own entry for the day wins over the city's.
    HolidayOverride.objects.create(region_id=county, date=saturday, is_working_day=False)
    assert not is_working_day(saturday, region_id=county)
    assert is_working_day(saturday, region_id=city)
    # A withdrawn entry no longer counts.
    HolidayOverride.objects.filter(region_id=county).update(deleted_at=timezone.now())
    assert is_working_day(saturday, region_id=county)


def test_counting_periods_last_day_is_the_corresponding_day_and_applies_through_it() -> None:
    # Civil Code arts. 201–202: the start day is not counted; the period ends on the
    # corresponding day of its last month, inclusive.
    assert period_last_day(date(2026, 5, 21), years=1) == date(2027, 5, 21)
    assert period_last_day(date(2025, 6, 1), years=5) == date(2030, 6, 1)
    assert period_last_day(date(2026, 7, 15), months=3) == date(2026, 10, 15)
    # No corresponding day: the last day of that month.
    assert period_last_day(date(2024, 2, 29), years=1) == date(2025, 2, 28)
    assert period_last_day(date(2024, 2, 29), years=4) == date(2028, 2, 29)
    assert period_last_day(date(2026, 8, 31), months=6) == date(2027, 2, 28)
    last = period_last_day(date(2026, 5, 21), years=1)
    assert period_applies(last, last)
    assert not period_applies(last + timedelta(days=1), last)
    assert not period_applies(last, None)


def test_counting_periods_ending_in_november_and_december_use_those_months_lengths() -> None:
    # December has 31 days, November 30: a month-end start keeps the month's own last day.
    assert period_last_day(date(2026, 10, 31), months=2) == date(2026, 12, 31)
    assert period_last_day(date(2026, 8, 31), months=3) == date(2026, 11, 30)
    assert period_last_day(date(2025, 12, 31), years=1) == date(2026, 12, 31)


def test_working_days_between_a_day_and_itself_or_an_earlier_day_is_zero() -> None:
    assert CAL.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert CAL.working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == 0
    assert CAL.working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5
