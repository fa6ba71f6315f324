"""Writes of the designation workflow: applications, review clock, notice, agreement,
yearly assessment, rectification, revocation and violations.

Every status move goes through core.transitions.transition (for applications through
`_move_application`, which records the acknowledgements): the table is checked on a row
re-read with select_for_update, and an event row is written.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from celery import current_app
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accreditation import notify
from accreditation.checklists import (
    DocumentItem,
    documents_for,
    inspection_items,
    uploadable_kinds,
)
from accreditation.eligibility import blocking_conditions, eligibility_report
from accreditation.evidence import check_evidence_for_pass
from accreditation.models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Assessment,
    AssessmentResult,
    Designation,
    DesignationStatus,
    Violation,
    ViolationDecision,
)
from accreditation.passing import acknowledgement_reason, check_conditions_for_pass
from accreditation.transitions import APPLICATION, APPLICATION_OPEN, DESIGNATION
from core import event_messages
from core.calendar import WorkingCalendar, load_calendar, period_applies, period_last_day
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from core.event_messages import Reason
from core.event_messages import reason as named_reason
from core.transitions import Workflow, note, transition
from core.uploads import sniff_upload
from pharmacies.models import Pharmacy
from programmes.models import Programme
from programmes.services import programme_assert_in_force

A = ApplicationStatus
D = DesignationStatus


def _region_id(pharmacy: Pharmacy) -> int:
    """Working days are counted with the calendar of the pharmacy's region."""
    return pharmacy.organisation.region_id


def _move_application(
    application: Application,
    new: str,
    *,
    actor: User | None,
    reason: str | Reason = "",
    rule_id: str = "",
    fields: dict[str, Any] | None = None,
    acknowledged: list[dict[str, str]] | None = None,
) -> Application:
    """One application move (core.transitions): lock, check, save, event row."""
    return transition(
        APPLICATION,
        application,
        new,
        actor=actor,
        reason=reason,
        rule_id=rule_id,
        fields=fields,
        event_fields={"acknowledged": acknowledged or []},
    )


def _note_application(
    application: Application, *, actor: User | None, reason: str | Reason, rule_id: str
) -> None:
    """An event without a status change (feedback letter sent, inspection recorded)."""
    note(APPLICATION, application, actor=actor, reason=reason, rule_id=rule_id)


def _opened(
    workflow: Workflow,
    obj: Application | Designation,
    *,
    actor: User | None,
    rule_id: str,
    reason: str | Reason = "",
) -> None:
    """The event row of an object's first state: no old status, no move to check."""
    workflow.event_model._default_manager.create(
        **{workflow.event_key: obj},
        old_status="",
        new_status=getattr(obj, workflow.status_field),
        actor=actor,
        **event_messages.event_fields(reason),
        rule_id=rule_id,
    )


def _lock_in(application: Application, *statuses: str) -> Application:
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.status not in statuses:
        raise DomainError(
            _("申请当前状态为“%(s)s”，不能进行此操作。") % {"s": locked.get_status_display()}
        )
    return locked


def evaluation_due_on(
    *, accepted_on: date, months: int, paused_days: int, calendar: WorkingCalendar
) -> date:
    """HY-C02: acceptance + N months (Civil Code counting), extended by the paused days."""
    nominal = period_last_day(accepted_on, months=months) + timedelta(days=paused_days)
    return calendar.next_working_day(nominal, include_today=True)


# --- Application: pharmacy side


def application_create(*, pharmacy: Pharmacy, programme: Programme, actor: User) -> Application:
    """Open a draft application (HY-C01, GY-B01; HY-H01: programme in force)."""
    today = timezone.localdate()
    programme_assert_in_force(programme=programme, on=today, action=_("定点申请"))
    with transaction.atomic():
        Pharmacy.objects.select_for_update().get(pk=pharmacy.pk)
        if Application.objects.filter(
            pharmacy=pharmacy, programme=programme, status__in=APPLICATION_OPEN
        ).exists():
            raise DomainError(_("该方案已有一份办理中的申请。"))
        if Designation.objects.filter(
            pharmacy=pharmacy,
            programme=programme,
            status__in=[D.ACTIVE, D.RECTIFICATION, D.SUSPENDED],
        ).exists():
            raise DomainError(_("药店已是该方案的定点药店。"))
        application = Application.objects.create(
            pharmacy=pharmacy, programme=programme, created_by=actor
        )
        _opened(APPLICATION, application, actor=actor, rule_id="HY-C01")
    return application


