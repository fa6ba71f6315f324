"""Yearly assessment, rectification, revocation with its transition, violations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import Organisation, OrganisationKind, Role, User
from accreditation import services
from accreditation.models import (
    AssessmentResult,
    Designation,
    DesignationStatus,
    Violation,
    ViolationDecision,
)
from accreditation.selectors import designated_pharmacies, pharmacy_may_settle
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from tests.factories import accreditation as h
from tests.factories import member, region
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _designated(start: date = date(2025, 3, 2)) -> tuple[Designation, User, User]:
    pharmacy = h.pharmacy(opened_on=date(2024, 1, 1))
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    with time_machine.travel(start):
        application = h.passed(pharmacy, h.hy(), manager, reviewer)
    with time_machine.travel(date.fromordinal(application.notice_ends_on.toordinal() + 1)):  # type: ignore[union-attr]
        designation = services.application_sign_agreement(application=application, actor=reviewer)
    return designation, manager, reviewer


def test_hy_e09_yearly_assessment_passed_renews_the_agreement_for_a_year() -> None:
    designation, _manager, reviewer = _designated()
    ends = designation.ends_on
    with time_machine.travel(date(2026, 2, 20)):
        designation = services.designation_assess(
            designation=designation, result=AssessmentResult.PASSED, notes="", actor=reviewer
        )
    assert designation.status == DesignationStatus.ACTIVE
    assert designation.ends_on == date(ends.year + 1, ends.month, ends.day)
    assert designation.assessments.count() == 1
    assert designation.events.last().rule_id == "HY-E09"  # type: ignore[union-attr]


def test_hy_e09_term_applies_on_its_anniversary_and_ends_the_day_after() -> None:
    designation, _manager, _reviewer = _designated()
    # Signed on the day after the notice: the term's last day is that day a year later.
    assert designation.ends_on == date(
        designation.starts_on.year + 1, designation.starts_on.month, designation.starts_on.day
    )
    pharmacy = designation.pharmacy
    assert pharmacy_may_settle(pharmacy=pharmacy, programme=h.hy(), on=designation.ends_on)
    after = date.fromordinal(designation.ends_on.toordinal() + 1)
    assert not pharmacy_may_settle(pharmacy=pharmacy, programme=h.hy(), on=after)


def test_hy_c05_failed_assessment_opens_rectification_then_revokes_with_a_1_year_ban() -> None:
    designation, manager, reviewer = _designated()
    with time_machine.travel(date(2026, 2, 20)):
        with pytest.raises(DomainError):  # a rectification period is required
            services.designation_assess(
                designation=designation, result=AssessmentResult.FAILED, notes="x", actor=reviewer
            )
        designation = services.designation_assess(
            designation=designation,
            result=AssessmentResult.FAILED,
            notes="执业药师不在岗",
            actor=reviewer,
            rectification_until=date(2026, 5, 20),
        )
    assert designation.status == DesignationStatus.RECTIFICATION
    # patients still settle during rectification
    assert pharmacy_may_settle(pharmacy=designation.pharmacy, programme=h.hy(), on=date(2026, 3, 1))
    with time_machine.travel(date(2026, 5, 19)):
        with pytest.raises(RuleViolation) as excinfo:
            services.designation_assess(
                designation=designation, result=AssessmentResult.FAILED, notes="", actor=reviewer
            )
        assert excinfo.value.rule_id == "HY-C05"
    with time_machine.travel(date(2026, 5, 21)):
        designation = services.designation_assess(
            designation=designation,
            result=AssessmentResult.FAILED,
            notes="仍不合格",
            actor=reviewer,
        )
    assert designation.status == DesignationStatus.REVOKED
    assert designation.ban_until == date(2027, 5, 21)
    # HY-C05: no new application within the year, its anniversary (the last day) included
    with time_machine.travel(date(2027, 5, 20)):
        application = h.draft(designation.pharmacy, h.hy(), manager)
        with pytest.raises(RuleViolation) as excinfo:
            services.application_submit(application=application, actor=manager)
        assert excinfo.value.rule_id == "HY-C05"
    with time_machine.travel(date(2027, 5, 21)):
        with pytest.raises(RuleViolation) as excinfo:
            services.application_submit(application=application, actor=manager)
        assert excinfo.value.rule_id == "HY-C05"
    with time_machine.travel(date(2027, 5, 22)):  # lifted the day after
        services.application_submit(application=application, actor=manager)


def test_hy_c05_rectified_pharmacy_returns_to_active() -> None:
    designation, _manager, reviewer = _designated()
    with time_machine.travel(date(2026, 2, 20)):
        designation = services.designation_assess(
            designation=designation,
            result=AssessmentResult.FAILED,
            notes="",
            actor=reviewer,
            rectification_until=date(2026, 4, 1),
        )
    with time_machine.travel(date(2026, 3, 20)):
        designation = services.designation_assess(
            designation=designation, result=AssessmentResult.PASSED, notes="已整改", actor=reviewer
        )
    assert designation.status == DesignationStatus.ACTIVE
    assert designation.rectification_until is None


def test_hy_c06_revocation_sets_the_transition_and_queues_the_patients_hook(
    django_capture_on_commit_callbacks: object,
) -> None:
    designation, _manager, reviewer = _designated(date(2025, 3, 2))
    with time_machine.travel(date(2025, 6, 2)):
        designation = services.designation_assess(
            designation=designation,
            result=AssessmentResult.FAILED,
            notes="",
            actor=reviewer,
            rectification_until=date(2025, 8, 1),
        )
    with (
        time_machine.travel(date(2025, 8, 4)),
        django_capture_on_commit_callbacks() as callbacks,  # type: ignore[operator]
    ):
        designation = services.designation_assess(
            designation=designation, result=AssessmentResult.FAILED, notes="", actor=reviewer
        )
    # settle until 31 December of that year; stop on 1 January, moved past the New Year
    # holiday to the make-up working day Sunday 4 January 2026 (HY-G06)
    assert designation.settle_until == date(2025, 12, 31)
    assert designation.stops_on == date(2026, 1, 4)
    hook = designation.events.filter(rule_id="HY-C06").get()
    assert "2025-12-31" in hook.reason and "2026-01-04" in hook.reason
    assert len(callbacks) == 2  # the patients' hook (by name) and the pharmacy's notification
    pharmacy = designation.pharmacy
    assert pharmacy_may_settle(pharmacy=pharmacy, programme=h.hy(), on=date(2025, 12, 31))
    assert not pharmacy_may_settle(pharmacy=pharmacy, programme=h.hy(), on=date(2026, 1, 4))
    assert list(designated_pharmacies(programme=h.hy(), on=date(2026, 1, 5))) == []


def test_designation_moves_outside_the_table_are_refused() -> None:
    designation, _manager, reviewer = _designated()
    with time_machine.travel(date(2026, 2, 20)), pytest.raises(TransitionNotAllowed):
        services.designation_resume(designation=designation, actor=reviewer)  # active→active?
    Designation.objects.filter(pk=designation.pk).update(status=DesignationStatus.REVOKED)
    designation.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        services.designation_assess(
            designation=designation, result=AssessmentResult.PASSED, notes="", actor=reviewer
        )


def test_hy_e10_refuse_payment_needs_an_amount_and_keeps_the_designation() -> None:
    designation, _manager, reviewer = _designated()
    args: dict[str, Any] = {
        "pharmacy": designation.pharmacy,
        "programme": h.hy(),
        "found_on": date(2025, 6, 1),
        "finding": "超范围销售",
        "rule_id": "HY-E10",
        "major": False,
        "actor": reviewer,
        "decision": ViolationDecision.REFUSE_PAYMENT,
    }
    with pytest.raises(RuleViolation):
        services.violation_record(**args)
    violation = services.violation_record(**args, refused_amount=Decimal("1280.50"))
    assert violation.refused_amount == Decimal("1280.50")
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.ACTIVE


def test_hy_e10_suspension_for_a_period_then_resume() -> None:
    designation, _manager, reviewer = _designated()
    with time_machine.travel(date(2025, 6, 1)):
        services.violation_record(
            pharmacy=designation.pharmacy,
            programme=h.hy(),
            found_on=date(2025, 6, 1),
            finding="未按规定扫码",
            rule_id="HY-E10",
            major=False,
            actor=reviewer,
            decision=ViolationDecision.SUSPEND,
            suspended_until=date(2025, 7, 1),
        )
        designation.refresh_from_db()
        assert designation.status == DesignationStatus.SUSPENDED
        assert not pharmacy_may_settle(
            pharmacy=designation.pharmacy, programme=h.hy(), on=date(2025, 6, 2)
        )
        with pytest.raises(RuleViolation):
            services.designation_resume(designation=designation, actor=reviewer)
    with time_machine.travel(date(2025, 7, 1)):
        designation = services.designation_resume(designation=designation, actor=reviewer)
    assert designation.status == DesignationStatus.ACTIVE


def test_hy_e10_termination_bars_renewal_for_5_years() -> None:
    designation, manager, reviewer = _designated()
    with time_machine.travel(date(2025, 6, 1)):
        services.violation_record(
            pharmacy=designation.pharmacy,
            programme=h.hy(),
            found_on=date(2025, 6, 1),
            finding="伪造购药记录",
            rule_id="HY-E10",
            major=True,
            actor=reviewer,
            decision=ViolationDecision.TERMINATE,
        )
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.TERMINATED
    assert designation.ban_until == date(2030, 6, 1)
    with time_machine.travel(date(2029, 6, 1)):
        application = h.draft(designation.pharmacy, h.hy(), manager)
        with pytest.raises(RuleViolation) as excinfo:
            services.application_submit(application=application, actor=manager)
    assert excinfo.value.rule_id == "HY-E10"
    # The fifth anniversary is the ban's last day; it is lifted the day after.
    with time_machine.travel(date(2030, 6, 1)), pytest.raises(RuleViolation) as excinfo:
        services.application_submit(application=application, actor=manager)
    assert excinfo.value.rule_id == "HY-E10"
    with time_machine.travel(date(2030, 6, 2)):
        services.application_submit(application=application, actor=manager)


@time_machine.travel(date(2026, 3, 2))
def test_gy_e04_gy_b02_breach_recorded_and_transferred_to_the_judiciary() -> None:
    """A Guiyang reviewer records a serious GY-B02 breach on the designation page and decides
    to transfer it to the judiciary (GY-E04): the violation row holds the facts, the decision
    and who decided; the pharmacy and the reviewer both see the transfer on the page; another
    region's reviewer cannot reach it; a suspension without its end date is refused."""
    pharmacy = h.pharmacy(region_code="520100")
    manager = h.manager_of(pharmacy)
    centre = Organisation.objects.create(
        kind=OrganisationKind.CENTRE, name="贵阳市医疗保障事务中心", region=region("520100")
    )
    reviewer = member(Role.BUREAU_REVIEWER, organisation=centre)
    designation = Designation.objects.create(
        pharmacy=pharmacy, programme=h.gy(), starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    page = f"/accreditation/designations/{designation.pk}/"
    client = login(Client(), reviewer)
    client.post(
        f"{page}violation/",
        {
            "confirmed": "1",
            "found_on": "2026-03-01",
            "finding": "将门诊保障业务委托第三方平台开展",
            "rule_id": "GY-B02",
            "major": "on",
            "decision": ViolationDecision.JUDICIAL,
        },
    )
    violation = Violation.objects.get(pharmacy=pharmacy)
    assert (violation.rule_id, violation.decision, violation.major) == (
        "GY-B02",
        ViolationDecision.JUDICIAL,
        True,
    )
    assert violation.designation == designation and violation.recorded_by == reviewer
    assert violation.found_on == date(2026, 3, 1)
    assert Violation.history.get(id=violation.pk).history_user == reviewer
    for viewer in (reviewer, manager):
        html = login(Client(), viewer).get(page).content.decode()
        assert "移送司法机关" in html and "委托第三方平台" in html and "GY-B02" in html
    assert login(Client(), h.reviewer()).get(page).status_code == 404
    # handled per agreement (GY-E04): a suspension needs its end date; nothing is recorded
    client.post(
        f"{page}violation/",
        {
            "confirmed": "1",
            "found_on": "2026-03-01",
            "finding": "药师不在岗",
            "rule_id": "GY-E04",
            "decision": ViolationDecision.SUSPEND,
        },
    )
    assert Violation.objects.filter(pharmacy=pharmacy).count() == 1


def test_hy_e10_violation_keeps_history_naming_who_recorded_it() -> None:
    designation, _manager, reviewer = _designated()
    with time_machine.travel(date(2025, 6, 1)):
        violation = services.violation_record(
            pharmacy=designation.pharmacy,
            programme=h.hy(),
            found_on=date(2025, 6, 1),
            finding="串换药品",
            rule_id="HY-E10",
            major=False,
            actor=reviewer,
            decision=ViolationDecision.REFUSE_PAYMENT,
            refused_amount=Decimal("120.00"),
        )
    record = Violation.history.get(id=violation.pk)
    assert record.history_type == "+" and record.history_user == reviewer
