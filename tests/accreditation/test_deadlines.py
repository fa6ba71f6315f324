"""The daily scan: reminders at 30/7/1 days, escalation, notice end, feedback, HY-E01, licences,
renewal; each sent once, across holidays."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from accounts.models import Role, User
from accreditation import services
from accreditation.deadlines import deadlines_scan
from accreditation.models import Designation
from accreditation.tasks import scan_deadlines
from core.models import Notification
from pharmacies.models import StaffMember
from tests.factories import accreditation as h
from tests.factories import member

pytestmark = pytest.mark.django_db


def _subjects(user: User) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("subject", flat=True))


def test_hy_c02_reviewer_is_reminded_30_7_1_days_before_and_escalated_when_overdue() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    admin = member(Role.BUREAU_ADMIN)
    with time_machine.travel(date(2026, 9, 15)):
        services.application_accept(
            application=h.submitted(pharmacy, h.hy(), manager), actor=reviewer
        )
    # due 15 December 2026
    assert deadlines_scan(today=date(2026, 11, 14)) == 0
    assert deadlines_scan(today=date(2026, 11, 15)) == 1
    assert deadlines_scan(today=date(2026, 11, 15)) == 0  # idempotent
    assert deadlines_scan(today=date(2026, 12, 8)) == 1
    assert deadlines_scan(today=date(2026, 12, 14)) == 1
    assert deadlines_scan(today=date(2026, 12, 16)) == 2  # reviewer and bureau admin
    assert deadlines_scan(today=date(2026, 12, 17)) == 0
    subjects = _subjects(reviewer)
    assert any("还剩 30 天" in s for s in subjects)
    assert any("评估已逾期" in s for s in subjects)
    assert any("评估已逾期" in s for s in _subjects(admin))


def test_hy_c03_c04_notice_end_and_feedback_reminders_after_national_day() -> None:
    ok, bad = h.pharmacy(), h.pharmacy()
    reviewer = h.reviewer()
    with time_machine.travel(date(2026, 9, 28)):
        h.passed(ok, h.hy(), h.manager_of(ok), reviewer)
        failed = services.application_accept(
            application=h.submitted(bad, h.hy(), h.manager_of(bad)), actor=reviewer
        )
        services.application_fail(application=failed, reason="不合格", actor=reviewer)
    # both run 5 working days over the holiday, to Saturday 10 October (a make-up working day)
    assert deadlines_scan(today=date(2026, 10, 8)) == 0
    assert deadlines_scan(today=date(2026, 10, 9)) == 1  # feedback due tomorrow
    assert deadlines_scan(today=date(2026, 10, 10)) == 0
    assert deadlines_scan(today=date(2026, 10, 11)) == 1  # notice over: sign the agreement
    subjects = _subjects(reviewer)
    assert any("公示期已结束" in s for s in subjects)
    assert any("2026-10-10" in s and "反馈函" in s for s in subjects)


def test_hy_e01_missing_payroll_months_flagged_to_pharmacy_and_bureau_once() -> None:
    pharmacy = h.pharmacy(pharmacists=0)
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    hired_before = StaffMember.objects.create(
        pharmacy=pharmacy,
        name="老药师",
        post="pharmacist",
        resident_id=h.resident_id(56),
        licensed_pharmacist=True,
        hired_on=date(2025, 6, 1),
    )
    Designation.objects.create(
        pharmacy=pharmacy, programme=h.hy(), starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    StaffMember.objects.create(
        pharmacy=pharmacy,
        name="新药师",
        post="pharmacist",
        resident_id=h.resident_id(55),
        licensed_pharmacist=True,
        hired_on=date(2026, 1, 10),
    )
    with time_machine.travel(date(2026, 3, 2)):
        assert scan_deadlines.apply().get() == 2
        assert scan_deadlines.apply().get() == 0
    assert len(_subjects(manager)) == 1
    assert "新药师 2026-01 工资银行流水未提供" in _subjects(reviewer)[0]
    # pharmacists hired before the designation were evidenced with the application (HY-D05)
    assert not any(hired_before.name in s for s in _subjects(manager))


def test_licence_expiry_and_yearly_renewal_reminders() -> None:
    pharmacy = h.pharmacy(drug_licence_expires_on=date(2026, 3, 31), opened_on=date(2024, 1, 1))
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    assert deadlines_scan(today=date(2026, 2, 28)) == 0
    assert deadlines_scan(today=date(2026, 3, 1)) == 1
    assert "药品经营许可证 将于 2026-03-31 到期" in _subjects(manager)[0]
    with time_machine.travel(date(2025, 3, 3)):
        application = h.passed(pharmacy, h.hy(), manager, reviewer)
    with time_machine.travel(date(2025, 3, 11)):
        designation = services.application_sign_agreement(application=application, actor=reviewer)
    assert designation.ends_on == date(2026, 3, 11)  # HY-E09: the anniversary is the last day
    assert deadlines_scan(today=date(2026, 2, 8)) == 0
    assert deadlines_scan(today=date(2026, 2, 9)) == 1
    assert any("请进行年度考核" in s for s in _subjects(reviewer))


def test_the_daily_scan_is_on_the_beat_schedule() -> None:
    from config.celery import app

    entries = [e["task"] for e in app.conf.beat_schedule.values()]
    assert "accreditation.scan_deadlines" in entries