def application_document_upload(
    *, application: Application, kind: str, upload: UploadedFile, actor: User
) -> ApplicationDocument:
    """Attach a checklist document (HY-D02–D05, GY-B01); PDF/JPEG/PNG sniffed from content."""
    content_type = sniff_upload(upload)
    if kind not in uploadable_kinds(application.programme.code):
        raise DomainError(_("该方案的材料清单中没有此项。"), field="kind")
    with transaction.atomic():
        locked = _lock_in(application, A.DRAFT, A.SUPPLEMENT)
        return ApplicationDocument.objects.create(
            application=locked,
            kind=kind,
            file=upload,
            original_name=(upload.name or "file")[:200],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=actor,
        )


def application_set_pledges(
    *, application: Application, truthful: bool, security: bool, actor: User
) -> Application:
    """Record the pledges of truthfulness and information security (HY-D04)."""
    with transaction.atomic():
        locked = _lock_in(application, A.DRAFT)
        locked.pledge_truthful = truthful
        locked.pledge_security = security
        locked.save(update_fields=["pledge_truthful", "pledge_security"])
    return locked


def missing_documents(application: Application) -> list[DocumentItem]:
    have = set(application.documents.values_list("kind", flat=True))
    return [
        d
        for d in documents_for(application.programme.code)
        if not d.generated and d.kind not in have
    ]


