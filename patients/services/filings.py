"""特门 filings: lodged at a window, reviewed, put on a roster, assigned and decided by experts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import date
from typing import Any
from uuid import uuid4

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from core.event_messages import Reason
from core.event_messages import reason as named_reason
from core.notifications import notification_send
from core.transitions import transition
from core.uploads import sniff_upload
from patients.models import (
    Enrolment,
    Filing,
    FilingMaterial,
    FilingPath,
    FilingStatus,
    MaterialKind,
    Patient,
    Roster,
)
from patients.selectors import (
    enrolment_for,
    filing_round_open,
    next_filing_round,
    open_filing_statuses,
)
from patients.services.common import LEVEL_II_PLUS, active_members
from patients.services.registry import patient_register
from patients.transitions import ENROLMENT, FILING, opened
from programmes.models import Disease, DiseaseCategory
from programmes.services import programme_assert_in_force

# --- Filings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientDetails:
    """The person as the window takes them down; registered (or their contact details
    updated) in the same transaction as the filing."""

    resident_id: str
    name: str
    insured_type: str
    social_security_card_no: str = ""
    township: str = ""
    phone: str = ""

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> PatientDetails:
        """The details from a page's or the API's validated input (fields it lacks stay blank)."""
        return cls(**{f.name: data[f.name] for f in dataclass_fields(cls) if f.name in data})


def _number(prefix: str, on: date, pk: int) -> str:
    return f"{prefix}{on:%Y%m%d}{pk:06d}"


def _move(
    filing: Filing,
    new: str,
    *,
    actor: User,
    organisation: Organisation,
    reason: str | Reason = "",
    rule_id: str = "",
    fields: dict[str, Any] | None = None,
    notify: Callable[[], Any] | None = None,
) -> Filing:
    """One filing move (core.transitions), recorded with the acting organisation; `notify`
    runs once the move is committed."""
    return transition(
        FILING,
        filing,
        new,
        actor=actor,
        reason=reason,
        rule_id=rule_id,
        fields=fields,
        event_fields={"organisation": organisation},
        on_commit=[notify] if notify else [],
    )


def _assert_eligible(patient: Patient, disease: Disease) -> None:
    """HY-G01: insured in a region of the disease's programme, of an eligible insured type."""
    if not disease.programme.regions.filter(pk=patient.region_id).exists():
        raise RuleViolation("HY-G01", _("患者参保地不在本政策适用区划内。"))
    if patient.insured_type not in (disease.eligible_insured_types or []):
        raise RuleViolation(
            "HY-G01",
            _("“%(disease)s”不在%(type)s的特门纳入标准内。")
            % {"disease": disease.name, "type": patient.get_insured_type_display()},
        )


def _assert_materials(materials_received: list[str], records_hospital_level: str) -> None:
    """HY-G02: every material, the inpatient records from a Level II+ hospital."""
    missing = [
        str(label) for value, label in MaterialKind.choices if value not in materials_received
    ]
    if missing:
        raise RuleViolation("HY-G02", _("申报材料不全，缺少：%s。") % "、".join(missing))
    if records_hospital_level not in LEVEL_II_PLUS:
        raise RuleViolation("HY-G02", _("住院资料须由二级以上（含二级）医院出具。"))


def _assert_window(window: Organisation, disease: Disease) -> None:
    """HY-G03 windows; HY-G04: the immediate diseases only at the county centre."""
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


def _round_label(disease: Disease, today: date) -> str:
    """HY-G04: a normal disease is lodged in a filing month of its programme (the round's
    label); the others any day (no label)."""
    if disease.category != DiseaseCategory.NORMAL:
        return ""
    programme = disease.programme
    if not filing_round_open(programme=programme, on=today):
        upcoming = next_filing_round(programme=programme, on=today)
        when = (
            _("下一批受理时间：%(start)s 至 %(end)s。")
            % {"start": upcoming[0].isoformat(), "end": upcoming[1].isoformat()}
            if upcoming
            else ""
        )
        raise RuleViolation("HY-G04", _("普通病种每年集中申报，今天不在申报期内。") + when)
    return f"{today:%Y-%m}"


def _reviewing_hospital(
    window: Organisation, disease: Disease, chosen: Organisation | None
) -> Organisation | None:
    """HY-F01: an expert-qualified hospital reviews first — the window itself when it is one;
    immediate diseases are not reviewed by a hospital."""
    if disease.category == DiseaseCategory.IMMEDIATE:
        return None
    if window.kind == OrganisationKind.HOSPITAL and getattr(
        getattr(window, "tm_profile", None), "has_expert_qualification", False
    ):
        return window
    profile = getattr(chosen, "tm_profile", None) if chosen else None
    if profile is None or not profile.has_expert_qualification:
        raise RuleViolation("HY-F01", _("请选择具有慢特病专家资质的二级以上医院进行初审。"))
    return chosen


def _registered(patient: Patient | PatientDetails, *, window: Organisation, actor: User) -> Patient:
    """The patient, registered first when the window took down their details; locked, so
    that two windows cannot lodge the same disease at once."""
    if isinstance(patient, PatientDetails):
        patient = patient_register(**asdict(patient), organisation=window, actor=actor)
    return Patient.objects.select_for_update().get(pk=patient.pk)


