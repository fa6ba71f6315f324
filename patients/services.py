"""Writes of the patients app: one service per action, each naming the rules it enforces."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import actor_for_user
from accounts.models import (
    HospitalLevel,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from core.audit import audit_record
from core.crypto import blind_index
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from core.models import AuditAction
from core.notifications import notification_send
from core.uploads import check_xlsx, sniff_upload
from core.validators import normalise_resident_id, validate_resident_id
from patients.choice_rules import assert_pharmacy_designated
from patients.models import (
    CHOICE_TRANSITIONS,
    ENROLMENT_TRANSITIONS,
    FILING_TRANSITIONS,
    RETENTION_TRANSITIONS,
    CardRetention,
    ChoiceEvent,
    ChoiceStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Filing,
    FilingEvent,
    FilingMaterial,
    FilingPath,
    FilingStatus,
    HospitalProfile,
    HospitalStay,
    InstitutionChoice,
    MaterialKind,
    Patient,
    ProxyAuthorisation,
    ProxyGround,
    ProxyMethod,
    ResidentIdReveal,
    RetentionEvent,
    RetentionReason,
    RetentionStatus,
    Roster,
    StaySource,
)
from patients.selectors import (
    ID_REVEAL_ROLES,
    enrolment_for,
    filing_round_open,
    next_filing_round,
    open_filing_statuses,
    patient_for_stay,
    stay_patients_for,
)
from programmes.models import Disease, DiseaseCategory, InsuredType, Programme
from programmes.services import programme_assert_in_force

LEVEL_II_PLUS = {HospitalLevel.LEVEL_2, HospitalLevel.LEVEL_3}


def _check_move(table: dict[str, frozenset[str]], old: str, new: str) -> None:
    if new not in table.get(old, frozenset()):
        raise TransitionNotAllowed(_("当前状态不允许此操作。"))


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
    resident_id = normalise_resident_id(resident_id)
    validate_resident_id(resident_id)
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
        patient.full_clean()
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
    belongs to that region). Field errors as a dict; all or nothing."""
    errors: dict[str, list[str]] = {}
    resident_id = normalise_resident_id(resident_id)
    name = (name or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("请填写姓名。"))
    try:
        validate_resident_id(resident_id)
    except ValidationError as exc:
        errors.setdefault("resident_id", []).extend(exc.messages)
    if insured_type not in InsuredType.values:
        errors.setdefault("insured_type", []).append(_("请选择参保类型。"))
    elif insured_type not in (programme.outpatient_insured_types or []):
        errors.setdefault("insured_type", []).append(
            _("[GY-D01] %(type)s参保人员不在“%(programme)s”保障范围内，无需登记。")
            % {"type": InsuredType(insured_type).label, "programme": programme.short_name}
        )
    if not programme.regions.filter(pk=organisation.region_id).exists():
        raise DomainError(_("本店不在“%s”的统筹区内，不能登记参保人员。") % programme.short_name)
    if (
        "resident_id" not in errors
        and Patient.objects.filter(resident_id_index=blind_index(resident_id)).exists()
    ):
        errors.setdefault("resident_id", []).append(
            _("该身份证号已在平台登记（可能属于其他统筹区），不能重复登记；请核对证件。")
        )
    if errors:
        raise ValidationError(errors)
    patient = Patient(
        resident_id=resident_id, name=name, insured_type=insured_type, region=organisation.region
    )
    patient.full_clean()
    patient._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:  # registered at the same moment at another counter
        raise ValidationError({"resident_id": [_("该身份证号刚刚已被登记，请重新查询。")]}) from exc
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


# --- Filings ---------------------------------------------------------------------------------


def _filing_event(
    filing: Filing,
    old: str,
    new: str,
    *,
    actor: User | None,
    organisation: Organisation,
    reason: str = "",
    rule_id: str = "",
) -> None:
    FilingEvent.objects.create(
        filing=filing,
        old_status=old,
        new_status=new,
        actor=actor,
        organisation=organisation,
        reason=reason,
        rule_id=rule_id,
    )


def _number(prefix: str, on: date, pk: int) -> str:
    return f"{prefix}{on:%Y%m%d}{pk:06d}"