def application_submit(*, application: Application, actor: User) -> Application:
    """Submit (HY-C01): hard eligibility conditions (HY-A01, A02, A05, GY-A02, GY-A04, HY-C05),
    the document checklist (HY-D02–D05) and the pledges (HY-D04) must hold."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_in(application, A.DRAFT)
        report = eligibility_report(pharmacy=locked.pharmacy, programme=locked.programme, on=today)
        blocking = blocking_conditions(report)
        if blocking:
            first = blocking[0]
            raise RuleViolation(
                first.rule_id,
                _("不符合申请条件：%(label)s（%(data)s）")
                % {"label": first.label, "data": first.data},
            )
        missing = missing_documents(locked)
        if missing:
            # Refused under the rule of the first missing item (HY-D02, HY-A06, GY-B01, …).
            raise RuleViolation(
                missing[0].rule_id,
                _("申请材料不全，缺少：%(m)s") % {"m": "、".join(str(d.label) for d in missing)},
            )
        if not (locked.pledge_truthful and locked.pledge_security):
            raise RuleViolation("HY-D04", _("请先作出材料真实性、合法性承诺和信息安全保密承诺。"))
        locked = _move_application(
            locked,
            A.SUBMITTED,
            actor=actor,
            rule_id="HY-C01",
            fields={"submitted_at": timezone.now()},
        )
        transaction.on_commit(lambda: notify.application_submitted(locked.pk))
    return locked


def application_supplement_done(*, application: Application, actor: User) -> Application:
    """The pharmacy has supplemented: the clock restarts, extended by the paused days (HY-C02)."""
    today = timezone.localdate()
    calendar = load_calendar(region_id=_region_id(application.pharmacy))
    with transaction.atomic():
        locked = _lock_in(application, A.SUPPLEMENT)
        since = locked.supplement_since or today
        paused = locked.paused_days + (today - since).days
        due = locked.evaluation_due_on
        if locked.accepted_on and locked.programme.evaluation_months:
            due = evaluation_due_on(
                accepted_on=locked.accepted_on,
                months=locked.programme.evaluation_months,
                paused_days=paused,
                calendar=calendar,
            )
        locked = _move_application(
            locked,
            A.ACCEPTED,
            actor=actor,
            rule_id="HY-C02",
            reason=named_reason("supplement_paused", n=(today - since).days),
            fields={"paused_days": paused, "supplement_since": None, "evaluation_due_on": due},
        )
        transaction.on_commit(lambda: notify.application_supplemented(locked.pk))
    return locked


# --- Application: bureau side


def application_accept(*, application: Application, actor: User) -> Application:
    """Accept the materials: the evaluation clock starts (HY-C02)."""
    today = timezone.localdate()
    months = application.programme.evaluation_months
    due = (
        evaluation_due_on(
            accepted_on=today,
            months=months,
            paused_days=0,
            calendar=load_calendar(region_id=_region_id(application.pharmacy)),
        )
        if months
        else None
    )
    with transaction.atomic():
        locked = _move_application(
            application,
            A.ACCEPTED,
            actor=actor,
            rule_id="HY-C02",
            fields={"accepted_on": today, "evaluation_due_on": due},
        )
        transaction.on_commit(lambda: notify.application_status(locked.pk))
    return locked


def application_request_supplement(
    *, application: Application, note: str, actor: User
) -> Application:
    """Ask the pharmacy for more materials: the clock pauses until it supplements (HY-C02)."""
    if not note.strip():
        raise DomainError(_("请写明需要补充的材料。"), field="note")
    today = timezone.localdate()
    with transaction.atomic():
        locked = _move_application(
            application,
            A.SUPPLEMENT,
            actor=actor,
            reason=note,
            rule_id="HY-C02",
            fields={"supplement_since": today, "supplement_note": note},
        )
        transaction.on_commit(lambda: notify.application_status(locked.pk))
    return locked


def application_start_inspection(*, application: Application, actor: User) -> Application:
    """Document review done; the assessment team inspects on site (HY-C02, GY-B01)."""
    with transaction.atomic():
        return _move_application(application, A.INSPECTION, actor=actor, rule_id="HY-C02")


def application_record_inspection(
    *, application: Application, results: dict[str, bool], notes: str, actor: User
) -> Application:
    """Record the on-site checklist (HY-A08, HY-D02, HY-A07, HY-A05; GY-B01 negotiation)."""
    items = inspection_items(application.programme.code)
    with transaction.atomic():
        locked = _lock_in(application, A.INSPECTION)
        locked.inspection = {
            "items": {i.key: bool(results.get(i.key)) for i in items},
            "notes": notes,
            "by": actor.username,
        }
        locked.save(update_fields=["inspection"])
        _note_application(
            locked, actor=actor, reason=named_reason("inspection_recorded"), rule_id="HY-A08"
        )
    return locked


def application_pass(
    *, application: Application, reason: str, actor: User, acknowledged: Collection[str] = ()
) -> Application:
    """Evaluation passed: no hard condition fails, each failing soft condition is acknowledged
    by its rule ID, every on-site item holds; the public notice runs N working days
    (HY-C03; GY-B01 has no notice: the agreement may be signed at once)."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_in(application, A.INSPECTION)
        check_evidence_for_pass(locked)  # HY-A06/A07, HY-E05, GY-A01, GY-A03
        checked = (locked.inspection or {}).get("items", {})
        for item in inspection_items(locked.programme.code):
            if not checked.get(item.key):
                raise RuleViolation(
                    item.rule_id, _("现场查勘项目未通过：%(label)s") % {"label": item.label}
                )
        confirmed = check_conditions_for_pass(locked, on=today, acknowledged=acknowledged)
        days = locked.programme.notice_working_days
        calendar = load_calendar(region_id=_region_id(application.pharmacy))
        notice_end = calendar.add_working_days(today, days) if days else None
        locked = _move_application(
            locked,
            A.PASSED,
            actor=actor,
            reason=acknowledgement_reason(reason, confirmed),
            rule_id="HY-C03",
            acknowledged=confirmed,
            fields={
                "decided_on": today,
                "decision_reason": reason,
                "notice_starts_on": today if days else None,
                "notice_ends_on": notice_end,
            },
        )
        transaction.on_commit(lambda: notify.application_status(locked.pk))
    return locked