def filing_lodge(
    *,
    patient: Patient | PatientDetails,
    disease: Disease,
    window: Organisation,
    records_hospital: str,
    records_hospital_level: str,
    materials_received: list[str],
    actor: User,
    reviewing_hospital: Organisation | None = None,
) -> Filing:
    """HY-G01 eligibility, HY-G02 materials, HY-G03 windows, HY-G04 rounds and the immediate
    path, HY-F01 reviewing hospital, HY-H01 programme (the disease's) in force. One
    transaction: a person the window took down is registered only with their filing."""
    today = timezone.localdate()
    programme_assert_in_force(programme=disease.programme, on=today, action=_("特门申报"))
    with transaction.atomic():
        patient = _registered(patient, window=window, actor=actor)
        _assert_eligible(patient, disease)
        _assert_materials(materials_received, records_hospital_level)
        _assert_window(window, disease)
        round_label = _round_label(disease, today)
        reviewing_hospital = _reviewing_hospital(window, disease, reviewing_hospital)
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
            path=(
                FilingPath.IMMEDIATE
                if disease.category == DiseaseCategory.IMMEDIATE
                else FilingPath.ROUND
            ),
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
        opened(FILING, filing, actor=actor, rule_id="HY-G03", event_fields={"organisation": window})
    return filing


def _lock_filing(filing: Filing) -> Filing:
    return Filing.objects.select_for_update().select_related("disease", "patient").get(pk=filing.pk)


def filing_preliminary_review(
    *, filing: Filing, passed: bool, reason: str, actor: User, organisation: Organisation
) -> Filing:
    """HY-F01: the expert-qualified hospital reviews the filing first."""
    new = FilingStatus.PRELIMINARY_PASSED if passed else FilingStatus.PRELIMINARY_REJECTED
    if not passed and not reason.strip():
        raise DomainError(_("初审不通过须填写原因。"), field="reason")
    with transaction.atomic():
        locked = _lock_filing(filing)
        if locked.reviewing_hospital_id != organisation.pk:
            raise RuleViolation("HY-F01", _("只有指定的初审医院可以初审此申报。"))
        FILING.check(locked.status, new)
        if locked.path != FilingPath.ROUND and locked.disease.category == DiseaseCategory.IMMEDIATE:
            raise TransitionNotAllowed(_("即时办理的申报不经医院初审。"))
        return _move(
            locked,
            new,
            actor=actor,
            organisation=organisation,
            reason=reason,
            rule_id="HY-F01",
            fields={"decision_reason": reason},
        )


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
            _move(
                filing,
                FilingStatus.ROSTERED,
                actor=actor,
                organisation=hospital,
                rule_id="HY-F01",
                fields={"roster": roster},
            )
        officers = active_members(Role.BENEFITS_OFFICER, region_id=hospital.region_id)
        link = reverse("patients:roster_detail", args=[roster.pk])
        transaction.on_commit(
            lambda: notification_send(
                recipients=officers,
                key=f"roster-submitted-{roster.pk}",
                message="roster_submitted",
                params={"hospital": hospital.name, "number": roster.number},
                link=link,
                rule_id="HY-F01",
            )
        )
    return roster


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
    link = reverse("patients:filing_detail", args=[filing.pk])
    return _move(
        filing,
        FilingStatus.ASSIGNED,
        actor=actor,
        organisation=organisation,
        reason=named_reason("filing_assigned", name=expert.display_name),
        fields={"expert": expert},
        notify=lambda: notification_send(
            recipients=[expert],
            key=f"filing-assigned-{filing.pk}-{expert.pk}",
            message="filing_assigned",
            params={"number": filing.number},
            link=link,
        ),
    )


def _enrol(filing: Filing, *, starts_on: date, actor: User, rule_id: str) -> Enrolment:
    enrolment = Enrolment.objects.create(
        patient=filing.patient, disease=filing.disease, filing=filing, starts_on=starts_on
    )
    opened(ENROLMENT, enrolment, actor=actor, rule_id=rule_id)
    return enrolment


def _window_notice(filing: Filing, new: str) -> Callable[[], Any]:
    """The window that lodged the filing hears of the decision (to tell the patient)."""
    clerks = active_members(Role.WINDOW_CLERK, organisation=filing.window)
    link = reverse("patients:filing_detail", args=[filing.pk])
    params = {"number": filing.number, "status": FilingStatus(new).label}
    return lambda: notification_send(
        recipients=clerks,
        key=f"filing-decided-{filing.pk}",
        message="filing_decided",
        params=params,
        link=link,
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
    FILING.check(locked.status, new)
    if approve and starts_on is None:
        raise DomainError(_("评审通过须填写待遇开始日期。"), field="starts_on")
    if not approve and not reason.strip():
        raise DomainError(_("评审不通过须填写原因，供窗口打印给患者。"), field="reason")
    decided = _move(
        locked,
        new,
        actor=actor,
        organisation=organisation,
        reason=reason,
        rule_id=rule_id,
        fields={
            "decision_reason": reason,
            "benefit_starts_on": starts_on if approve else None,
            "decided_at": timezone.now(),
        },
        notify=_window_notice(locked, new),
    )
    if starts_on is not None and approve:
        _enrol(decided, starts_on=starts_on, actor=actor, rule_id=rule_id)
    return decided


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
        raise DomainError(_("未知的材料类型。"), field="kind")
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


def roster_assign(*, roster: Roster, expert: User, actor: User, organisation: Organisation) -> int:
    """Expert review: the benefits officer hands every not-yet-assigned filing of a received
    roster to one expert reviewer; returns how many were assigned."""
    with transaction.atomic():
        filings = list(roster.filings.filter(status=FilingStatus.ROSTERED).order_by("id"))
        for filing in filings:
            filing_assign(filing=filing, expert=expert, actor=actor, organisation=organisation)
    return len(filings)
