"""HY-C03 / GY-B01: the reviewer passes an evaluation whose soft conditions fail only by
acknowledging each failing condition, by its rule ID; the event row records it. A failing hard
condition is never passed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from accreditation import services
from accreditation.models import Application, ApplicationStatus
from core.errors import RuleViolation
from pharmacies.models import StaffMember
from tests.factories import accreditation as h
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _inspected(pharmacy_kwargs: dict[str, Any] | None = None) -> tuple[Application, User]:
    pharmacy = h.pharmacy(**(pharmacy_kwargs or {}))
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    application = h.submitted(pharmacy, h.hy(), manager)
    application = services.application_accept(application=application, actor=reviewer)
    application = services.application_start_inspection(application=application, actor=reviewer)
    services.application_record_inspection(
        application=application, results=h.all_items(application), notes="", actor=reviewer
    )
    return application, reviewer


@time_machine.travel(date(2026, 3, 2))
def test_hy_c03_pass_with_failing_soft_conditions_needs_each_one_acknowledged() -> None:
    # Given: no quality-system document declared (HY-A03) and an empty stock ledger (HY-A09,
    # HY-E04): three soft conditions fail.
    application, reviewer = _inspected({"quality_system": False})
    assert h.soft_failures(application) == ["HY-A03", "HY-A09", "HY-E04"]
    # When the reviewer passes acknowledging none, or only some: refused, naming what is left.
    with pytest.raises(RuleViolation) as none:
        services.application_pass(application=application, reason="", actor=reviewer)
    assert none.value.rule_id == "HY-A03" and none.value.field == "acknowledged"
    with pytest.raises(RuleViolation) as some:
        services.application_pass(
            application=application, reason="", actor=reviewer, acknowledged=["HY-A03", "HY-A09"]
        )
    assert some.value.rule_id == "HY-E04" and "HY-E04" in str(some.value)
    assert "HY-A09" not in str(some.value)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.INSPECTION
    # Then acknowledging every one passes, and the event row keeps what was acknowledged.
    application = services.application_pass(
        application=application,
        reason="备药待首批采购后复核",
        actor=reviewer,
        acknowledged=["HY-A03", "HY-A09", "HY-E04"],
    )
    assert application.status == ApplicationStatus.PASSED
    event = application.events.last()
    assert event is not None and event.new_status == "passed"
    assert [a["rule_id"] for a in event.acknowledged] == ["HY-A03", "HY-A09", "HY-E04"]
    assert "已确认不符合的条件" in event.reason and "HY-E04" in event.reason
    assert event.reason.startswith("备药待首批采购后复核")


@time_machine.travel(date(2026, 3, 2))
def test_hy_c03_a_failing_hard_condition_cannot_be_acknowledged_away() -> None:
    application, reviewer = _inspected()
    # A licensed pharmacist left after submission: HY-A05 (hard) now fails.
    gone = StaffMember.objects.filter(pharmacy=application.pharmacy, licensed_pharmacist=True)
    gone.update(left_on=date(2026, 3, 1))
    with pytest.raises(RuleViolation) as excinfo:
        services.application_pass(
            application=application,
            reason="",
            actor=reviewer,
            acknowledged=[*h.soft_failures(application), "HY-A05"],
        )
    assert excinfo.value.rule_id == "HY-A05"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.INSPECTION
    # Two hard conditions failing: the refusal names the first of the report (HY-A02)
    application.pharmacy.administrative_penalty = True
    application.pharmacy.save()
    with pytest.raises(RuleViolation) as excinfo:
        services.application_pass(
            application=application,
            reason="",
            actor=reviewer,
            acknowledged=[*h.soft_failures(application), "HY-A02", "HY-A05"],
        )
    assert excinfo.value.rule_id == "HY-A02" and "行政处罚：是" in str(excinfo.value)


@time_machine.travel(date(2026, 3, 2))
def test_hy_c03_pass_page_offers_one_checkbox_per_failing_soft_condition() -> None:
    application, reviewer = _inspected({"quality_system": False})
    client = login(Client(), reviewer)
    url = f"/accreditation/review/{application.pk}/"
    page = client.get(url).content.decode()
    for rule in ("HY-A03", "HY-A09", "HY-E04"):
        assert f'name="acknowledged" value="{rule}"' in page
    assert 'value="HY-A05"' not in page  # a passing (hard) condition has no checkbox
    action = f"/accreditation/applications/{application.pk}/do/pass/"
    refused = client.post(
        action, {"confirmed": "1", "note": "", "acknowledged": ["HY-A03"]}, follow=True
    )
    assert "[HY-A09]" in refused.content.decode() and "逐项勾选确认" in refused.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.INSPECTION
    client.post(
        action, {"confirmed": "1", "note": "", "acknowledged": ["HY-A03", "HY-A09", "HY-E04"]}
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PASSED
    timeline = client.get(url).content.decode()
    assert "已确认不符合的条件" in timeline


@time_machine.travel(date(2026, 3, 2))
def test_hy_c03_pass_over_the_api_needs_the_acknowledgements() -> None:
    application, reviewer = _inspected()
    client = login(Client(), reviewer)
    url = f"/api/v1/applications/{application.pk}/pass/"
    refused = client.post(url, {"confirmed": "1", "note": "x"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["rule"] == "HY-A09" and refused.json()["field"] == "acknowledged"
    ok = client.post(
        url,
        {"confirmed": "1", "note": "x", "acknowledged": h.soft_failures(application)},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "passed"
    detail = client.get(f"/api/v1/applications/{application.pk}/").json()
    assert [a["rule_id"] for a in detail["events"][-1]["acknowledged"]] == ["HY-A09", "HY-E04"]
    # an outsider (another region's reviewer... or a pharmacy) cannot pass it: 404
    other = h.manager_of(h.pharmacy())
    assert (
        login(Client(), other)
        .post(
            url,
            {
                "confirmed": "1",
            },
        )
        .status_code
        == 404
    )
