"""GY-A05 / GY 一(五): a separate insurance-drug area (独立的医保药品分区) — its own condition,
checked from the pharmacy's premises data at submission and verified on site."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client

from accounts.models import Organisation, OrganisationKind, Role
from accreditation import services
from accreditation.eligibility import FAIL, PASS, blocking_conditions, eligibility_report
from accreditation.models import ApplicationStatus
from core.errors import RuleViolation
from pharmacies.services import pharmacy_update_profile
from tests.factories import accreditation as h
from tests.factories import member, region
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


@time_machine.travel(date(2026, 3, 2))
def test_gy_a05_without_a_separate_insurance_drug_area_the_application_is_refused() -> None:
    # Given a GY pharmacy meeting every other hard condition, without the separate area.
    pharmacy = h.pharmacy(region_code="520100", insurance_drug_area=False)
    manager = h.manager_of(pharmacy)
    report = eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=date(2026, 3, 2))
    blocking = blocking_conditions(report)
    assert [(c.rule_id, str(c.label)) for c in blocking] == [("GY-A05", "设置独立的医保药品分区")]
    application = h.draft(pharmacy, h.gy(), manager)
    # When the manager submits: refused with GY-A05, the application stays a draft.
    with pytest.raises(RuleViolation) as excinfo:
        services.application_submit(application=application, actor=manager)
    assert excinfo.value.rule_id == "GY-A05" and "医保药品分区：否" in str(excinfo.value)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    # Then, once the profile records the area, the same application is submitted.
    pharmacy = pharmacy_update_profile(
        pharmacy=pharmacy, data={"insurance_drug_area": True}, actor=manager
    )
    report = eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=date(2026, 3, 2))
    area = [c for c in report if str(c.label) == "设置独立的医保药品分区"]
    assert [c.outcome for c in area] == [PASS]
    submitted = services.application_submit(application=application, actor=manager)
    assert submitted.status == ApplicationStatus.SUBMITTED


@time_machine.travel(date(2026, 3, 2))
def test_gy_a05_stock_share_stays_a_soft_condition_apart_from_the_area() -> None:
    # The area is there; the empty ledger fails only the stock part, which does not block.
    pharmacy = h.pharmacy(region_code="520100")
    report = eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=date(2026, 3, 2))
    gy_a05 = {str(c.label): c for c in report if c.rule_id == "GY-A05"}
    assert gy_a05["足额配备医保目录内药品"].outcome == FAIL
    assert not gy_a05["足额配备医保目录内药品"].blocks
    assert gy_a05["设置独立的医保药品分区"].outcome == PASS
    assert blocking_conditions(report) == []


def _gy_bureau() -> Organisation:
    return Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="贵阳市医疗保障局", region=region("520100")
    )


@time_machine.travel(date(2026, 3, 2))
def test_gy_a05_the_area_is_verified_on_site_before_the_evaluation_passes() -> None:
    pharmacy = h.pharmacy(region_code="520100")
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    application = services.application_accept(
        application=h.submitted(pharmacy, h.gy(), manager), actor=reviewer
    )
    application = services.application_start_inspection(application=application, actor=reviewer)
    gy_reviewer = member(Role.BUREAU_REVIEWER, organisation=_gy_bureau())
    client = login(Client(), gy_reviewer)
    page = client.get(f"/accreditation/review/{application.pk}/").content.decode()
    assert "独立的医保药品分区及明确的用药标识（GY-A05）" in page
    services.application_record_inspection(
        application=application,
        results=h.all_items(application) | {"insurance_drug_area": False},
        notes="医保药品与非医保药品混放",
        actor=reviewer,
    )
    with pytest.raises(RuleViolation) as excinfo:
        services.application_pass(
            application=application,
            reason="",
            actor=reviewer,
            acknowledged=h.soft_failures(application),
        )
    assert excinfo.value.rule_id == "GY-A05"
    services.application_record_inspection(
        application=application, results=h.all_items(application), notes="", actor=reviewer
    )
    passed = services.application_pass(
        application=application,
        reason="",
        actor=reviewer,
        acknowledged=h.soft_failures(application),
    )
    assert passed.status == ApplicationStatus.PASSED
