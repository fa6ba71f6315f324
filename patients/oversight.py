"""Selectors the fund supervision reads (supervision.rules): filings (申报) and enrolments,
for SV-F12 duplicate or inconsistent filings. Read-only; supervision is above patients and
patients never imports it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from patients.models import Enrolment, EnrolmentStatus, Filing, FilingStatus

Period = tuple[datetime, datetime]

# A filing refused at the preliminary or the expert review no longer stands (the portal has no
# withdrawal): every other status, approved included, is a filing the patient still holds.
FILING_REFUSED = (FilingStatus.PRELIMINARY_REJECTED, FilingStatus.REJECTED)

_FILING_FIELDS = (
    "id",
    "number",
    "patient_id",
    "patient__name",
    "disease_id",
    "disease__name",
    "disease__programme_id",
    "round_label",
    "window_id",
    "window__name",
    "status",
    "lodged_on",
)


def _new(qs: Any, *, after_id: int, period: Period | None) -> Any:
    if period is not None:
        return qs.filter(created_at__gte=period[0], created_at__lt=period[1])
    return qs.filter(id__gt=after_id)


def _rows(qs: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in qs.values(*_FILING_FIELDS).order_by("id")]


def filings_in_round_new(
    *, after_id: int, period: Period | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """SV-F12: the newest filing id above `after_id` (None: nothing new; a dry run reads
    filings recorded within `period`) and the new filings of a round (集中申报) that were not
    refused, oldest first."""
    new = _new(Filing.objects.all(), after_id=after_id, period=period)
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    return last, _rows(new.exclude(round_label="").exclude(status__in=FILING_REFUSED))


def filings_in_rounds_of(
    *, patient_ids: list[int], round_labels: list[str], before_id: int
) -> list[dict[str, Any]]:
    """SV-F12: the filings of `patient_ids` in `round_labels` with an id up to `before_id`
    that were not refused (what a new filing may duplicate), oldest first."""
    return _rows(
        Filing.objects.filter(
            patient_id__in=patient_ids, round_label__in=round_labels, id__lte=before_id
        ).exclude(status__in=FILING_REFUSED)
    )


def filings_while_enrolled_new(
    *, after_id: int, period: Period | None
) -> tuple[int | None, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """SV-F12: the newest filing id above `after_id` (None: nothing new) and each new filing
    lodged for a patient × disease already enrolled, with that enrolment: one of another
    filing, created before the filing was lodged (earlier, and not after its lodging day) and
    still active then (active now, or ended on or after the lodging day). Two statements."""
    new = _new(Filing.objects.all(), after_id=after_id, period=period)
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    filings = [dict(r) for r in new.values(*_FILING_FIELDS, "created_at").order_by("id")]
    enrolments = (
        Enrolment.objects.filter(patient_id__in={f["patient_id"] for f in filings})
        .values(
            "id",
            "patient_id",
            "disease_id",
            "filing_id",
            "filing__number",
            "filing__window__name",
            "starts_on",
            "status",
            "created_at",
        )
        .annotate(ended_at=Max("events__at", filter=Q(events__new_status=EnrolmentStatus.ENDED)))
        .order_by("id")
    )
    by_patient: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for enrolment in enrolments:
        by_patient.setdefault((enrolment["patient_id"], enrolment["disease_id"]), []).append(
            dict(enrolment)
        )
    found = []
    for filing in filings:
        for enrolment in by_patient.get((filing["patient_id"], filing["disease_id"]), []):
            if _enrolled_when_lodged(enrolment, filing):
                found.append((filing, enrolment))
                break
    return last, found


def _enrolled_when_lodged(enrolment: dict[str, Any], filing: dict[str, Any]) -> bool:
    lodged_on = filing["lodged_on"]
    if enrolment["filing_id"] == filing["id"] or enrolment["created_at"] >= filing["created_at"]:
        return False
    if timezone.localdate(enrolment["created_at"]) > lodged_on:
        return False
    if enrolment["status"] == EnrolmentStatus.ACTIVE:
        return True
    ended_at = enrolment["ended_at"]
    return ended_at is not None and timezone.localdate(ended_at) >= lodged_on