def application_fail(*, application: Application, reason: str, actor: User) -> Application:
    """Evaluation failed: the result is fed back within N working days (HY-C04)."""
    if not reason.strip():
        raise DomainError(_("请写明不合格的理由。"), field="reason")
    today = timezone.localdate()
    days = application.programme.feedback_working_days
    calendar = load_calendar(region_id=_region_id(application.pharmacy))
    due = calendar.add_working_days(today, days) if days else None
    with transaction.atomic():
        locked = _move_application(
            application,
            A.FAILED,
            actor=actor,
            reason=reason,
            rule_id="HY-C04",
            fields={"decided_on": today, "decision_reason": reason, "feedback_due_on": due},
        )
    return locked


def application_send_feedback(*, application: Application, actor: User) -> Application:
    """Send the feedback letter of a failed evaluation to the applicant (HY-C04)."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_in(application, A.FAILED)
        if locked.feedback_sent_on:
            raise DomainError(_("结果反馈函已发出。"))
        locked.feedback_sent_on = today
        locked.save(update_fields=["feedback_sent_on"])
        _note_application(
            locked, actor=actor, reason=named_reason("feedback_sent"), rule_id="HY-C04"
        )
        transaction.on_commit(lambda: notify.application_status(locked.pk))
    return locked


def application_sign_agreement(*, application: Application, actor: User) -> Designation:
    """Sign the agreement once the notice period is over (HY-C03; GY-B01 supplementary
    agreement); the designation runs for the agreement term (HY-E09)."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_in(application, A.PASSED)
        if locked.notice_ends_on and today <= locked.notice_ends_on:
            raise RuleViolation(
                "HY-C03",
                _("公示期至 %(d)s 结束，公示期结束后方可签订协议。")
                % {"d": locked.notice_ends_on.isoformat()},
            )
        locked = _move_application(
            locked, A.SIGNED, actor=actor, rule_id="HY-C03", fields={"signed_on": today}
        )
        designation = designation_open(
            pharmacy=locked.pharmacy,
            programme=locked.programme,
            application=locked,
            starts_on=today,
            actor=actor,
        )
        transaction.on_commit(lambda: notify.application_status(locked.pk))
    return designation


def designation_open(
    *,
    pharmacy: Pharmacy,
    programme: Programme,
    starts_on: date,
    actor: User | None,
    application: Application | None = None,
    reason: str | Reason = "",
    rule_id: str = "HY-E09",
) -> Designation:
    """A designation in force from `starts_on` for the programme's agreement term (HY-E09;
    GY-B01 supplementary agreement), with its first event row."""
    with transaction.atomic():
        designation = Designation.objects.create(
            pharmacy=pharmacy,
            programme=programme,
            application=application,
            starts_on=starts_on,
            ends_on=_term_end(starts_on, programme),
        )
        _opened(DESIGNATION, designation, actor=actor, rule_id=rule_id, reason=reason)
    return designation


def _term_end(start: date, programme: Programme) -> date:
    """HY-E09: the last day in force of a term counted from `start` (not itself counted): the
    corresponding day `agreement_term_years` later."""
    # GY-PT names no term: its supplementary agreement is reviewed yearly like HY-TM's.
    years = programme.agreement_term_years or 1
    return period_last_day(start, years=years)


# --- Designation


def designation_expire(*, designation: Designation, today: date) -> Designation | None:
    """HY-E09: an active designation whose term ended (its last day, `ends_on`, is before
    `today`) without renewal becomes expired; an event row records it. Idempotent: a
    designation not (or no longer) due is left as it is and None is returned."""
    with transaction.atomic():
        locked = Designation.objects.select_for_update().get(pk=designation.pk)
        if locked.status != D.ACTIVE or period_applies(today, locked.ends_on):
            return None
        return transition(
            DESIGNATION,
            locked,
            D.EXPIRED,
            actor=None,
            reason=named_reason("designation_expired"),
            rule_id="HY-E09",
        )


def designations_expire_due(*, today: date) -> int:
    """The daily scan's part for HY-E09: expire every active term that ended; returns how many."""
    due = Designation.objects.filter(status=D.ACTIVE, ends_on__lt=today).values_list(
        "pk", flat=True
    )
    return sum(
        1
        for pk in due
        if designation_expire(designation=Designation(pk=pk), today=today) is not None
    )


