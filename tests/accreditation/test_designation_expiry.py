"""HY-E09: a designation whose term ended without renewal expires in the daily scan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from accounts.models import User
from accreditation import services
from accreditation.deadlines import deadlines_scan
from accreditation.models import (
    AssessmentResult,
    Designation,
    DesignationEvent,
    DesignationStatus,
)
from accreditation.selectors import designated_pharmacies, pharmacy_may_settle
from tests.factories import accreditation as h

pytestmark = pytest.mark.django_db


def _designated() -> tuple[Designation, User]:
    pharmacy = h.pharmacy(opened_on=date(2024, 1, 1))
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    with time_machine.travel(date(2025, 3, 3)):
        application = h.passed(pharmacy, h.hy(), manager, reviewer)
    with time_machine.travel(date(2025, 3, 11)):
        designation = services.application_sign_agreement(application=application, actor=reviewer)
    return designation, reviewer


def test_hy_e09_term_not_renewed_expires_the_day_after_its_last_day_not_on_it() -> None:
    designation, _reviewer = _designated()
    last_day = designation.ends_on
    assert last_day == date(2026, 3, 11)
    deadlines_scan(today=last_day)
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.ACTIVE
    assert pharmacy_may_settle(pharmacy=designation.pharmacy, programme=h.hy(), on=last_day)

    after = last_day + timedelta(days=1)
    deadlines_scan(today=after)
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.EXPIRED
    event = designation.events.order_by("pk").last()
    assert event is not None
    assert (event.old_status, event.new_status, event.rule_id) == (
        DesignationStatus.ACTIVE,
        DesignationStatus.EXPIRED,
        "HY-E09",
    )
    assert not pharmacy_may_settle(pharmacy=designation.pharmacy, programme=h.hy(), on=after)
    assert designation.pharmacy not in designated_pharmacies(programme=h.hy(), on=after)


def test_hy_e09_renewal_before_the_end_keeps_the_designation() -> None:
    designation, reviewer = _designated()
    with time_machine.travel(date(2026, 2, 20)):
        designation = services.designation_assess(
            designation=designation, result=AssessmentResult.PASSED, notes="", actor=reviewer
        )
    assert designation.ends_on == date(2027, 3, 11)
    deadlines_scan(today=date(2026, 3, 12))
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.ACTIVE


def test_hy_e09_expiry_scan_twice_changes_nothing_more() -> None:
    designation, _reviewer = _designated()
    after = date(2026, 3, 12)
    assert services.designations_expire_due(today=after) == 1
    events = DesignationEvent.objects.filter(designation=designation).count()
    assert services.designations_expire_due(today=after) == 0
    deadlines_scan(today=after)
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.EXPIRED
    assert DesignationEvent.objects.filter(designation=designation).count() == events
