"""Working-day arithmetic: how fast due dates are computed (used by every deadline scan)."""

from __future__ import annotations

import time
from datetime import date, timedelta

from core.calendar import WorkingCalendar


def run() -> None:
    calendar = WorkingCalendar()
    starts = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    calendar.add_working_days(starts[0], 5)  # warm the per-year cache
    rounds = 20
    began = time.perf_counter()
    for _ in range(rounds):
        for start in starts:
            calendar.add_working_days(start, 5)
            calendar.period_end(start, months=3)
    elapsed = time.perf_counter() - began
    per_call = elapsed / (rounds * len(starts) * 2) * 1e6
    print(f"due dates computed: {rounds * len(starts) * 2}, {per_call:.1f} µs each")
