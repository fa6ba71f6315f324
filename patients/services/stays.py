"""Hospital stays (HY-G08): recorded by hospitals, imported all-or-nothing, discharged."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    Organisation,
    OrganisationKind,
    User,
)
from core.errors import DomainError
from core.uploads import check_xlsx
from core.validators import normalise_resident_id
from patients.models import (
    HospitalStay,
    Patient,
    StaySource,
)
from patients.selectors import (
    patient_for_stay,
    stay_patients_for,
)

# --- Hospital stays ---------------------------------------------------------------------------


# How far back a hospital may date an admission: it records a stay while the patient is in
# hospital or soon after; an older admission is a correction for the bureau, not the hospital.
# (Not a policy number: a bound on data entry, so that one mistyped year cannot refuse a
# patient's purchases for a decade.)
STAY_ADMISSION_MAX_AGE_DAYS = 366


def stay_patient_not_found() -> DomainError:
    """The one answer for "no such patient here": unknown ID, another region and not enrolled
    read alike and do not name the patient (a lookup must not reveal who is enrolled where)."""
    return DomainError(_("本地区没有该身份证号的特门患者。"), field="resident_id")


def _admission_refusal(admitted_on: date, today: date) -> DomainError | None:
    if admitted_on > today:
        return DomainError(_("入院日期不能晚于今天。"), field="admitted_on")
    if (today - admitted_on).days > STAY_ADMISSION_MAX_AGE_DAYS:
        return DomainError(
            _("入院日期早于 %(days)d 天前，请联系医保经办机构更正。")
            % {"days": STAY_ADMISSION_MAX_AGE_DAYS},
            field="admitted_on",
        )
    return None


def _discharge_refusal(admitted_on: date, discharged_on: date, today: date) -> DomainError | None:
    if discharged_on < admitted_on:
        return DomainError(_("出院日期不能早于入院日期。"), field="discharged_on")
    if discharged_on > today:
        return DomainError(_("出院日期不能晚于今天。"), field="discharged_on")
    return None


def _stay_dates_refusal(
    *, admitted_on: date, discharged_on: date | None, today: date
) -> DomainError | None:
    """What is wrong with a new stay's dates, on the field it names; None when nothing is."""
    return _admission_refusal(admitted_on, today) or (
        _discharge_refusal(admitted_on, discharged_on, today) if discharged_on else None
    )


def stay_record(
    *,
    patient: Patient,
    hospital: Organisation,
    admitted_on: date,
    actor: User | None,
    source: str = StaySource.HOSPITAL,
    discharged_on: date | None = None,
) -> HospitalStay:
    """HY-G08 data: an admission (and discharge) recorded by a hospital of the patient's
    programme region; anyone else's patient is "not found" (no name, no hint why)."""
    if hospital.kind != OrganisationKind.HOSPITAL:
        raise DomainError(_("住院记录只能由医院登记。"))
    if not stay_patients_for(hospital).filter(pk=patient.pk).exists():
        raise stay_patient_not_found()
    refused = _stay_dates_refusal(
        admitted_on=admitted_on, discharged_on=discharged_on, today=timezone.localdate()
    )
    if refused is not None:
        raise refused
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=patient.pk)
        if HospitalStay.objects.filter(patient=patient, discharged_on__isnull=True).exists():
            raise DomainError(_("该患者已有未出院的住院记录。"))
        stay = HospitalStay(
            patient=patient,
            hospital=hospital,
            admitted_on=admitted_on,
            discharged_on=discharged_on,
            source=source,
            recorded_by=actor,
        )
        stay._history_user = actor  # type: ignore[attr-defined]  # not the API key's request.user
        stay.save()
        return stay


def stay_record_by_resident_id(
    *,
    resident_id: str,
    hospital: Organisation,
    admitted_on: date,
    actor: User | None,
    source: str = StaySource.HOSPITAL,
    discharged_on: date | None = None,
) -> HospitalStay:
    """HY-G08 data: `stay_record` for the patient the hospital names by resident ID."""
    patient = patient_for_stay(hospital=hospital, resident_id=resident_id)
    if patient is None:
        raise stay_patient_not_found()
    return stay_record(
        patient=patient,
        hospital=hospital,
        admitted_on=admitted_on,
        discharged_on=discharged_on,
        source=source,
        actor=actor,
    )


