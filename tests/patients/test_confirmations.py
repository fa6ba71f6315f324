"""Safe actions (issue 16.3): each decision on a filing, the roster's submission and the
centre's decision on a retained card ask for confirmation first, naming the consequence;
confirmed, they happen and the message says what comes next. No decision is pre-selected."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import OrganisationKind, Role
from patients.models import Filing, FilingStatus, Roster
from patients.services import (
    enrolment_choose_institution,
    filing_assign,
    filing_preliminary_review,
    roster_submit,
)
from tests.factories import member
from tests.factories.patients import (
    bureau,
    clerk,
    enrol,
    hospital,
    lodge,
    org,
    patient,
    pharmacy_org,
)
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db

APRIL = "2027-04-12 10:00 +0800"


def _as(user: Any) -> Client:
    return login(Client(), user)


def _rostered() -> tuple[Filing, Any]:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient())
    hc = clerk(h, username="hosp_clerk")
    filing_preliminary_review(filing=filing, passed=True, reason="", actor=hc, organisation=h)
    roster_submit(hospital=h, actor=hc)
    officer = member(Role.BENEFITS_OFFICER, organisation=bureau(), username="officer")
    expert = member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert")
    filing_assign(filing=filing, expert=expert, actor=officer, organisation=bureau())
    return filing, expert


def _checked_radios(html: str, name: str) -> list[str]:
    return [
        tag
        for tag in re.findall(r"<input[^>]*>", html)
        if f'name="{name}"' in tag and 'type="radio"' in tag and "checked" in tag
    ]


def test_the_experts_decision_is_confirmed_first_and_none_is_preselected() -> None:
    filing, expert = _rostered()
    e = _as(expert)
    page = e.get(f"/tm/filings/{filing.pk}/").content.decode()
    assert 'name="approve"' in page and not _checked_radios(page, "approve")
    url = f"/tm/filings/{filing.pk}/decide/"
    data = {"approve": "0", "reason": "诊断依据不足"}
    # Without a choice: refused with a field error, nothing happens.
    missing = e.post(url, {"reason": "x", "confirmed": "1"}, follow=True).content.decode()
    assert "评审结论：未选择" in missing
    # Without confirmation: the confirmation page names the consequence, nothing happens.
    asked = e.post(url, data).content.decode()
    assert "评审不通过，申报随之终结" in asked and 'name="confirmed" value="1"' in asked
    assert 'value="诊断依据不足"' in asked  # the same data re-posted
    filing.refresh_from_db()
    assert filing.status == FilingStatus.ASSIGNED
    done = e.post(url, {**data, "confirmed": "1"}, follow=True).content.decode()
    filing.refresh_from_db()
    assert filing.status == FilingStatus.REJECTED
    assert "评审决定已记录" in done


def test_preliminary_review_and_roster_submission_are_confirmed_first() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient())
    hosp = _as(clerk(h, username="hosp_clerk"))
    page = hosp.get(f"/tm/filings/{filing.pk}/").content.decode()
    assert not _checked_radios(page, "passed")
    url = f"/tm/filings/{filing.pk}/preliminary/"
    asked = hosp.post(url, {"passed": "1", "reason": ""}).content.decode()
    assert "列入初审名册" in asked
    filing.refresh_from_db()
    assert filing.status == FilingStatus.LODGED
    hosp.post(url, {"passed": "1", "reason": "", "confirmed": "1"})
    filing.refresh_from_db()
    assert filing.status == FilingStatus.PRELIMINARY_PASSED
    asked = hosp.post("/tm/rosters/submit/").content.decode()
    assert "生成名册并报送" in asked and "不能修改或撤回" in asked
    assert not Roster.objects.exists()
    done = hosp.post("/tm/rosters/submit/", {"confirmed": "1"}, follow=True).content.decode()
    assert Roster.objects.count() == 1 and "下一步由待遇保障股分配评审专家" in done


def test_the_centres_decision_on_a_retained_card_is_confirmed_first() -> None:
    h = hospital()
    pharmacy = pharmacy_org("衡阳县康民大药房")
    with time_machine.travel(APRIL, tick=False):
        e = enrol(patient())
        enrolment_choose_institution(enrolment=e, organisation=pharmacy, actor=clerk(h))
    manager = _as(member(Role.PHARMACY_MANAGER, organisation=pharmacy, username="mgr"))
    manager.post(
        "/tm/retained-cards/",
        {
            "resident_id": e.patient.resident_id,
            "reason_category": "immobile",
            "application_text": "本人行动不便",
        },
    )
    retention = e.patient.card_retentions.get()
    centre = org(OrganisationKind.CENTRE, "衡阳县医疗保障事务中心")
    reviewer = _as(member(Role.BUREAU_REVIEWER, organisation=centre, username="rev"))
    url = f"/tm/retained-cards/{retention.pk}/approve/"
    asked = reviewer.post(url).content.decode()
    assert "同意后药店将收到通知" in asked
    retention.refresh_from_db()
    assert retention.status == "applied"
    done = reviewer.post(url, {"confirmed": "1"}, follow=True).content.decode()
    retention.refresh_from_db()
    assert retention.status == "approved" and "药店可登记留存社保卡" in done
