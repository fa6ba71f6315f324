"""Prescriptions: issued in the portal by a hospital's physician, or recorded at the pharmacy
from paper or an e-prescription (HY-E02, HY-F04, HY-G07, HY-G10, HY-H01, GY-C02, GY-D02,
GY-E02)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, OrganisationKind, User
from core.errors import DomainError, RuleViolation
from inventory.models import DiseaseDrug, Drug, ItemCategory
from patients.models import Patient
from patients.selectors import enrolment_for, outpatient_assert_covered
from pharmacies.models import Pharmacy
from prescriptions.models import (
    Prescription,
    PrescriptionItem,
    PrescriptionKind,
    PrescriptionSource,
)
from prescriptions.rules import assert_once_a_month
from prescriptions.selectors import prescriber_memberships
from prescriptions.services.common import check_image
from programmes.models import Disease, Programme
from programmes.services import programme_assert_in_force


@dataclass
class ItemInput:
    drug: Drug
    dosage_form: str
    dose: str
    quantity: int
    days: int


def _physician_entitled(physician: User | None, institution: Organisation | None) -> bool:
    return bool(
        physician is not None
        and institution is not None
        and institution.kind == OrganisationKind.HOSPITAL
        and prescriber_memberships(
            physician_id=physician.pk, institution_id=institution.pk
        ).exists()
    )


def _assert_prescription_in_force(programme: Programme, *, issued_on: date, source: str) -> None:
    """HY-H01: no prescription is issued or recorded under a programme outside its validity.
    Both days count: a paper prescription written before the programme ended is not recorded
    after it ended (nothing could be settled under it), nor one written before it began."""
    action = _("处方开具") if source == PrescriptionSource.PORTAL else _("处方录入")
    today = timezone.localdate()
    for day in sorted({issued_on, today}):
        programme_assert_in_force(programme=programme, on=day, action=action)


def _check_items(
    programme: Programme, *, items: list[ItemInput], kind: str, valid_days: int
) -> None:
    """At least one item, positive validity, quantities and days, days within the normal or
    long-term limit (HY-E02)."""
    if not items:
        raise DomainError(_("处方至少需要一种药品：请添加药品后再提交。"))
    if valid_days < 1:
        raise DomainError(_("处方有效天数须为正数。"), field="valid_days")
    limit = (
        programme.long_term_prescription_days
        if kind == PrescriptionKind.LONG_TERM
        else programme.normal_prescription_days
    )
    for item in items:
        if item.quantity < 1 or item.days < 1:
            raise DomainError(_("数量和用药天数须为正数。"))
        if limit is not None and item.days > limit:
            raise RuleViolation(
                "HY-E02",
                _("%(kind)s最多开具 %(limit)s 天用量，%(drug)s 开了 %(days)s 天。")
                % {
                    "kind": PrescriptionKind(kind).label,
                    "limit": limit,
                    "drug": item.drug,
                    "days": item.days,
                },
            )


def _check_scope(
    programme: Programme, *, patient: Patient, disease: Disease | None, items: list[ItemInput]
) -> None:
    """特门: the drugs within the disease's scope (HY-G10). General outpatient (GY-PT): the
    programme's insured types only (GY-D01), drugs only (GY-C02)."""
    if disease is not None:
        if disease.programme_id != programme.pk:
            raise DomainError(_("病种不属于所选政策方案，请重新选择病种。"))
        in_scope = set(
            DiseaseDrug.objects.filter(
                disease=disease, drug_id__in=[i.drug.pk for i in items]
            ).values_list("drug_id", flat=True)
        )
        outside = [str(i.drug) for i in items if i.drug.pk not in in_scope]
        if outside:
            raise RuleViolation(
                "HY-G10",
                _("%(drugs)s 不在“%(d)s”的特门用药范围内，不能开具。")
                % {"drugs": "、".join(outside), "d": disease.name},
            )
        return
    outpatient_assert_covered(patient=patient, programme=programme)
    outside = [
        f"{i.drug}（{i.drug.get_category_display()}）"
        for i in items
        if i.drug.category != ItemCategory.DRUG
    ]
    if outside:
        raise RuleViolation(
            "GY-C02",
            _("%s 不是药品：医疗器械、医用耗材等不纳入普通门诊保障范围，不能开具。")
            % "、".join(outside),
        )