def _assert_window(window: Organisation, disease: Disease) -> None:
    if window.kind == OrganisationKind.HOSPITAL:
        profile = getattr(window, "tm_profile", None)
        if window.hospital_level not in LEVEL_II_PLUS or profile is None:
            raise RuleViolation(
                "HY-G03", _("只有设有特门窗口的二级以上（含二级）医疗机构可以受理申报。")
            )
    elif window.kind not in (OrganisationKind.TOWNSHIP_WINDOW, OrganisationKind.COUNTY_WINDOW):
        raise RuleViolation(
            "HY-G03", _("特门申报须在乡镇政务大厅医保窗口、医院特门窗口或县政务中心受理。")
        )
    if disease.category == DiseaseCategory.IMMEDIATE and window.kind != (
        OrganisationKind.COUNTY_WINDOW
    ):
        raise RuleViolation(
            "HY-G04",
            _("“%(disease)s”须到县政务中心医保特门窗口递交申请，即时办理。")
            % {"disease": disease.name},
        )


def filing_lodge(
    *,
    patient: Patient,
    disease: Disease,
    window: Organisation,
    records_hospital: str,
    records_hospital_level: str,
    materials_received: list[str],
    actor: User,
    reviewing_hospital: Organisation | None = None,
) -> Filing:
    """HY-G01 eligibility, HY-G02 materials, HY-G03 windows, HY-G04 rounds and the immediate
    path, HY-F01 reviewing hospital, HY-H01 programme in force."""
    today = timezone.localdate()
    programme: Programme = disease.programme
    programme_assert_in_force(programme=programme, on=today, action=_("特门申报"))
    if not programme.regions.filter(pk=patient.region_id).exists():
        raise RuleViolation("HY-G01", _("患者参保地不在本政策适用区划内。"))
    if patient.insured_type not in (disease.eligible_insured_types or []):
        raise RuleViolation(
            "HY-G01",
            _("“%(disease)s”不在%(type)s的特门纳入标准内。")
            % {"disease": disease.name, "type": patient.get_insured_type_display()},
        )
    missing = [
        str(label) for value, label in MaterialKind.choices if value not in materials_received
    ]
    if missing:
        raise RuleViolation("HY-G02", _("申报材料不全，缺少：%s。") % "、".join(missing))
    if records_hospital_level not in LEVEL_II_PLUS:
        raise RuleViolation("HY-G02", _("住院资料须由二级以上（含二级）医院出具。"))
    _assert_window(window, disease)
    immediate = disease.category == DiseaseCategory.IMMEDIATE
    round_label = ""
    if not immediate and disease.category == DiseaseCategory.NORMAL:
        if not filing_round_open(programme=programme, on=today):
            upcoming = next_filing_round(programme=programme, on=today)
            when = (
                _("下一批受理时间：%(start)s 至 %(end)s。")
                % {"start": upcoming[0].isoformat(), "end": upcoming[1].isoformat()}
                if upcoming
                else ""
            )
            raise RuleViolation("HY-G04", _("普通病种每年集中申报，今天不在申报期内。") + when)
        round_label = f"{today:%Y-%m}"
    if immediate:
        reviewing_hospital = None
    else:
        if window.kind == OrganisationKind.HOSPITAL and getattr(
            getattr(window, "tm_profile", None), "has_expert_qualification", False
        ):
            reviewing_hospital = window
        profile = getattr(reviewing_hospital, "tm_profile", None) if reviewing_hospital else None
        if profile is None or not profile.has_expert_qualification:
            raise RuleViolation("HY-F01", _("请选择具有慢特病专家资质的二级以上医院进行初审。"))
    with transaction.atomic():
        # Lock the patient so two windows cannot lodge the same disease at once.
        Patient.objects.select_for_update().get(pk=patient.pk)
        if Filing.objects.filter(
            patient=patient, disease=disease, status__in=open_filing_statuses()
        ).exists():
            raise DomainError(_("该患者此病种已有在办申报。"))
        if enrolment_for(patient, disease) is not None:
            raise DomainError(_("该患者已享受此病种特门待遇。"))
        filing = Filing.objects.create(
            number=f"tmp-{uuid4().hex[:24]}",
            patient=patient,
            disease=disease,
            path=FilingPath.IMMEDIATE if immediate else FilingPath.ROUND,
            round_label=round_label,
            window=window,
            reviewing_hospital=reviewing_hospital,
            records_hospital=records_hospital,
            records_hospital_level=records_hospital_level,
            materials_received=sorted(materials_received),
            lodged_by=actor,
            lodged_on=today,
        )
        filing.number = _number("TM", today, filing.pk)
        filing.save(update_fields=["number"])
        _filing_event(
            filing, "", FilingStatus.LODGED, actor=actor, organisation=window, rule_id="HY-G03"
        )
    return filing