def designation_assess(
    *,
    designation: Designation,
    result: str,
    notes: str,
    actor: User,
    rectification_until: date | None = None,
) -> Designation:
    """Yearly assessment (HY-E09): pass → renewed for a term; fail → rectification period
    (HY-C05). After rectification: pass → active again; fail → revoked (HY-C05, HY-C06)."""
    today = timezone.localdate()
    if result not in AssessmentResult.values:
        raise DomainError(_("请选择考核结果。"), field="result")
    with transaction.atomic():
        locked = Designation.objects.select_for_update().get(pk=designation.pk)
        after_rectification = locked.status == D.RECTIFICATION
        Assessment.objects.create(
            designation=locked,
            assessed_on=today,
            result=result,
            after_rectification=after_rectification,
            notes=notes,
            actor=actor,
        )
        if after_rectification:
            if (
                locked.rectification_until
                and today < locked.rectification_until
                and (result != AssessmentResult.PASSED)
            ):
                raise RuleViolation(
                    "HY-C05",
                    _("整改期至 %(d)s 结束，整改期结束后方可作出取消定点决定。")
                    % {"d": locked.rectification_until.isoformat()},
                )
            if result == AssessmentResult.PASSED:
                return transition(
                    DESIGNATION,
                    locked,
                    D.ACTIVE,
                    actor=actor,
                    reason=notes,
                    rule_id="HY-C05",
                    fields={"rectification_until": None},
                )
            return _revoke(locked, today=today, actor=actor, reason=notes)
        if result == AssessmentResult.PASSED:
            return transition(
                DESIGNATION,
                locked,
                D.ACTIVE,
                actor=actor,
                reason=notes or named_reason("designation_renewed"),
                rule_id="HY-E09",
                fields={"ends_on": _term_end(locked.ends_on, locked.programme)},
            )
        if result == AssessmentResult.NOT_RENEWED:
            # Not renewed: the agreement runs to its end and then expires (HY-E09).
            note(DESIGNATION, locked, actor=actor, reason=notes, rule_id="HY-E09")
            return locked
        if rectification_until is None or rectification_until <= today:
            raise DomainError(_("考核不合格须给予整改期：请填写晚于今天的整改期截止日。"))
        return transition(
            DESIGNATION,
            locked,
            D.RECTIFICATION,
            actor=actor,
            reason=notes,
            rule_id="HY-C05",
            fields={"rectification_until": rectification_until},
        )


def revocation_dates(
    *, on: date, programme: Programme, calendar: WorkingCalendar
) -> tuple[date, date]:
    """HY-C06/HY-G06: (settle until the transition end of that year — 31 December —, stop on
    1 January next year moved to the next working day). A programme without a transition
    period stops on the next working day."""
    month, day = programme.transition_end_month, programme.transition_end_day
    if not (month and day):
        return on, calendar.next_working_day(on)
    settle_until = date(on.year, month, day)
    stops_on = calendar.next_working_day(settle_until)
    return settle_until, stops_on


def _revoke(designation: Designation, *, today: date, actor: User, reason: str) -> Designation:
    programme = designation.programme
    settle_until, stops_on = revocation_dates(
        on=today,
        programme=programme,
        calendar=load_calendar(region_id=_region_id(designation.pharmacy)),
    )
    ban_years = programme.reapplication_ban_years or 0
    revoked = transition(
        DESIGNATION,
        designation,
        D.REVOKED,
        actor=actor,
        reason=reason or named_reason("designation_revoked"),
        rule_id="HY-C05",
        fields={
            "settle_until": settle_until,
            "stops_on": stops_on,
            "ban_until": period_last_day(today, years=ban_years) if ban_years else None,
        },
    )
    payload = {
        "organisation_id": revoked.pharmacy.organisation_id,
        "programme_code": programme.code,
        "settle_until": settle_until.isoformat(),
        "effective_from": stops_on.isoformat(),
    }
    note(
        DESIGNATION,
        revoked,
        actor=actor,
        reason=named_reason(
            "patients_notified", s=payload["settle_until"], e=payload["effective_from"]
        ),
        rule_id="HY-C06",
    )
    transaction.on_commit(lambda: _queue_patients_hook(payload))
    transaction.on_commit(lambda: notify.designation_changed(revoked.pk))
    return revoked


