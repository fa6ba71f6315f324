"""Prescription rules beside the services that apply them (prescriptions.services.issue).

HY 五(二) "处方原则上一月开一次，若因病情需要开具长期处方的，长期处方不得超过3个月" — the catalogue
has no ID of its own for "once a month"; its nearest is HY-E02 ("a prescription normally covers
one month; a long-term prescription covers ≤ 3 months"), which the refusals name.

Choice (README "Policy notes"): a second *ordinary* prescription for the same patient and
disease within one month of an earlier one is refused; the policy's own way to cover more than
a month is a long-term prescription, which is allowed (and itself capped by HY-E02's days). A
free-text reason would leave "原则上" unenforced by the portal, so none is offered. An earlier
prescription counts only while it is in use: dispensed (a settled, not returned sale) or
still within its validity — one that expired unused, or whose sales were all returned, does not
block a replacement. The month is counted as the Civil Code counts periods
(core.calendar.period_last_day): issued on 10 March, the month's last day is 10 April.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from core.calendar import add_months, period_applies, period_last_day
from core.errors import RuleViolation
from patients.models import Patient
from prescriptions.models import (
    Dispensing,
    DispensingStatus,
    Prescription,
    PrescriptionKind,
)
from programmes.models import Disease, Programme


def prescription_in_use_within_month(
    *, programme: Programme, patient: Patient, disease: Disease, issued_on: date
) -> Prescription | None:
    """The earlier ordinary prescription for this patient and disease whose month (counted
    from its issue day) still runs on `issued_on` and which is in use; None if there is none
    or the programme sets no interval."""
    months = programme.prescription_interval_months
    if not months:
        return None
    # Issued on or after the day whose period would still run on `issued_on` (a superset:
    # each candidate is then checked with period_last_day itself).
    earliest = add_months(issued_on, -months) - timedelta(days=1)
    candidates = (
        Prescription.objects.filter(
            patient=patient,
            disease=disease,
            kind=PrescriptionKind.NORMAL,
            issued_on__gte=earliest,
            issued_on__lte=issued_on,
        )
        .annotate(
            dispensed=Exists(
                Dispensing.objects.filter(
                    prescription=OuterRef("pk"), status=DispensingStatus.SETTLED
                )
            )
        )
        .order_by("-issued_on", "-id")
    )
    for earlier in candidates:
        if not period_applies(issued_on, period_last_day(earlier.issued_on, months=months)):
            continue
        if earlier.dispensed or issued_on <= earlier.valid_until:
            return earlier
    return None


def assert_once_a_month(
    *, programme: Programme, patient: Patient, disease: Disease | None, kind: str, issued_on: date
) -> None:
    """HY-E02 / HY 五(二): refuse a second ordinary prescription within the month (see the
    module's docstring); a long-term prescription is the policy's exception."""
    if disease is None or kind == PrescriptionKind.LONG_TERM:
        return
    earlier = prescription_in_use_within_month(
        programme=programme, patient=patient, disease=disease, issued_on=issued_on
    )
    if earlier is None:
        return
    months = programme.prescription_interval_months
    assert months is not None
    last_day = period_last_day(earlier.issued_on, months=months)
    raise RuleViolation(
        "HY-E02",
        _(
            "处方原则上一月开一次：该患者“%(d)s”已有 %(on)s 开具的普通处方 %(no)s，"
            "%(until)s 之后才能再开普通处方；因病情需要的，可开具长期处方。"
        )
        % {
            "d": disease.name,
            "on": earlier.issued_on.isoformat(),
            "no": earlier.number,
            "until": last_day.isoformat(),
        },
        field="kind",
    )