def _lock_filing(filing: Filing) -> Filing:
    return Filing.objects.select_for_update().select_related("disease", "patient").get(pk=filing.pk)


def filing_preliminary_review(
    *, filing: Filing, passed: bool, reason: str, actor: User, organisation: Organisation
) -> Filing:
    """HY-F01: the expert-qualified hospital reviews the filing first."""
    new = FilingStatus.PRELIMINARY_PASSED if passed else FilingStatus.PRELIMINARY_REJECTED
    if not passed and not reason.strip():
        raise ValidationError(_("初审不通过须填写原因。"))
    with transaction.atomic():
        locked = _lock_filing(filing)
        if locked.reviewing_hospital_id != organisation.pk:
            raise RuleViolation("HY-F01", _("只有指定的初审医院可以初审此申报。"))
        _check_move(FILING_TRANSITIONS, locked.status, new)
        if locked.path != FilingPath.ROUND and locked.disease.category == DiseaseCategory.IMMEDIATE:
            raise TransitionNotAllowed(_("即时办理的申报不经医院初审。"))
        old = locked.status
        locked.status = new
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decision_reason"])
        _filing_event(
            locked,
            old,
            new,
            actor=actor,
            organisation=organisation,
            reason=reason,
            rule_id="HY-F01",
        )
    return locked


def roster_submit(*, hospital: Organisation, actor: User) -> Roster:
    """HY-F01: compile the preliminarily passed filings into a roster for the benefits section."""
    now = timezone.now()
    with transaction.atomic():
        filings = list(
            Filing.objects.select_for_update()
            .filter(
                reviewing_hospital=hospital,
                status=FilingStatus.PRELIMINARY_PASSED,
                roster__isnull=True,
            )
            .order_by("id")
        )
        if not filings:
            raise DomainError(_("没有待报送的初审通过申报。"))
        programme = filings[0].disease.programme
        roster = Roster.objects.create(
            number=f"tmp-{uuid4().hex[:24]}",
            hospital=hospital,
            programme=programme,
            submitted_by=actor,
            submitted_at=now,
        )
        roster.number = _number("MC", timezone.localdate(), roster.pk)
        roster.save(update_fields=["number"])
        for filing in filings:
            old = filing.status
            filing.status = FilingStatus.ROSTERED
            filing.roster = roster
            filing.save(update_fields=["status", "roster"])
            _filing_event(
                filing, old, filing.status, actor=actor, organisation=hospital, rule_id="HY-F01"
            )
        officers = _members(Role.BENEFITS_OFFICER, region_id=hospital.region_id)
        link = reverse("patients:roster_detail", args=[roster.pk])
        transaction.on_commit(
            lambda: notification_send(
                recipients=officers,
                key=f"roster-submitted-{roster.pk}",
                subject=_("%(hospital)s 报送了初审名册 %(number)s")
                % {"hospital": hospital.name, "number": roster.number},
                link=link,
                rule_id="HY-F01",
            )
        )
    return roster


def _members(
    role: str, *, region_id: int | None = None, organisation: Organisation | None = None
) -> QuerySet[User]:
    memberships = Membership.objects.filter(role=role, is_active=True)
    if region_id is not None:
        memberships = memberships.filter(organisation__region_id=region_id)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return User.objects.filter(pk__in=memberships.values("user_id"), is_active=True)