def stay_discharge(
    *, stay: HospitalStay, hospital: Organisation, discharged_on: date, actor: User | None
) -> HospitalStay:
    """HY-G08 data: the discharge date ends the block on 特门 purchases; only the hospital
    that recorded the stay discharges it (callers pass the stay through the access helper)."""
    if stay.hospital_id != hospital.pk:
        raise DomainError(_("只有登记该住院记录的医院可以登记出院。"))
    with transaction.atomic():
        locked = HospitalStay.objects.select_for_update().get(pk=stay.pk)
        if locked.discharged_on is not None:
            raise DomainError(_("已登记出院。"))
        # The admission may by now be older than a new record's may be: only the discharge.
        refused = _discharge_refusal(locked.admitted_on, discharged_on, timezone.localdate())
        if refused is not None:
            raise refused
        locked.discharged_on = discharged_on
        locked._history_user = actor  # type: ignore[attr-defined]
        locked.save(update_fields=["discharged_on"])
    return locked


def _sheet_rows(upload: UploadedFile) -> list[tuple[int, tuple[Any, ...]]]:
    """The numbered data rows of an uploaded workbook's first sheet (blank rows skipped);
    refuses what is not a readable xlsx of a sane size."""
    from openpyxl import load_workbook

    if (upload.size or 0) > settings.DINGDIAN_MAX_UPLOAD_BYTES:
        raise DomainError(_("文件过大。"), field="file")
    data = upload.read()
    if not data.startswith(b"PK"):
        raise DomainError(_("请上传 Excel（.xlsx）文件。"), field="file")
    check_xlsx(data)  # not a workbook, or a zip bomb: refused before anything expands
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception as exc:  # a corrupt workbook: tell the user, not a 500
        raise DomainError(_("无法读取 Excel 文件。"), field="file") from exc
    if sheet is None:
        raise DomainError(_("Excel 文件没有工作表。"), field="file")
    return [
        (number, tuple(row))
        for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2)
        if row and not all(cell in (None, "") for cell in row)
    ]


StayRow = tuple[Patient, date, date | None]
COLUMNS = {"resident_id": "A", "admitted_on": "B", "discharged_on": "C"}


def _stay_row(
    hospital: Organisation, row: tuple[Any, ...], *, today: date, seen: set[str]
) -> StayRow:
    """One row checked as `stay_record` will check it; a refusal names its column's field."""
    rid = normalise_resident_id(str(row[0] or ""))
    admitted = row[1] if len(row) > 1 else None
    discharged = row[2] if len(row) > 2 else None
    patient = patient_for_stay(hospital=hospital, resident_id=rid)
    if patient is None:  # unknown, another region's or not enrolled: one answer
        raise stay_patient_not_found()
    admitted_on = _as_date(admitted)
    discharged_on = _as_date(discharged) if discharged not in (None, "") else None
    if admitted_on is None:
        raise DomainError(_("入院日期无效。"), field="admitted_on")
    if discharged not in (None, "") and discharged_on is None:
        raise DomainError(_("出院日期无效。"), field="discharged_on")
    refused = _stay_dates_refusal(admitted_on=admitted_on, discharged_on=discharged_on, today=today)
    if refused is not None:
        raise refused
    if rid in seen:
        raise DomainError(_("同一患者在文件中重复。"), field="resident_id")
    if HospitalStay.objects.filter(patient=patient, discharged_on__isnull=True).exists():
        raise DomainError(_("该患者已有未出院的住院记录。"), field="resident_id")
    seen.add(rid)
    return patient, admitted_on, discharged_on


def stays_import(
    *, hospital: Organisation, upload: UploadedFile, actor: User
) -> list[HospitalStay]:
    """HY-G08 data: import admissions/discharges from an Excel sheet (身份证号, 入院日期,
    出院日期); every row is checked first, and the file is imported whole or not at all (the
    refusal lists every row's problem by row and column)."""
    today = timezone.localdate()
    errors: list[str] = []
    rows: list[StayRow] = []
    seen: set[str] = set()
    for number, row in _sheet_rows(upload):
        try:
            rows.append(_stay_row(hospital, row, today=today, seen=seen))
        except DomainError as exc:
            errors.append(
                _("第 %(row)d 行 %(col)s 列：%(message)s")
                % {"row": number, "col": COLUMNS.get(exc.field or "", "A"), "message": exc}
            )
    if errors:
        raise DomainError("\n".join(errors), field="file")
    if not rows:
        raise DomainError(_("文件中没有数据行。"), field="file")
    with transaction.atomic():
        return [
            stay_record(
                patient=patient,
                hospital=hospital,
                admitted_on=admitted_on,
                discharged_on=discharged_on,
                source=StaySource.IMPORT,
                actor=actor,
            )
            for patient, admitted_on, discharged_on in rows
        ]


def _as_date(value: Any) -> date | None:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None
