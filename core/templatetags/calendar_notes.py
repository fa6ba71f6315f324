"""`{% calendar_note day region_id %}`: beside a working-day date, say when the date's year has
no official or entered holiday arrangement yet (issue 15.3). The date was counted on weekends
and statutory days only; it is recomputed when the bureau enters the arrangement."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core.calendar import WorkingCalendar, load_calendar, unconfirmed_year

register = template.Library()


@register.simple_tag(takes_context=True)
def calendar_note(context: Any, day: date | None, region_id: int | None) -> SafeString | str:
    if day is None or region_id is None:
        return ""
    # One calendar per region and page (a list of rows of one region costs one lookup).
    cache: dict[int, WorkingCalendar] = context.render_context.setdefault("calendar_notes", {})
    if region_id not in cache:
        cache[region_id] = load_calendar(region_id=region_id)
    year = unconfirmed_year(day, calendar=cache[region_id])
    if year is None:
        return ""
    return format_html(
        '<span class="calendar-note muted" data-testid="calendar-note">{}</span>',
        _("%(year)s年节假日安排尚未录入，日期按周末推算，录入后自动重算") % {"year": year},
    )
