"""Patients (insured persons) and hospital profiles: registered, revealed under audit, edited."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.audit import actor_for_user
from accounts.models import (
    Organisation,
    User,
)
from core.audit import audit_record
from core.crypto import blind_index
from core.errors import DomainError, RuleViolation, full_clean_or_refuse
from core.models import AuditAction
from patients.models import (
    HospitalProfile,
    Patient,
    ResidentIdReveal,
)
from patients.selectors import ID_REVEAL_ROLES
from patients.services.common import checked_resident_id
from programmes.models import InsuredType, Programme

# --- Patients ------------------------------------------------------------------------------


def patient_register(
    *,
    resident_id: str,
    name: str,
    insured_type: str,
    organisation: Organisation,
    actor: User,
    social_security_card_no: str = "",
    township: str = "",
    phone: str = "",
    address: str = "",
) -> Patient:
    """Create the one record of a person (by resident ID), or update its contact details."""
    resident_id = checked_resident_id(resident_id)
    with transaction.atomic():
        patient = (
            Patient.objects.select_for_update()
            .filter(resident_id_index=blind_index(resident_id))
            .first()
        )
        if patient is None:
            patient = Patient(resident_id=resident_id, region=organisation.region)
        patient.name = name
        patient.insured_type = insured_type
        patient.social_security_card_no = social_security_card_no or patient.social_security_card_no
        patient.township = township or patient.township
        patient.phone = phone or patient.phone
        patient.address = address or patient.address
        full_clean_or_refuse(patient)
        patient._history_user = actor  # type: ignore[attr-defined]
        patient.save()
    return patient


def outpatient_person_register(
    *,
    programme: Programme,
    organisation: Organisation,
    resident_id: str,
    name: str,
    insured_type: str,
    actor: User,
) -> Patient:
    """Register an insured person at a general-outpatient pharmacy's counter (GY-PT): name,
    GB 11643 resident ID, insured type; the region is the pharmacy's. Only the programme's
    insured types (GY-D01: 职工). Never changes an existing record (a person found elsewhere
    belongs to that region). The first refusal names its field; all or nothing."""
    if not programme.regions.filter(pk=organisation.region_id).exists():
        raise DomainError(_("本店不在“%s”的统筹区内，不能登记参保人员。") % programme.short_name)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写姓名。"), field="name")
    resident_id = checked_resident_id(resident_id)
    if insured_type not in InsuredType.values:
        raise DomainError(_("请选择参保类型。"), field="insured_type")
    if insured_type not in (programme.outpatient_insured_types or []):
        raise RuleViolation(
            "GY-D01",
            _("%(type)s参保人员不在“%(programme)s”保障范围内，无需登记。")
            % {"type": InsuredType(insured_type).label, "programme": programme.short_name},
            field="insured_type",
        )
    if Patient.objects.filter(resident_id_index=blind_index(resident_id)).exists():
        raise DomainError(
            _("该身份证号已在平台登记（可能属于其他统筹区），不能重复登记；请核对证件。"),
            field="resident_id",
        )
    patient = Patient(
        resident_id=resident_id, name=name, insured_type=insured_type, region=organisation.region
    )
    full_clean_or_refuse(patient)
    patient._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:  # registered at the same moment at another counter
        raise DomainError(_("该身份证号刚刚已被登记，请重新查询。"), field="resident_id") from exc
    return patient


def patient_reveal_resident_id(
    *, patient: Patient, actor: User, organisation: Organisation, role: str, reason: str
) -> str:
    """The full resident ID for a role that needs it, for a stated reason; every reveal is
    recorded with that reason."""
    if role not in ID_REVEAL_ROLES:
        raise DomainError(_("您的岗位无权查看完整身份证号。"))
    reason = reason.strip()
    if not reason:
        raise DomainError(_("查看完整身份证号须填写原因。"))
    ResidentIdReveal.objects.create(
        patient=patient, actor=actor, organisation=organisation, reason=reason
    )
    audit_record(
        action=AuditAction.ID_REVEAL,
        actor=actor_for_user(actor, organisation),
        object_type="patients.patient",
        object_id=patient.pk,
        region_id=patient.region_id,
        detail=f"reason: {reason}" if reason else "",
    )
    return patient.resident_id


def hospital_profile_update(
    *,
    organisation: Organisation,
    actor: User,
    window_location: str,
    window_phone: str,
    service_hours: str,
) -> HospitalProfile:
    """HY-F02/HY-F03: the hospital keeps its published 特门 window details current."""
    with transaction.atomic():
        profile = (
            HospitalProfile.objects.select_for_update().filter(organisation=organisation).first()
        )
        if profile is None:
            raise DomainError(_("本院尚未登记为特门服务医院，请联系医保局。"))
        profile.window_location = window_location
        profile.window_phone = window_phone
        profile.service_hours = service_hours
        profile._history_user = actor  # type: ignore[attr-defined]
        profile.save(update_fields=["window_location", "window_phone", "service_hours"])
    return profile
