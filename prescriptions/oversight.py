"""Selectors the fund supervision reads (supervision.rules): refused counter attempts
(CounterRefusal, kept even when the sale rolled back) and dispensings. Read-only;
supervision is above prescriptions and prescriptions never imports it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Max
from django.db.models.functions import TruncMonth

from prescriptions.models import CounterRefusal, Dispensing

Period = tuple[datetime, datetime]

_REFUSAL_FIELDS = (
    "id",
    "rule_id",
    "pharmacy_id",
    "pharmacy__organisation__name",
    "pharmacy__organisation_id",
    "programme_id",
    "patient_id",
    "traceability_code",
    "refused_at",
)


def refusals_new(
    *, rule_ids: list[str], after_id: int, period: Period | None
) -> list[dict[str, Any]]:
    """Refusals under `rule_ids` with an id above `after_id` (the rule's watermark), or
    within `period` (a dry run), oldest first."""
    qs = CounterRefusal.objects.filter(rule_id__in=rule_ids)
    if period is not None:
        qs = qs.filter(refused_at__gte=period[0], refused_at__lt=period[1])
    else:
        qs = qs.filter(id__gt=after_id)
    return list(qs.values(*_REFUSAL_FIELDS).order_by("id"))


def refusal_counts_by_month(
    *, rule_ids: list[str], pharmacy_ids: list[int], since: datetime, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Per pharmacy and month from `since`: how many refusals under `rule_ids`, the last
    one's id and a programme they were under (the attempts rules count the months new
    refusals fall in, against that programme's threshold)."""
    qs = CounterRefusal.objects.filter(
        rule_id__in=rule_ids, pharmacy_id__in=pharmacy_ids, refused_at__gte=since
    )
    if until is not None:
        qs = qs.filter(refused_at__lt=until)
    return list(
        qs.annotate(month=TruncMonth("refused_at"))
        .values(
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "month",
        )
        .annotate(n=Count("id"), last_id=Max("id"), programme=Max("programme_id"))
        .order_by("pharmacy_id", "month")
    )


def refusal_last_id() -> int:
    """The newest refusal's id (0: none)."""
    return CounterRefusal.objects.aggregate(m=Max("id"))["m"] or 0


def dispensings_new(
    *, after_id: int, period: Period | None, recorder_off_staff: bool = False
) -> list[dict[str, Any]]:
    """Dispensings with an id above `after_id` or within `period`; `recorder_off_staff`: only
    those recorded by an account not on the pharmacy's staff list (GY-B02)."""
    qs = Dispensing.objects.all()
    if recorder_off_staff:
        qs = qs.filter(recorder_on_staff=False)
    if period is not None:
        qs = qs.filter(dispensed_at__gte=period[0], dispensed_at__lt=period[1])
    else:
        qs = qs.filter(id__gt=after_id)
    values: Any = qs.values(
        "id",
        "number",
        "pharmacy_id",
        "pharmacy__organisation__name",
        "pharmacy__organisation_id",
        "programme_id",
        "patient_id",
        "pharmacist__username",
        "dispensed_at",
        "total",
    ).order_by("id")
    return [dict(r) for r in values]


def dispensings_around(
    *, pharmacy_ids: list[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """The dispensings of `pharmacy_ids` in [since, until], by pharmacy and time (SV-F04 looks
    at the bursts new sales fall in)."""
    values: Any = (
        Dispensing.objects.filter(
            pharmacy_id__in=pharmacy_ids, dispensed_at__gte=since, dispensed_at__lte=until
        )
        .values(
            "id",
            "number",
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "programme_id",
            "patient_id",
            "dispensed_at",
        )
        .order_by("pharmacy_id", "dispensed_at", "id")
    )
    return [dict(r) for r in values]


def dispensing_last_id() -> int:
    return Dispensing.objects.aggregate(m=Max("id"))["m"] or 0
