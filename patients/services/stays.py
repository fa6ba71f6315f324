"""Hospital stays (HY-G08): recorded by hospitals, imported all-or-nothing, discharged."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
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


def _check_stay_dates(*, admitted_on: date, discharged_on: date | None, today: date) -> None:
    if admitted_on > today:
        raise ValidationError({"admitted_on": _("入院日期不能晚于今天。")})
    if (today - admitted_on).days > STAY_ADMISSION_MAX_AGE_DAYS:
        raise ValidationError(
            {
                "admitted_on": _("入院日期早于 %(days)d 天前，请联系医保经办机构更正。")
                % {"days": STAY_ADMISSION_MAX_AGE_DAYS}
            }
        )
    if discharged_on is not None:
        if discharged_on < admitted_on:
            raise ValidationError({"discharged_on": _("出院日期不能早于入院日期。")})
        if discharged_on > today:
            raise ValidationError({"discharged_on": _("出院日期不能晚于今天。")})


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
        raise ValidationError(_("住院记录只能由医院登记。"))
    if not stay_patients_for(hospital).filter(pk=patient.pk).exists():
        raise stay_patient_not_found()
    _check_stay_dates(
        admitted_on=admitted_on, discharged_on=discharged_on, today=timezone.localdate()
    )
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
        if discharged_on < locked.admitted_on:
            raise ValidationError({"discharged_on": _("出院日期不能早于入院日期。")})
        if discharged_on > timezone.localdate():
            raise ValidationError({"discharged_on": _("出院日期不能晚于今天。")})
        locked.discharged_on = discharged_on
        locked._history_user = actor  # type: ignore[attr-defined]
        locked.save(update_fields=["discharged_on"])
    return locked


def stays_import(
    *, hospital: Organisation, upload: UploadedFile, actor: User
) -> list[HospitalStay]:
    """HY-G08 data: import admissions/discharges from an Excel sheet (身份证号, 入院日期,
    出院日期); every row is checked first, and the file is imported whole or not at all."""
    from openpyxl import load_workbook

    if (upload.size or 0) > settings.DINGDIAN_MAX_UPLOAD_BYTES:
        raise ValidationError(_("文件过大。"))
    data = upload.read()
    if not data.startswith(b"PK"):
        raise ValidationError(_("请上传 Excel（.xlsx）文件。"))
    check_xlsx(data)  # not a workbook, or a zip bomb: refused before anything expands
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception as exc:  # a corrupt workbook: tell the user, not a 500
        raise ValidationError(_("无法读取 Excel 文件。")) from exc
    if sheet is None:
        raise ValidationError(_("Excel 文件没有工作表。"))
    today = timezone.localdate()
    errors: list[str] = []
    rows: list[tuple[Patient, date, date | None]] = []
    seen: set[str] = set()
    for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if not row or all(cell in (None, "") for cell in row):
            continue
        rid = normalise_resident_id(str(row[0] or ""))
        admitted = row[1] if len(row) > 1 else None
        discharged = row[2] if len(row) > 2 else None
        patient = patient_for_stay(hospital=hospital, resident_id=rid)
        if patient is None:  # unknown, another region's or not enrolled: one answer
            errors.append(
                _("第 %(row)d 行 A 列：本地区没有该身份证号的特门患者。") % {"row": number}
            )
            continue
        admitted_on = _as_date(admitted)
        discharged_on = _as_date(discharged) if discharged not in (None, "") else None
        if admitted_on is None:
            errors.append(_("第 %(row)d 行 B 列：入院日期无效。") % {"row": number})
            continue
        if discharged not in (None, "") and discharged_on is None:
            errors.append(_("第 %(row)d 行 C 列：出院日期无效。") % {"row": number})
            continue
        try:
            _check_stay_dates(admitted_on=admitted_on, discharged_on=discharged_on, today=today)
        except ValidationError as exc:
            column = {"admitted_on": "B", "discharged_on": "C"}
            for field, messages in exc.message_dict.items():
                errors.extend(
                    _("第 %(row)d 行 %(col)s 列：%(message)s")
                    % {"row": number, "col": column[field], "message": message}
                    for message in messages
                )
            continue
        if rid in seen:
            errors.append(_("第 %(row)d 行 A 列：同一患者在文件中重复。") % {"row": number})
            continue
        if HospitalStay.objects.filter(patient=patient, discharged_on__isnull=True).exists():
            errors.append(_("第 %(row)d 行 A 列：该患者已有未出院的住院记录。") % {"row": number})
            continue
        seen.add(rid)
        rows.append((patient, admitted_on, discharged_on))
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("文件中没有数据行。"))
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
