"""Stocktake due dates recomputed when a year's holiday arrangement is entered (issue 15.3):
an open stocktake's due date (HY-E06: N working days after the period's end) was counted on
weekends and statutory days only while its year was unknown. Each moved date gets an event."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from accounts.models import User
from core.calendar import WorkingCalendar, load_calendar
from core.event_messages import reason as named_reason
from core.transitions import note
from inventory.models import Stocktake, StocktakeStatus
from inventory.transitions import STOCKTAKE


def stocktake_due_dates_recompute(*, year: int, actor: User | None) -> int:
    """HY-E06: recompute the due dates on or after 1 January of `year` of the stocktakes not
    yet submitted, with each pharmacy's regional calendar; an event row per moved date. A
    reminder already sent stays sent (reminders are idempotent per stocktake)."""
    calendars: dict[int, WorkingCalendar] = {}
    moved = 0
    with transaction.atomic():
        rows = (
            Stocktake.objects.select_for_update(of=("self",))
            .filter(status=StocktakeStatus.OPEN, due_on__gte=date(year, 1, 1))
            .select_related("programme", "pharmacy__organisation")
            .order_by("pk")
        )
        for stocktake in rows:
            days = stocktake.programme.stocktake_due_working_days
            if days is None:
                continue
            region_id = stocktake.pharmacy.organisation.region_id
            if region_id not in calendars:
                calendars[region_id] = load_calendar(region_id=region_id)
            old, new = (
                stocktake.due_on,
                calendars[region_id].add_working_days(stocktake.period_end, days),
            )
            if old == new:
                continue
            stocktake.due_on = new
            stocktake.save(update_fields=["due_on"])
            note(
                STOCKTAKE,
                stocktake,
                actor=actor,
                reason=named_reason("due_recomputed", year=year, old=old, new=new),
            )
            moved += 1
    return moved