def filing_assign(
    *, filing: Filing, expert: User, actor: User, organisation: Organisation
) -> Filing:
    """Expert review: the benefits officer assigns a rostered filing to an expert reviewer."""
    if not Membership.objects.filter(
        user=expert,
        role=Role.EXPERT_REVIEWER,
        is_active=True,
        organisation__region=organisation.region,
    ).exists():
        raise DomainError(_("所选人员不是本区划的评审专家。"))
    with transaction.atomic():
        locked = _lock_filing(filing)
        _check_move(FILING_TRANSITIONS, locked.status, FilingStatus.ASSIGNED)
        old = locked.status
        locked.status = FilingStatus.ASSIGNED
        locked.expert = expert
        locked.save(update_fields=["status", "expert"])
        _filing_event(
            locked,
            old,
            locked.status,
            actor=actor,
            organisation=organisation,
            reason=_("分配给 %s") % expert.display_name,
        )
        link = reverse("patients:filing_detail", args=[locked.pk])
        transaction.on_commit(
            lambda: notification_send(
                recipients=[expert],
                key=f"filing-assigned-{locked.pk}-{expert.pk}",
                subject=_("请评审特门申报 %s") % locked.number,
                link=link,
            )
        )
    return locked


def _enrol(filing: Filing, *, starts_on: date, actor: User, rule_id: str) -> Enrolment:
    enrolment = Enrolment.objects.create(
        patient=filing.patient, disease=filing.disease, filing=filing, starts_on=starts_on
    )
    EnrolmentEvent.objects.create(
        enrolment=enrolment, new_status=EnrolmentStatus.ACTIVE, actor=actor, rule_id=rule_id
    )
    return enrolment


def _notify_window(filing: Filing) -> None:
    clerks = _members(Role.WINDOW_CLERK, organisation=filing.window)
    link = reverse("patients:filing_detail", args=[filing.pk])
    transaction.on_commit(
        lambda: notification_send(
            recipients=clerks,
            key=f"filing-decided-{filing.pk}",
            subject=_("特门申报 %(number)s：%(status)s")
            % {"number": filing.number, "status": filing.get_status_display()},
            link=link,
        )
    )


def filing_decide(
    *,
    filing: Filing,
    approve: bool,
    actor: User,
    organisation: Organisation,
    starts_on: date | None = None,
    reason: str = "",
) -> Filing:
    """HY-G04: benefits follow the expert review; approval enrols from the start date."""
    with transaction.atomic():
        locked = _lock_filing(filing)
        if locked.expert_id != actor.pk:
            raise DomainError(_("只有被分配的评审专家可以作出决定。"))
        return _decide(
            locked,
            approve=approve,
            actor=actor,
            organisation=organisation,
            starts_on=starts_on,
            reason=reason,
            rule_id="HY-G04",
        )


def _decide(
    locked: Filing,
    *,
    approve: bool,
    actor: User,
    organisation: Organisation,
    starts_on: date | None,
    reason: str,
    rule_id: str,
) -> Filing:
    new = FilingStatus.APPROVED if approve else FilingStatus.REJECTED
    _check_move(FILING_TRANSITIONS, locked.status, new)
    if approve and starts_on is None:
        raise ValidationError(_("评审通过须填写待遇开始日期。"))
    if not approve and not reason.strip():
        raise ValidationError(_("评审不通过须填写原因，供窗口打印给患者。"))
    old = locked.status
    locked.status = new
    locked.decision_reason = reason
    locked.benefit_starts_on = starts_on if approve else None
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decision_reason", "benefit_starts_on", "decided_at"])
    _filing_event(
        locked, old, new, actor=actor, organisation=organisation, reason=reason, rule_id=rule_id
    )
    if approve:
        assert starts_on is not None
        _enrol(locked, starts_on=starts_on, actor=actor, rule_id=rule_id)
    _notify_window(locked)
    return locked


