"""HY-A06/A07, HY-E05, GY-A01: the evidence behind the declared systems is uploaded with the
application (private, scoped download) and each document is checked at the on-site inspection."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client

from accounts.models import Organisation, OrganisationKind, Role, User
from accreditation import services
from accreditation.checklists import uploadable_kinds
from accreditation.models import Application, ApplicationDocument, ApplicationStatus
from core.errors import RuleViolation
from tests.factories import accreditation as h
from tests.factories import member, region
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _inspecting(programme_code: str = "HY-TM") -> tuple[Application, User]:
    gy = programme_code == "GY-PT"
    pharmacy = h.pharmacy(region_code="520100" if gy else "430421")
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    application = h.submitted(pharmacy, h.gy() if gy else h.hy(), manager)
    application = services.application_accept(application=application, actor=reviewer)
    return services.application_start_inspection(application=application, actor=reviewer), reviewer


def _pass(application: Application, reviewer: User) -> Application:
    return services.application_pass(
        application=application,
        reason="",
        actor=reviewer,
        acknowledged=h.soft_failures(application),
    )


@time_machine.travel(date(2026, 3, 2))
def test_hy_a06_the_interface_acceptance_letter_is_required_to_submit() -> None:
    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    application = services.application_create(pharmacy=pharmacy, programme=h.hy(), actor=manager)
    assert {"interface_acceptance", "monitoring_contract", "video_retention"} <= set(
        uploadable_kinds("HY-TM")
    )
    for kind in uploadable_kinds("HY-TM"):
        if kind != "interface_acceptance":
            services.application_document_upload(
                application=application, kind=kind, upload=h.pdf(), actor=manager
            )
    services.application_set_pledges(
        application=application, truthful=True, security=True, actor=manager
    )
    with pytest.raises(RuleViolation) as excinfo:
        services.application_submit(application=application, actor=manager)
    assert excinfo.value.rule_id == "HY-A06" and "接口验收函" in str(excinfo.value)
    services.application_document_upload(
        application=application, kind="interface_acceptance", upload=h.pdf(), actor=manager
    )
    submitted = services.application_submit(application=application, actor=manager)
    assert submitted.status == ApplicationStatus.SUBMITTED


@time_machine.travel(date(2026, 3, 2))
def test_hy_a07_evidence_downloads_only_for_the_pharmacy_and_its_region_reviewer() -> None:
    application, reviewer = _inspecting()
    contract = application.documents.get(kind="monitoring_contract")
    url = f"/accreditation/documents/{contract.pk}/"
    assert not contract.file.url.startswith("/static/")
    response = login(Client(), reviewer).get(url)
    assert response.status_code == 200 and response.content == h.PDF
    own = login(Client(), User.objects.get(pk=application.created_by_id))
    assert own.get(url).status_code == 200
    outsider = h.manager_of(h.pharmacy())
    assert login(Client(), outsider).get(url).status_code == 404
    gy_bureau = Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="贵阳市医疗保障局", region=region("520100")
    )
    gy_reviewer = member(Role.BUREAU_REVIEWER, organisation=gy_bureau)
    assert login(Client(), gy_reviewer).get(url).status_code == 404
    # The reviewer's inspection page lists each evidence document with its rule ID.
    page = login(Client(), reviewer).get(f"/accreditation/review/{application.pk}/")
    html = page.content.decode()
    assert 'data-testid="evidence"' in html and url in html
    for rule in ("HY-A06", "HY-A07", "HY-E05"):
        assert f"<code>{rule}</code>" in html


@time_machine.travel(date(2026, 3, 2))
def test_hy_e05_a_failed_verdict_on_the_retention_settings_fails_the_inspection() -> None:
    application, reviewer = _inspecting()
    services.application_record_inspection(
        application=application,
        results=h.all_items(application) | {"evidence_video_retention": False},
        notes="录像仅保存90天",
        actor=reviewer,
    )
    with pytest.raises(RuleViolation) as excinfo:
        _pass(application, reviewer)
    assert excinfo.value.rule_id == "HY-E05" and "录像保存设置" in str(excinfo.value)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.INSPECTION
    services.application_record_inspection(
        application=application, results=h.all_items(application), notes="", actor=reviewer
    )
    assert _pass(application, reviewer).status == ApplicationStatus.PASSED


@time_machine.travel(date(2026, 3, 2))
def test_hy_a07_missing_evidence_fails_the_inspection_even_with_a_verdict() -> None:
    # An application lodged before the evidence was on the checklist has no contract.
    application, reviewer = _inspecting()
    ApplicationDocument.objects.filter(application=application, kind="monitoring_contract").delete()
    services.application_record_inspection(
        application=application, results=h.all_items(application), notes="", actor=reviewer
    )
    with pytest.raises(RuleViolation) as excinfo:
        _pass(application, reviewer)
    assert excinfo.value.rule_id == "HY-A07" and excinfo.value.field == "monitoring_contract"


@time_machine.travel(date(2026, 3, 2))
def test_gy_a01_the_interface_acceptance_letter_is_checked_on_site() -> None:
    application, reviewer = _inspecting("GY-PT")
    services.application_record_inspection(
        application=application,
        results=h.all_items(application) | {"evidence_interface_acceptance": False},
        notes="",
        actor=reviewer,
    )
    with pytest.raises(RuleViolation) as excinfo:
        _pass(application, reviewer)
    assert excinfo.value.rule_id == "GY-A01"
    services.application_record_inspection(
        application=application, results=h.all_items(application), notes="", actor=reviewer
    )
    assert _pass(application, reviewer).status == ApplicationStatus.PASSED