def _check_portal_issue(
    programme: Programme,
    *,
    patient: Patient,
    disease: Disease | None,
    actor: User,
    institution: Organisation | None,
) -> Organisation:
    """An active physician of a hospital of the programme's region (GY-E02 / GY-D02), for an
    enrolled patient (HY-G07). Returns the hospital."""
    if not _physician_entitled(actor, institution):
        raise RuleViolation("GY-E02", _("只有本院在职的处方医师才能开具处方。"))
    assert institution is not None
    if not institution.is_active or not programme.regions.filter(pk=institution.region_id).exists():
        raise RuleViolation(
            "GY-D02",
            _("%(h)s 不是“%(p)s”统筹区内的定点医疗机构，不能开具该方案的处方。")
            % {"h": institution.name, "p": programme.short_name},
        )
    if disease is not None and enrolment_for(patient, disease) is None:
        raise RuleViolation(
            "HY-G07", _("该患者未享受“%s”特门待遇，不能开具特门处方。") % disease.name
        )
    return institution


def _check_recorded(
    source: str,
    *,
    institution_name: str,
    physician_name: str,
    seal_image: UploadedFile | None,
    trace_code: str,
) -> None:
    """GY-D02: a paper prescription names its institution and physician and carries their
    signature or seal; an e-prescription its trace code, recorded once."""
    if not institution_name.strip() or not physician_name.strip():
        raise RuleViolation("GY-D02", _("外配处方须写明开方机构和处方医师。"))
    trace_code = trace_code.strip()
    if source == PrescriptionSource.PAPER:
        check_image(seal_image, rule_id="GY-D02", what=_("医师签名或盖章的处方图片"))
    elif not trace_code:
        raise RuleViolation("GY-D02", _("电子处方须有处方追溯码。"), field="trace_code")
    elif Prescription.objects.filter(
        source=PrescriptionSource.ELECTRONIC, trace_code=trace_code
    ).exists():
        # One e-prescription, one record: a second one would let it be dispensed twice.
        raise RuleViolation(
            "GY-D02",
            _("追溯码为 %s 的电子处方已经录入，不能重复录入；请在配药结算中查找该处方。")
            % trace_code,
            field="trace_code",
        )


def prescription_create(
    *,
    programme: Programme,
    patient: Patient,
    disease: Disease | None,
    source: str,
    items: list[ItemInput],
    issued_on: date,
    valid_days: int,
    actor: User,
    kind: str = PrescriptionKind.NORMAL,
    institution: Organisation | None = None,
    institution_name: str = "",
    physician_name: str = "",
    seal_image: UploadedFile | None = None,
    trace_code: str = "",
    pharmacy: Pharmacy | None = None,
) -> Prescription:
    """Issue a prescription in the portal (an active physician of a hospital of the
    programme's region, GY-E02 / GY-D02; for an enrolled patient; free of charge, HY-F04) or
    record a paper / electronic one at the pharmacy (GY-D02; an e-prescription once); days
    within the normal or long-term limit (HY-E02); drugs within the disease's scope (HY-G10);
    the programme in force on the issue date and on the day it is recorded (HY-H01)."""
    _assert_prescription_in_force(programme, issued_on=issued_on, source=source)
    _check_items(programme, items=items, kind=kind, valid_days=valid_days)
    _check_scope(programme, patient=patient, disease=disease, items=items)
    if source == PrescriptionSource.PORTAL:
        institution = _check_portal_issue(
            programme, patient=patient, disease=disease, actor=actor, institution=institution
        )
        institution_name, physician_name = institution.name, actor.display_name
    else:
        _check_recorded(
            source,
            institution_name=institution_name,
            physician_name=physician_name,
            seal_image=seal_image,
            trace_code=trace_code,
        )
    assert_once_a_month(
        programme=programme, patient=patient, disease=disease, kind=kind, issued_on=issued_on
    )
    with transaction.atomic():
        prescription = Prescription(
            number=f"CF{issued_on:%Y%m%d}{uuid.uuid4().hex[:10].upper()}",
            programme=programme,
            patient=patient,
            disease=disease,
            source=source,
            kind=kind,
            institution=institution,
            institution_name=institution_name.strip(),
            physician=actor if source == PrescriptionSource.PORTAL else None,
            physician_name=physician_name.strip(),
            trace_code=trace_code.strip(),
            issued_on=issued_on,
            valid_days=valid_days,
            recorded_at_pharmacy=pharmacy,
            recorded_by=actor,
        )
        if seal_image is not None:
            prescription.seal_image.save(f"{uuid.uuid4().hex}.img", seal_image, save=False)
        prescription._history_user = actor  # type: ignore[attr-defined]
        prescription.save()
        PrescriptionItem.objects.bulk_create(
            PrescriptionItem(
                prescription=prescription,
                drug=i.drug,
                dosage_form=i.dosage_form or i.drug.dosage_form,
                dose=i.dose,
                quantity=i.quantity,
                days=i.days,
            )
            for i in items
        )
    return prescription