def filing_decide_immediately(
    *, filing: Filing, approve: bool, actor: User, organisation: Organisation, reason: str = ""
) -> Filing:
    """HY-G04: the five immediate diseases are decided at once at the county service centre,
    benefits from today."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_filing(filing)
        if locked.path != FilingPath.IMMEDIATE:
            raise RuleViolation("HY-G04", _("普通病种须经医院初审和专家评审，不能即时办理。"))
        if (
            organisation.kind != OrganisationKind.COUNTY_WINDOW
            or locked.window_id != organisation.pk
        ):
            raise RuleViolation("HY-G04", _("即时办理只能由县政务中心特门窗口办理。"))
        return _decide(
            locked,
            approve=approve,
            actor=actor,
            organisation=organisation,
            starts_on=today if approve else None,
            reason=reason,
            rule_id="HY-G04",
        )


def filing_material_upload(
    *, filing: Filing, kind: str, upload: UploadedFile, actor: User
) -> FilingMaterial:
    """HY-G02: a scanned material, size-limited and type-sniffed from its content."""
    if kind not in MaterialKind.values:
        raise ValidationError(_("未知的材料类型。"))
    content_type = sniff_upload(upload)
    size = upload.size or 0
    return FilingMaterial.objects.create(
        filing=filing,
        kind=kind,
        file=upload,
        content_type=content_type,
        size=size,
        uploaded_by=actor,
    )


# --- Enrolment and institution choice --------------------------------------------------------


def _choice_move(
    choice: InstitutionChoice, new: str, *, actor: User | None, reason: str, rule_id: str
) -> None:
    _check_move(CHOICE_TRANSITIONS, choice.status, new)
    old = choice.status
    choice.status = new
    ChoiceEvent.objects.create(
        choice=choice, old_status=old, new_status=new, actor=actor, reason=reason, rule_id=rule_id
    )


def enrolment_end(*, enrolment: Enrolment, ended_on: date, reason: str, actor: User) -> Enrolment:
    """End a patient's benefit for a disease (e.g. moved away, deceased); its choices end too."""
    if not reason.strip():
        raise ValidationError(_("终止待遇须填写原因。"))
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        _check_move(ENROLMENT_TRANSITIONS, locked.status, EnrolmentStatus.ENDED)
        old = locked.status
        locked.status = EnrolmentStatus.ENDED
        locked._history_user = actor  # type: ignore[attr-defined]
        locked.save(update_fields=["status"])
        EnrolmentEvent.objects.create(
            enrolment=locked, old_status=old, new_status=locked.status, actor=actor, reason=reason
        )
        for choice in InstitutionChoice.objects.select_for_update().filter(
            enrolment=locked, status__in=[ChoiceStatus.ACTIVE, ChoiceStatus.REVOKED_INSTITUTION]
        ):
            _choice_move(choice, ChoiceStatus.ENDED, actor=actor, reason=reason, rule_id="")
            choice.ended_on = ended_on
            choice.save(update_fields=["status", "ended_on"])
    return locked


def enrolment_choose_institution(
    *,
    enrolment: Enrolment,
    actor: User,
    organisation: Organisation | None = None,
    outside_institution: str = "",
    replaces: InstitutionChoice | None = None,
) -> InstitutionChoice:
    """HY-G05: the patient freely chooses designated hospitals or pharmacies in the county (a
    pharmacy designated for the enrolment's programme on the day of the choice), or
    a designated institution outside it; HY-G06: choosing anew moves the patient off a revoked
    institution."""
    today = timezone.localdate()
    if (organisation is None) == (not outside_institution.strip()):
        raise ValidationError(_("请选择县内定点机构，或填写县外定点医药机构名称（二选一）。"))
    if organisation is not None and (
        organisation.kind not in (OrganisationKind.HOSPITAL, OrganisationKind.PHARMACY)
        or not organisation.is_active
    ):
        raise RuleViolation("HY-G05", _("只能选择定点医院或定点药店。"))
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if locked.status != EnrolmentStatus.ACTIVE:
            raise DomainError(_("该待遇已终止。"))
        if organisation is not None:
            programme = locked.disease.programme
            assert_pharmacy_designated(organisation=organisation, programme=programme, on=today)
        current = InstitutionChoice.objects.select_for_update().filter(
            enrolment=locked, status__in=[ChoiceStatus.ACTIVE, ChoiceStatus.REVOKED_INSTITUTION]
        )
        if (
            organisation is not None
            and current.filter(organisation=organisation, status=ChoiceStatus.ACTIVE).exists()
        ):
            raise DomainError(_("已选择该机构。"))
        for old in current:
            # A patient who chooses anew has moved off a revoked institution (HY-G06).
            if old.status == ChoiceStatus.REVOKED_INSTITUTION or (
                replaces is not None and old.pk == replaces.pk
            ):
                _choice_move(
                    old,
                    ChoiceStatus.ENDED,
                    actor=actor,
                    reason=_("患者重新选择定点机构"),
                    rule_id="HY-G06",
                )
                old.ended_on = today
                old.save(update_fields=["status", "ended_on"])
        choice = InstitutionChoice.objects.create(
            enrolment=locked,
            organisation=organisation,
            outside_institution=outside_institution.strip(),
            chosen_on=today,
            chosen_by=actor,
        )
        ChoiceEvent.objects.create(
            choice=choice, new_status=ChoiceStatus.ACTIVE, actor=actor, rule_id="HY-G05"
        )
    return choice