def _queue_patients_hook(payload: dict[str, Any]) -> None:
    # By name on the current Celery app: the patients app implements the task, and neither it
    # nor config (which imports every app) may be imported from here (import-linter layers).
    current_app.send_task("patients.institution_revoked", kwargs=payload)


def violation_record(
    *,
    pharmacy: Pharmacy,
    programme: Programme,
    found_on: date,
    finding: str,
    rule_id: str,
    major: bool,
    decision: str,
    actor: User,
    refused_amount: Decimal | None = None,
    suspended_until: date | None = None,
) -> Violation:
    """Record a violation and apply the decision (HY-E10, GY-E04, GY-B02): refuse payment,
    suspend the agreement, terminate it (no renewal for N years), or transfer to the judiciary."""
    if decision not in ViolationDecision.values:
        raise DomainError(_("请选择处理决定。"), field="decision")
    today = timezone.localdate()
    if not finding.strip():
        raise DomainError(_("请写明违规事实。"), field="finding")
    if decision == ViolationDecision.REFUSE_PAYMENT and not (refused_amount and refused_amount > 0):
        raise RuleViolation("HY-E10", _("拒付须填写拒付金额。"))
    if decision == ViolationDecision.SUSPEND and not (suspended_until and suspended_until > today):
        raise RuleViolation("HY-E10", _("暂停协议须填写晚于今天的暂停截止日。"))
    with transaction.atomic():
        designation = (
            Designation.objects.select_for_update()
            .filter(
                pharmacy=pharmacy,
                programme=programme,
                status__in=[D.ACTIVE, D.RECTIFICATION, D.SUSPENDED],
            )
            .first()
        )
        if decision in (ViolationDecision.SUSPEND, ViolationDecision.TERMINATE) and not designation:
            raise RuleViolation("HY-E10", _("该药店在此方案下没有有效的定点协议。"))
        violation = Violation(
            pharmacy=pharmacy,
            programme=programme,
            designation=designation,
            found_on=found_on,
            finding=finding,
            rule_id=rule_id,
            major=major,
            decision=decision,
            refused_amount=refused_amount if decision == ViolationDecision.REFUSE_PAYMENT else None,
            suspended_until=suspended_until if decision == ViolationDecision.SUSPEND else None,
            recorded_by=actor,
        )
        violation._history_user = actor  # type: ignore[attr-defined]
        violation.save()
        if designation and decision == ViolationDecision.SUSPEND:
            transition(
                DESIGNATION,
                designation,
                D.SUSPENDED,
                actor=actor,
                reason=finding,
                rule_id="HY-E10",
                fields={"suspended_until": suspended_until},
            )
        elif designation and decision == ViolationDecision.TERMINATE:
            years = programme.termination_ban_years or 0
            transition(
                DESIGNATION,
                designation,
                D.TERMINATED,
                actor=actor,
                reason=finding,
                rule_id="HY-E10",
                fields={
                    "settle_until": today,
                    "ban_until": period_last_day(today, years=years) if years else None,
                },
            )
    return violation


def designation_resume(*, designation: Designation, actor: User) -> Designation:
    """End a suspension once its period is over (HY-E10)."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = Designation.objects.select_for_update().get(pk=designation.pk)
        if locked.status != D.SUSPENDED:
            raise TransitionNotAllowed(_("只有暂停中的定点资格可以恢复。"))
        if locked.suspended_until and today < locked.suspended_until:
            raise RuleViolation(
                "HY-E10", _("暂停期至 %(d)s，期满后方可恢复。") % {"d": locked.suspended_until}
            )
        return transition(
            DESIGNATION,
            locked,
            D.ACTIVE,
            actor=actor,
            rule_id="HY-E10",
            fields={"suspended_until": None},
        )
