"""Chinese working-day calendar.

Statutory holidays and make-up working days (调休) come from the maintained `holidays`
package; bureau-entered `HolidayOverride` rows of a region (and of the regions above it)
win over it there. The arithmetic is pure: functions take a `WorkingCalendar` (or load the
one of a region) and dates, never "now".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import holidays


class YearStatus(StrEnum):
    OFFICIAL = "official"  # the package has the State Council's arrangement incl. 调休
    ENTERED = "entered"  # the bureau entered overrides for the year
    PROVISIONAL = "provisional"  # statutory holidays computed, 调休 not yet known
    UNKNOWN = "unknown"  # no data at all: weekends only


@lru_cache(maxsize=256)
def _package_year(year: int) -> tuple[frozenset[date], frozenset[date], bool]:
    """(holidays, make-up workdays, known) of one year from the package."""
    cn = holidays.country_holidays("CN", years=year)
    if not (cn.start_year <= year <= cn.end_year):
        return frozenset(), frozenset(), False
    days_off = frozenset(d for d in cn if d.year == year)
    workdays = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return days_off, workdays, True


@dataclass(frozen=True)
class WorkingCalendar:
    """Statutory calendar plus overrides: {date: is_working_day}."""

    overrides: dict[date, bool] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        days_off, workdays, _known = _package_year(day.year)
        if day in workdays:
            return True
        if day in days_off:
            return False
        return day.weekday() < 5

    def year_status(self, year: int) -> YearStatus:
        days_off, workdays, known = _package_year(year)
        if workdays:
            return YearStatus.OFFICIAL
        if any(d.year == year for d in self.overrides):
            return YearStatus.ENTERED
        return YearStatus.PROVISIONAL if known and days_off else YearStatus.UNKNOWN

    def next_working_day(self, day: date, *, include_today: bool = False) -> date:
        """The first working day after `day` (or `day` itself when include_today and working)."""
        current = day if include_today else day + timedelta(days=1)
        while not self.is_working_day(current):
            current += timedelta(days=1)
        return current

    def add_working_days(self, start: date, count: int) -> date:
        """The date `count` working days after `start`; `start` itself is not counted."""
        if count < 0:
            raise ValueError("count must not be negative")
        current = start
        remaining = count
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many have passed from start to end."""
        if end <= start:
            return 0
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )

    def period_end(self, start: date, *, months: int = 0, years: int = 0) -> date:
        """End of a period in months/years counted the Civil Code way (arts. 201–203)."""
        return self.next_working_day(
            period_last_day(start, months=months, years=years), include_today=True
        )


def period_last_day(start: date, *, months: int = 0, years: int = 0) -> date:
    """The last day in force of a period of `months`/`years` counted from `start` ("Counting
    periods" in rules.md; Civil Code arts. 201–202): `start` itself is not counted, so the period
    ends on the corresponding day of its last month — that month's last day when it has no such
    day (29 February + 1 year → 28 February) — and applies through the whole of that day.
    Bans, agreement terms and retention periods all use it; "still applies on `on`" is
    `period_applies(on, last_day)`, i.e. `on <= last_day`."""
    return add_months(start, months + 12 * years)


def period_applies(on: date, last_day: date | None) -> bool:
    """Whether a period whose last day in force is `last_day` still applies on `on`."""
    return last_day is not None and on <= last_day


def add_months(start: date, months: int) -> date:
    """The corresponding day `months` later; the month's last day when it has no such day."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, _days_in_month(year, month))
    return date(year, month, day)


def calendar_period(day: date, months: int) -> tuple[date, date]:
    """The calendar period of `months` months containing `day`, aligned on January: 1 gives
    the month, 3 the quarter (Q1 = January–March), 12 the year. First and last day."""
    first_month = months * ((day.month - 1) // months) + 1
    start = date(day.year, first_month, 1)
    last = add_months(start, months - 1)
    return start, last.replace(day=_days_in_month(last.year, last.month))


def quarter_bounds(day: date) -> tuple[date, date]:
    """The calendar quarter containing `day`."""
    return calendar_period(day, 3)


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - timedelta(days=1)).day


def region_chain(region_id: int) -> list[int]:
    """The region and the regions above it, nearest first."""
    from core.models import HolidayOverride

    region_model: Any = HolidayOverride._meta.get_field("region").related_model
    chain: list[int] = []
    current: int | None = region_id
    while current is not None and current not in chain:
        chain.append(current)
        current = (
            region_model._default_manager.filter(pk=current)
            .values_list("parent_id", flat=True)
            .first()
        )
    return chain


def load_calendar(*, region_id: int | None) -> WorkingCalendar:
    """The calendar in force in a region: package data plus the bureau overrides of the region
    and of the regions above it (the nearest wins). `region_id=None`: statutory only."""
    from core.models import HolidayOverride

    if region_id is None:
        return WorkingCalendar()
    chain = region_chain(region_id)
    rank = {pk: i for i, pk in enumerate(chain)}
    rows = HolidayOverride.objects.filter(region_id__in=chain, deleted_at__isnull=True).values_list(
        "region_id", "date", "is_working_day"
    )
    overrides: dict[date, bool] = {}
    # Farthest first, so that a nearer region's entry for the same day wins.
    for _region, day, working in sorted(rows, key=lambda r: -rank[r[0]]):
        overrides[day] = working
    return WorkingCalendar(overrides=overrides)


def is_working_day(day: date, *, region_id: int | None) -> bool:
    return load_calendar(region_id=region_id).is_working_day(day)


def next_working_day(day: date, *, region_id: int | None, include_today: bool = False) -> date:
    return load_calendar(region_id=region_id).next_working_day(day, include_today=include_today)


def add_working_days(start: date, count: int, *, region_id: int | None) -> date:
    return load_calendar(region_id=region_id).add_working_days(start, count)


def unconfirmed_year(day: date | None, *, calendar: WorkingCalendar) -> int | None:
    """The year of `day` when its 调休 arrangement is neither official (package) nor entered by
    the bureau: a working-day date in it is provisional (weekends and statutory days only)."""
    if day is None:
        return None
    status = calendar.year_status(day.year)
    return day.year if status in (YearStatus.PROVISIONAL, YearStatus.UNKNOWN) else None


def years_needing_arrangement(today: date, *, calendar: WorkingCalendar) -> list[int]:
    """This year and next, where the 调休 arrangement is neither official nor entered."""
    return [
        year
        for year in (today.year, today.year + 1)
        if calendar.year_status(year) in (YearStatus.PROVISIONAL, YearStatus.UNKNOWN)
    ]