def choices_mark_institution_revoked(
    *, organisation_id: int, programme_code: str, settle_until: date, effective_from: date
) -> list[InstitutionChoice]:
    """HY-G06: the patients of a revoked institution are marked and listed, settle there
    until `settle_until` unless they move, and never from `effective_from`; the window and
    benefits staff are told (once)."""
    with transaction.atomic():
        affected = list(
            InstitutionChoice.objects.select_for_update()
            .filter(
                organisation_id=organisation_id,
                status=ChoiceStatus.ACTIVE,
                enrolment__disease__programme__code=programme_code,
            )
            .select_related("enrolment__patient", "enrolment__disease", "enrolment__filing")
            .order_by("id")
        )
        for choice in affected:
            _choice_move(
                choice,
                ChoiceStatus.REVOKED_INSTITUTION,
                actor=None,
                reason=_("机构取消定点"),
                rule_id="HY-G06",
            )
            choice.settle_until = settle_until
            choice.revoked_from = effective_from
            choice.save(update_fields=["status", "settle_until", "revoked_from"])
        all_marked = list(
            InstitutionChoice.objects.filter(
                organisation_id=organisation_id,
                status=ChoiceStatus.REVOKED_INSTITUTION,
                enrolment__disease__programme__code=programme_code,
                revoked_from=effective_from,
            ).select_related("enrolment__patient", "enrolment__filing__window")
        )
        if all_marked:
            organisation = Organisation.objects.get(pk=organisation_id)
            windows = {c.enrolment.filing.window_id for c in all_marked}
            staff = User.objects.filter(
                pk__in=Membership.objects.filter(is_active=True)
                .filter(role=Role.WINDOW_CLERK, organisation_id__in=windows)
                .values("user_id")
            ) | _members(Role.BENEFITS_OFFICER, region_id=organisation.region_id)
            names = "、".join(sorted({c.enrolment.patient.name for c in all_marked}))
            subject = _("%(name)s 取消定点：%(count)s 名特门患者需重新选择定点机构") % {
                "name": organisation.name,
                "count": len(all_marked),
            }
            body = _(
                "%(until)s 前未转出的患者仍在原机构结算，"
                "自 %(from)s 起只能在新选择的机构结算。患者：%(names)s"
            ) % {
                "until": settle_until.isoformat(),
                "from": effective_from.isoformat(),
                "names": names,
            }
            link = reverse("patients:revoked_choices", args=[organisation_id])
            key = f"institution-revoked-{organisation_id}-{programme_code}-{effective_from}"
            recipients = list(staff.distinct())
            transaction.on_commit(
                lambda: notification_send(
                    recipients=recipients,
                    key=key,
                    subject=subject,
                    body=body,
                    link=link,
                    rule_id="HY-G06",
                )
            )
    return affected


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


# --- Retained cards (HY-E08) and proxies (HY-G09) ---------------------------------------------


def retention_apply(
    *,
    patient: Patient,
    pharmacy: Organisation,
    reason_category: str,
    application_text: str,
    actor: User,
) -> CardRetention:
    """HY-E08: the patient's written application, for a listed reason, filed with the centre."""
    if reason_category not in RetentionReason.values:
        raise RuleViolation(
            "HY-E08",
            _("只有长期异地居住未开通联网结算、行动不便或生活不能自理的患者可以留存社保卡。"),
        )
    if not application_text.strip():
        raise RuleViolation("HY-E08", _("须有患者本人的书面申请。"))
    if pharmacy.kind != OrganisationKind.PHARMACY:
        raise ValidationError(_("社保卡只能留存在定点药店。"))
    with transaction.atomic():
        retention = CardRetention.objects.create(
            patient=patient,
            pharmacy=pharmacy,
            reason_category=reason_category,
            application_text=application_text,
            applied_by=actor,
        )
        RetentionEvent.objects.create(
            retention=retention, new_status=retention.status, actor=actor, rule_id="HY-E08"
        )
    return retention


