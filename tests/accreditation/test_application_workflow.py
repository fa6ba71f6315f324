"""Application → evaluation → notice → agreement; each move allowed and refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Organisation, OrganisationKind, Role
from accreditation import services
from accreditation.models import (
    Application,
    ApplicationStatus,
    Designation,
    DesignationStatus,
    ViolationDecision,
)
from accreditation.selectors import notices_under_way, pharmacy_may_settle
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from core.models import Notification
from pharmacies.models import StaffMember
from tests.factories import accreditation as h
from tests.factories import member, region

pytestmark = pytest.mark.django_db


def _rule(excinfo: pytest.ExceptionInfo[RuleViolation]) -> str:
    return excinfo.value.rule_id


@time_machine.travel(date(2026, 3, 2))
def test_hy_c01_manager_submits_complete_application_and_reviewers_are_told(
    django_capture_on_commit_callbacks: Any,
) -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    guiyang_centre = Organisation.objects.create(
        kind=OrganisationKind.CENTRE, name="贵阳市医疗保障事务中心", region=region("520100")
    )
    elsewhere = member(Role.BUREAU_REVIEWER, organisation=guiyang_centre)
    draft = h.draft(pharmacy, h.hy(), manager)
    assert not Notification.objects.filter(rule_id="HY-C01").exists()  # a draft tells no one
    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_submit(application=draft, actor=manager)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at is not None
    assert [e.new_status for e in application.events.all()] == ["draft", "submitted"]
    assert application.events.last().actor == manager  # type: ignore[union-attr]
    # HY-C01: the agreement-section reviewer of the pharmacy's region is told, with a link to
    # the application; a reviewer of another region and the manager are not.
    told = Notification.objects.get(recipient=reviewer, rule_id="HY-C01")
    assert pharmacy.name in told.subject and "HY-TM" in told.subject
    assert told.link == reverse("accreditation:review_detail", args=[application.pk])
    assert not Notification.objects.filter(recipient__in=[elsewhere, manager]).exists()
    # a second open application for the same programme is refused
    with pytest.raises(DomainError):
        services.application_create(pharmacy=pharmacy, programme=h.hy(), actor=manager)


@time_machine.travel(date(2026, 3, 2))
def test_hy_a05_refuses_submission_with_one_pharmacist() -> None:
    pharmacy = h.pharmacy(pharmacists=1)
    manager = h.manager_of(pharmacy)
    application = h.draft(pharmacy, h.hy(), manager)
    with pytest.raises(RuleViolation) as excinfo:
        services.application_submit(application=application, actor=manager)
    assert _rule(excinfo) == "HY-A05"
    assert "执业药师" in str(excinfo.value)
    # given a second licensed pharmacist, the same application goes through
    first = StaffMember.objects.filter(pharmacy=pharmacy, licensed_pharmacist=True).first()
    assert first is not None
    StaffMember.objects.create(
        pharmacy=pharmacy,
        name="药师乙",
        post="pharmacist",
        resident_id=h.resident_id(999),
        licensed_pharmacist=True,
        hired_on=date(2025, 6, 1),
    )
    assert services.application_submit(application=application, actor=manager).status == "submitted"


@time_machine.travel(date(2026, 3, 2))
def test_hy_a01_refuses_submission_after_a_major_violation_in_the_last_3_years() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    services.violation_record(
        pharmacy=pharmacy,
        programme=h.gy(),
        found_on=date(2023, 3, 3),
        finding="串换药品",
        rule_id="HY-E10",
        major=True,
        decision=ViolationDecision.JUDICIAL,
        actor=reviewer,
    )
    application = h.draft(pharmacy, h.hy(), manager)
    with pytest.raises(RuleViolation) as excinfo:
        services.application_submit(application=application, actor=manager)
    assert _rule(excinfo) == "HY-A01"
    # three years after the finding the condition holds again
    with time_machine.travel(date(2026, 3, 4)):
        services.application_submit(application=application, actor=manager)


def test_hy_a02_refuses_a_pharmacy_open_less_than_3_months() -> None:
    with time_machine.travel(date(2026, 3, 2)):
        pharmacy = h.pharmacy(opened_on=date(2025, 12, 3))
        manager = h.manager_of(pharmacy)
        application = h.draft(pharmacy, h.hy(), manager)
        with pytest.raises(RuleViolation) as excinfo:
            services.application_submit(application=application, actor=manager)
        assert _rule(excinfo) == "HY-A02"
    with time_machine.travel(date(2026, 3, 3)):
        assert services.application_submit(application=application, actor=manager).status == (
            "submitted"
        )


@time_machine.travel(date(2026, 3, 2))
def test_hy_a02_refuses_a_pharmacy_with_an_administrative_penalty() -> None:
    pharmacy = h.pharmacy(administrative_penalty=True)
    manager = h.manager_of(pharmacy)
    with pytest.raises(RuleViolation) as excinfo:
        h.submitted(pharmacy, h.hy(), manager)
    assert _rule(excinfo) == "HY-A02"


@time_machine.travel(date(2026, 3, 2))
def test_gy_a04_requires_a_pharmacist_registered_at_this_pharmacy() -> None:
    pharmacy = h.pharmacy(region_code="520100", pharmacists=1)
    StaffMember.objects.filter(pharmacy=pharmacy).update(registered_here=False)
    manager = h.manager_of(pharmacy)
    application = h.draft(pharmacy, h.gy(), manager)
    with pytest.raises(RuleViolation) as excinfo:
        services.application_submit(application=application, actor=manager)
    assert _rule(excinfo) == "GY-A04"
    StaffMember.objects.filter(pharmacy=pharmacy, licensed_pharmacist=True).update(
        registered_here=True
    )
    assert services.application_submit(application=application, actor=manager).status == (
        "submitted"
    )


@time_machine.travel(date(2026, 3, 2))
def test_gy_a02_refuses_a_lease_shorter_than_a_year() -> None:
    pharmacy = h.pharmacy(region_code="520100", lease_ends_on=date(2027, 3, 1))
    manager = h.manager_of(pharmacy)
    application = h.draft(pharmacy, h.gy(), manager)
    with pytest.raises(RuleViolation) as excinfo:
        services.application_submit(application=application, actor=manager)
    assert _rule(excinfo) == "GY-A02"
    pharmacy.lease_ends_on = date(2027, 3, 2)
    pharmacy.save()
    assert services.application_submit(application=application, actor=manager).status == (
        "submitted"
    )


@time_machine.travel(date(2026, 3, 2))
def test_hy_d02_to_d05_refuse_submission_with_a_missing_document() -> None:
    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    application = services.application_create(pharmacy=pharmacy, programme=h.hy(), actor=manager)
    services.application_set_pledges(
        application=application, truthful=True, security=True, actor=manager
    )
    with pytest.raises(RuleViolation) as excinfo:
        services.application_submit(application=application, actor=manager)
    assert _rule(excinfo) == "HY-D02"
    message = str(excinfo.value)
    # HY-D02 licences, HY-D03 lease or property, HY-D04 rules and plan, HY-D05 labour contracts
    for label in ("营业执照复印件", "租赁合同或产权证", "内部管理制度", "运营方案", "劳动合同"):
        assert label in message
    # once everything is uploaded the same application goes through
    from accreditation.checklists import uploadable_kinds

    for kind in uploadable_kinds("HY-TM"):
        services.application_document_upload(
            application=application, kind=kind, upload=h.pdf(), actor=manager
        )
    assert services.application_submit(application=application, actor=manager).status == (
        "submitted"
    )


@time_machine.travel(date(2026, 3, 2))
def test_hy_d04_refuses_submission_without_the_pledges() -> None:
    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    application = h.draft(pharmacy, h.hy(), manager)
    services.application_set_pledges(
        application=application, truthful=True, security=False, actor=manager
    )
    with pytest.raises(RuleViolation) as excinfo:
        services.application_submit(application=application, actor=manager)
    assert _rule(excinfo) == "HY-D04"


@time_machine.travel(date(2026, 3, 2))
def test_uploads_are_checked_by_content_and_size(settings: object) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    application = services.application_create(pharmacy=pharmacy, programme=h.hy(), actor=manager)
    fake = SimpleUploadedFile(
        "licence.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    with pytest.raises(DomainError):
        services.application_document_upload(
            application=application, kind="business_licence", upload=fake, actor=manager
        )
    png = SimpleUploadedFile("licence.pdf", b"\x89PNG\r\n\x1a\nrest", content_type="text/plain")
    doc = services.application_document_upload(
        application=application, kind="business_licence", upload=png, actor=manager
    )
    assert doc.content_type == "image/png"
    settings.DINGDIAN_MAX_UPLOAD_BYTES = 10  # type: ignore[attr-defined]
    with pytest.raises(DomainError):
        services.application_document_upload(
            application=application, kind="business_licence", upload=h.pdf(), actor=manager
        )


def test_hy_c02_supplement_pauses_the_clock_across_national_day() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    with time_machine.travel(date(2026, 9, 15)):
        application = services.application_accept(
            application=h.submitted(pharmacy, h.hy(), manager), actor=reviewer
        )
    assert application.accepted_on == date(2026, 9, 15)
    assert application.evaluation_due_on == date(2026, 12, 15)
    with time_machine.travel(date(2026, 9, 28)):
        application = services.application_request_supplement(
            application=application, note="请补充租赁合同原件扫描件", actor=reviewer
        )
    # while paused the pharmacy may upload again, but the reviewer cannot inspect
    with pytest.raises(TransitionNotAllowed):
        services.application_start_inspection(application=application, actor=reviewer)
    with time_machine.travel(date(2026, 10, 8)):
        services.application_document_upload(
            application=application, kind="lease_or_property", upload=h.pdf(), actor=manager
        )
        application = services.application_supplement_done(application=application, actor=manager)
    assert application.status == ApplicationStatus.ACCEPTED
    assert application.paused_days == 10
    # 15 December + 10 paused days = 25 December (a Friday, a working day)
    assert application.evaluation_due_on == date(2026, 12, 25)
    moves = [(e.old_status, e.new_status, e.rule_id) for e in application.events.all()]
    assert ("accepted", "supplement", "HY-C02") in moves
    assert ("supplement", "accepted", "HY-C02") in moves


def test_hy_c02_due_date_on_the_spring_festival_moves_to_the_next_working_day() -> None:
    pharmacy = h.pharmacy(opened_on=date(2025, 1, 1))
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    with time_machine.travel(date(2025, 11, 17)):
        application = services.application_accept(
            application=h.submitted(pharmacy, h.hy(), manager), actor=reviewer
        )
    # 17 February 2026 is the Spring Festival; the holiday runs to the 23rd
    assert application.evaluation_due_on == date(2026, 2, 24)


def test_hy_c03_notice_runs_5_working_days_over_national_day_then_agreement() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    with time_machine.travel(date(2026, 9, 28)):
        application = h.passed(pharmacy, h.hy(), manager, reviewer)
    assert application.status == ApplicationStatus.PASSED
    assert application.notice_starts_on == date(2026, 9, 28)
    # 29, 30 Sep, (1–7 Oct holiday), 8, 9, 10 Oct (a make-up Saturday)
    assert application.notice_ends_on == date(2026, 10, 10)
    assert list(notices_under_way(on=date(2026, 10, 5))) == [application]
    with time_machine.travel(date(2026, 10, 10)):
        with pytest.raises(RuleViolation) as excinfo:
            services.application_sign_agreement(application=application, actor=reviewer)
        assert _rule(excinfo) == "HY-C03"
    with time_machine.travel(date(2026, 10, 12)):
        designation = services.application_sign_agreement(application=application, actor=reviewer)
    assert designation.status == DesignationStatus.ACTIVE
    assert (designation.starts_on, designation.ends_on) == (date(2026, 10, 12), date(2027, 10, 12))
    assert pharmacy_may_settle(pharmacy=pharmacy, programme=h.hy(), on=date(2026, 10, 12))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SIGNED
    assert list(notices_under_way(on=date(2026, 10, 12))) == []


@time_machine.travel(date(2026, 3, 2))
def test_hy_a08_pass_is_refused_until_every_on_site_item_holds() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    application = services.application_accept(
        application=h.submitted(pharmacy, h.hy(), manager), actor=reviewer
    )
    application = services.application_start_inspection(application=application, actor=reviewer)
    items = h.all_items(application) | {"functional_areas": False}
    services.application_record_inspection(
        application=application, results=items, notes="无顾客休息区", actor=reviewer
    )
    with pytest.raises(RuleViolation) as excinfo:
        services.application_pass(application=application, reason="", actor=reviewer)
    assert _rule(excinfo) == "HY-A08"
    services.application_record_inspection(
        application=application, results=h.all_items(application), notes="", actor=reviewer
    )
    assert services.application_pass(
        application=application,
        reason="",
        actor=reviewer,
        acknowledged=h.soft_failures(application),
    ).status == ("passed")


@time_machine.travel(date(2026, 3, 2))
def test_gy_b01_negotiation_is_on_the_checklist_and_no_notice_is_needed() -> None:
    pharmacy = h.pharmacy(region_code="520100")
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    application = services.application_accept(
        application=h.submitted(pharmacy, h.gy(), manager), actor=reviewer
    )
    application = services.application_start_inspection(application=application, actor=reviewer)
    services.application_record_inspection(
        application=application,
        results=h.all_items(application) | {"negotiation": False},
        notes="",
        actor=reviewer,
    )
    with pytest.raises(RuleViolation) as excinfo:
        services.application_pass(application=application, reason="", actor=reviewer)
    assert _rule(excinfo) == "GY-B01"
    services.application_record_inspection(
        application=application, results=h.all_items(application), notes="", actor=reviewer
    )
    application = services.application_pass(
        application=application,
        reason="",
        actor=reviewer,
        acknowledged=h.soft_failures(application),
    )
    assert application.notice_ends_on is None
    designation = services.application_sign_agreement(application=application, actor=reviewer)
    assert designation.programme.code == "GY-PT"


def test_hy_c04_failed_evaluation_feedback_due_in_5_working_days() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    with time_machine.travel(date(2026, 9, 30)):
        application = services.application_accept(
            application=h.submitted(pharmacy, h.hy(), manager), actor=reviewer
        )
        with pytest.raises(DomainError):
            services.application_fail(application=application, reason=" ", actor=reviewer)
        application = services.application_fail(
            application=application, reason="执业药师未在岗", actor=reviewer
        )
    assert application.feedback_due_on == date(2026, 10, 13)
    with time_machine.travel(date(2026, 10, 9)):
        application = services.application_send_feedback(application=application, actor=reviewer)
    assert application.feedback_sent_on == date(2026, 10, 9)
    assert application.events.last().rule_id == "HY-C04"  # type: ignore[union-attr]
    with pytest.raises(DomainError):
        services.application_send_feedback(application=application, actor=reviewer)
    # a failed application is final
    with pytest.raises(TransitionNotAllowed):
        services.application_accept(application=application, actor=reviewer)


@time_machine.travel(date(2026, 3, 2))
def test_every_forbidden_move_is_refused() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    application = h.draft(pharmacy, h.hy(), manager)
    for service in (
        services.application_accept,
        services.application_start_inspection,
    ):
        with pytest.raises(TransitionNotAllowed):
            service(application=application, actor=reviewer)
    with pytest.raises(DomainError):
        services.application_sign_agreement(application=application, actor=reviewer)
    with pytest.raises(DomainError):
        services.application_pass(application=application, reason="", actor=reviewer)
    with pytest.raises(TransitionNotAllowed):
        services.application_request_supplement(application=application, note="x", actor=reviewer)
    application = services.application_submit(application=application, actor=manager)
    with pytest.raises(DomainError):
        services.application_submit(application=application, actor=manager)
    with pytest.raises(DomainError):
        services.application_supplement_done(application=application, actor=manager)
    assert Application.objects.get(pk=application.pk).status == "submitted"
    assert not Designation.objects.filter(pharmacy=pharmacy).exists()
