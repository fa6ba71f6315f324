"""Safe actions on inspection cases (issue 16.3): no outcome, decision or penalty kind is
pre-selected; concluding a case (a violation decision included) and recording a recovery or a
penalty are confirmed first, naming the consequence (nothing changes before), and the message
after says what happened and what comes next."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accreditation.models import ViolationDecision
from supervision.case_models import CaseStatus, InspectionCase
from supervision.case_services import case_assign, case_schedule
from tests.factories.accounts import member
from tests.factories.prescriptions import world
from tests.factories.sessions import login
from tests.factories.supervision import bureau_reviewer, case_on

pytestmark = pytest.mark.django_db
JUNE = "2027-06-10 10:00 +0800"


def _scheduled() -> tuple[InspectionCase, Client]:
    owner = bureau_reviewer()
    case = case_on(world(), owner)
    case_assign(case=case, inspector=owner, actor=owner)
    case_schedule(case=case, planned_on=date(2027, 6, 15), actor=owner)
    return case, login(Client(), owner)


def _url(case: InspectionCase, action: str) -> str:
    return reverse("supervision:case_action", args=[case.pk, action])


def test_conclude_and_penalty_choices_are_not_preselected() -> None:
    case, client = _scheduled()
    page = client.get(reverse("supervision:case", args=[case.pk])).content.decode()
    for name in ("outcome", "decision", "kind"):
        inputs = re.findall(rf'<input type="radio" name="{name}"[^>]*>', page)
        assert inputs, name
        assert not any("checked" in i for i in inputs), name
    assert '<select name="outcome"' not in page and '<select name="decision"' not in page


def test_conclude_without_an_outcome_is_refused_on_the_field() -> None:
    case, client = _scheduled()
    response = client.post(
        _url(case, "conclude"), {"conclusion": "现场检查", "rule_id": "HY-E10"}, follow=True
    )
    assert "未选择：请选择一项" in response.content.decode()
    assert InspectionCase.objects.get(pk=case.pk).status == CaseStatus.SCHEDULED


@time_machine.travel(JUNE, tick=False)
def test_hy_e10_a_violation_decision_is_confirmed_first_then_concluded_with_the_next_step() -> None:
    case, client = _scheduled()
    data = {
        "outcome": "violation",
        "conclusion": "追溯码重复销售",
        "decision": ViolationDecision.REFUSE_PAYMENT,
        "rule_id": "HY-E10",
        "refused_amount": "5.55",
    }
    asked = client.post(_url(case, "conclude"), data)
    body = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="confirm"' in body
    assert case.number in body and "记入药店定点资格的违规记录" in body
    case.refresh_from_db()
    assert case.status == CaseStatus.SCHEDULED and case.violation is None

    done = client.post(_url(case, "conclude"), {**data, "confirmed": "1"}, follow=True)
    assert "案件已办结，所涉核查线索已随之关闭" in done.content.decode()
    assert "请在本页“基金追回”“行政处罚”中登记" in done.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.CONCLUDED and case.violation is not None


@time_machine.travel(JUNE, tick=False)
def test_recovery_and_penalty_are_confirmed_first_and_nothing_is_recorded_before() -> None:
    case, client = _scheduled()
    asked = client.post(
        _url(case, "recovery"), {"dispensings": "X1", "amount": "1.30", "reason": "虚假结算"}
    )
    assert "追回金额 1.30 元将在当月统筹基金结算单中扣减" in asked.content.decode()
    penalty = {"kind": "fine", "amount": "500.00", "basis": "行政处罚", "decided_on": "2027-06-10"}
    asked = client.post(_url(case, "penalty"), penalty)
    assert "行政处罚（罚款）记入本案件和药店的违规记录" in asked.content.decode()
    assert not case.penalties.exists()
    done = client.post(_url(case, "penalty"), {**penalty, "confirmed": "1"}, follow=True)
    assert "请将处罚决定书送达药店" in done.content.decode()
    assert case.penalties.count() == 1


def test_an_outsider_gets_404_before_any_confirmation() -> None:
    case, _client = _scheduled()
    from accounts.models import Organisation, OrganisationKind
    from tests.factories.accounts import region

    bureau, _ = Organisation.objects.get_or_create(
        kind=OrganisationKind.CENTRE, name="贵阳市医疗保障事务中心", region=region("520100")
    )
    outsider = login(Client(), member(Role.BUREAU_REVIEWER, organisation=bureau))
    data = {"outcome": "no_issue", "conclusion": "x", "rule_id": "HY-E10"}
    assert outsider.post(_url(case, "conclude"), data).status_code == 404
    assert InspectionCase.objects.get(pk=case.pk).status == CaseStatus.SCHEDULED