def _retention_move(
    retention: CardRetention, new: str, *, actor: User, reason: str = "", **fields: Any
) -> CardRetention:
    with transaction.atomic():
        locked = CardRetention.objects.select_for_update().get(pk=retention.pk)
        if (
            locked.status not in RETENTION_TRANSITIONS
            or new not in RETENTION_TRANSITIONS[locked.status]
        ):
            if new == RetentionStatus.RETAINED:
                raise RuleViolation("HY-E08", _("留存社保卡须事前经县医保中心同意。"))
            raise TransitionNotAllowed(_("当前状态不允许此操作。"))
        old = locked.status
        locked.status = new
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
        RetentionEvent.objects.create(
            retention=locked,
            old_status=old,
            new_status=new,
            actor=actor,
            reason=reason,
            rule_id="HY-E08",
        )
    return locked


def retention_decide(
    *, retention: CardRetention, approve: bool, actor: User, reason: str = ""
) -> CardRetention:
    """HY-E08: the county centre approves (or refuses) the retention beforehand."""
    new = RetentionStatus.APPROVED if approve else RetentionStatus.REFUSED
    return _retention_move(
        retention, new, actor=actor, reason=reason, decided_by=actor, decision_reason=reason
    )


def retention_record_retained(*, retention: CardRetention, on: date, actor: User) -> CardRetention:
    """HY-E08: the register entry; refused unless the centre approved beforehand."""
    return _retention_move(retention, RetentionStatus.RETAINED, actor=actor, retained_on=on)


def retention_record_returned(*, retention: CardRetention, on: date, actor: User) -> CardRetention:
    """HY-E08: the card went back to the patient."""
    return _retention_move(retention, RetentionStatus.RETURNED, actor=actor, returned_on=on)


SPECIAL_CATEGORIES = (DiseaseCategory.IMMEDIATE, DiseaseCategory.URAEMIA)


def proxy_authorise(
    *,
    patient: Patient,
    ground: str,
    method: str,
    valid_from: date,
    actor: User,
    organisation: Organisation,
    proxy_name: str = "",
    proxy_resident_id: str = "",
    relationship: str = "",
    postal_address: str = "",
    valid_until: date | None = None,
) -> ProxyAuthorisation:
    """HY-G09: proxy or postal purchase only for long-term bedridden patients and the special
    disease categories, with the proxy's identity."""
    if ground == ProxyGround.SPECIAL_CATEGORY:
        special = Enrolment.objects.filter(
            patient=patient, status=EnrolmentStatus.ACTIVE, disease__category__in=SPECIAL_CATEGORIES
        ).exists()
        if not special:
            raise RuleViolation(
                "HY-G09", _("该患者未享受特殊病种待遇，不能以特殊病种为由代购或邮寄。")
            )
    elif ground != ProxyGround.BEDRIDDEN:
        raise RuleViolation("HY-G09", _("只有长期卧病在床或特殊病种患者可以代购或邮寄。"))
    if method == ProxyMethod.PROXY:
        if not proxy_name.strip() or not proxy_resident_id.strip():
            raise RuleViolation("HY-G09", _("代购须登记代购人姓名和身份证号。"))
        proxy_resident_id = normalise_resident_id(proxy_resident_id)
        validate_resident_id(proxy_resident_id)
    elif method == ProxyMethod.POST:
        if not postal_address.strip():
            raise ValidationError(_("邮寄须填写邮寄地址。"))
    else:
        raise ValidationError(_("未知的方式。"))
    if valid_until and valid_until < valid_from:
        raise ValidationError(_("截止日期不能早于生效日期。"))
    proxy = ProxyAuthorisation(
        patient=patient,
        ground=ground,
        method=method,
        proxy_name=proxy_name.strip(),
        proxy_resident_id=proxy_resident_id,
        relationship=relationship,
        postal_address=postal_address,
        valid_from=valid_from,
        valid_until=valid_until,
        recorded_by=actor,
        organisation=organisation,
    )
    proxy._history_user = actor  # type: ignore[attr-defined]
    proxy.save()
    return proxy


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


def roster_assign(*, roster: Roster, expert: User, actor: User, organisation: Organisation) -> int:
    """Expert review: the benefits officer hands every not-yet-assigned filing of a received
    roster to one expert reviewer; returns how many were assigned."""
    with transaction.atomic():
        filings = list(roster.filings.filter(status=FilingStatus.ROSTERED).order_by("id"))
        for filing in filings:
            filing_assign(filing=filing, expert=expert, actor=actor, organisation=organisation)
    return len(filings)


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
