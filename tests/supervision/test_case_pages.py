"""Inspection case pages: the assigned inspector edits, an unassigned colleague of the bureau
reads but is refused (403), another region's bureau and a pharmacy get 404; the finding page
opens a case and links to it, the case page links back and to its decision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, OrganisationKind, Role, User
from accreditation.models import Designation, ViolationDecision
from supervision.case_models import CaseStatus, InspectionCase
from supervision.case_services import case_assign
from tests.factories.accounts import member, region
from tests.factories.accreditation import hy, pdf
from tests.factories.prescriptions import world
from tests.factories.sessions import login
from tests.factories.supervision import bureau_reviewer, case_on, finding_about, sale

pytestmark = pytest.mark.django_db
JUNE = "2027-06-10 10:00 +0800"


def _outsider() -> User:
    bureau, _ = Organisation.objects.get_or_create(
        kind=OrganisationKind.CENTRE, name="贵阳市医疗保障事务中心", region=region("520100")
    )
    return member(Role.BUREAU_REVIEWER, organisation=bureau)


def test_inspector_edits_colleague_reads_but_is_refused_outsiders_get_404() -> None:
    w = world()
    owner = bureau_reviewer()
    case = case_on(w, owner)
    inspector = member(Role.BUREAU_ADMIN)
    case_assign(case=case, inspector=inspector, actor=owner)
    colleague = member(Role.BUREAU_REVIEWER)
    page = reverse("supervision:case", args=[case.pk])
    schedule = reverse("supervision:case_action", args=[case.pk, "schedule"])

    as_colleague = login(Client(), colleague)
    assert as_colleague.get(page).status_code == 200
    assert as_colleague.post(schedule, {"planned_on": "2027-06-20"}).status_code == 403
    assert InspectionCase.objects.get(pk=case.pk).status == CaseStatus.OPEN

    as_inspector = login(Client(), inspector)
    assert f'<option value="{colleague.pk}">' in as_inspector.get(page).content.decode()
    response = as_inspector.post(schedule, {"planned_on": "2027-06-20"})
    assert response.status_code == 302
    assert InspectionCase.objects.get(pk=case.pk).planned_on == date(2027, 6, 20)
    upload = reverse("supervision:case_action", args=[case.pk, "evidence"])
    as_inspector.post(upload, {"file": pdf("现场.pdf"), "note": "收银台"})
    evidence = case.evidence.get()
    download = reverse("supervision:evidence", args=[case.pk, evidence.pk])
    assert as_colleague.get(download).status_code == 200

    manager = member(Role.PHARMACY_MANAGER, organisation=w.pharmacy.organisation)
    for outsider in (_outsider(), manager):
        client = login(Client(), outsider)
        assert client.get(page).status_code == 404
        assert client.post(schedule, {"planned_on": "2027-06-21"}).status_code == 404
        assert client.get(download).status_code == 404
    assert login(Client(), _outsider()).get(reverse("supervision:cases")).status_code == 200


def test_case_flow_through_the_pages_from_a_finding_to_a_refusal_on_the_statement() -> None:
    w = world()
    reviewer = bureau_reviewer()
    finding = finding_about(w)
    with time_machine.travel(JUNE, tick=False):
        client = login(Client(), reviewer)
        d = sale(w, 2)
        detail = client.get(reverse("supervision:detail", args=[finding.pk]))
        assert "立案核查" in detail.content.decode()
        response = client.post(
            reverse("supervision:case_open", args=[finding.pk]), {"programme": w.hy.pk}
        )
        case = InspectionCase.objects.get()
        assert response["Location"] == reverse("supervision:case", args=[case.pk])

        def act(action: str, data: dict[str, object]) -> None:
            # confirmed=1: the confirmation step is tested in test_case_confirmations.py
            url = reverse("supervision:case_action", args=[case.pk, action])
            client.post(url, {**data, "confirmed": "1"})

        act("assign", {"inspector": reviewer.pk})
        act("schedule", {"planned_on": "2027-06-15"})
        act("checks", {"result_traceability": "issue", "note_traceability": "追溯码重复"})
        conclusion = {
            "outcome": "violation",
            "conclusion": "追溯码重复销售",
            "decision": ViolationDecision.REFUSE_PAYMENT,
            "rule_id": "GY-E02",
            "refused_amount": "5.55",
        }
        # Concluding is irreversible: a confirmation page names the consequence first.
        asked = client.post(
            reverse("supervision:case_action", args=[case.pk, "conclude"]), conclusion
        )
        assert asked.status_code == 200 and "结算单中扣减" in asked.content.decode()
        assert InspectionCase.objects.get().status != CaseStatus.CONCLUDED
        act("conclude", {**conclusion, "confirmed": "1"})
        act("recovery", {"dispensings": d.number, "amount": "1.30", "reason": "虚假结算"})
        act(
            "penalty",
            {"kind": "fine", "amount": "500.00", "basis": "行政处罚", "decided_on": "2027-06-10"},
        )
        case.refresh_from_db()
    client = login(Client(), reviewer)
    assert case.status == CaseStatus.CONCLUDED and case.violation is not None
    assert case.violation.refused_amount == Decimal("5.55")
    assert case.violation.recoveries.get().amount == Decimal("1.30")
    assert case.penalties.get().amount == Decimal("500.00")
    page = client.get(reverse("supervision:case", args=[case.pk])).content.decode()
    assert reverse("supervision:detail", args=[finding.pk]) in page
    assert "5.55" in page and d.number in page
    finding_page = client.get(reverse("supervision:detail", args=[finding.pk])).content.decode()
    assert reverse("supervision:case", args=[case.pk]) in finding_page
    designation = Designation.objects.get(pharmacy=w.pharmacy, programme=hy())
    designation_page = client.get(
        reverse("accreditation:designation_detail", args=[designation.pk])
    ).content.decode()
    assert reverse("supervision:case", args=[case.pk]) in designation_page
    statement = client.get(reverse("prescriptions:statement") + "?month=2027-06").content.decode()
    assert "5.55" in statement and "1.30" in statement and "追溯码重复销售" in statement


def test_a_draw_through_its_page_shows_the_seed_and_checks_itself() -> None:
    w = world()
    reviewer = bureau_reviewer()
    with time_machine.travel(JUNE, tick=False):
        client = login(Client(), reviewer)
        response = client.post(
            reverse("supervision:draw_new"), {"programme": w.hy.pk, "size": 1, "seed": 42}
        )
        page = client.get(response["Location"]).content.decode()
    assert "42" in page and "结果一致" in page
    assert login(Client(), _outsider()).get(response["Location"]).status_code == 404
