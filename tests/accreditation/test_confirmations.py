"""Safe actions (issue 16.3): an irreversible or outward-facing action of the designation
workflow asks for confirmation first (core.actions.confirm_page), naming its consequence with
the deadline taken from the programme's parameters; confirmed, it happens and the message says
what comes next. The API has no confirmation step. No decision is pre-selected."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from accreditation import services
from accreditation.actions import APPLICATION_ACTIONS, DESIGNATION_ACTIONS
from accreditation.models import ApplicationStatus, Designation, DesignationStatus
from programmes.models import Programme
from tests.factories import accreditation as h
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    return login(Client(), user)


def test_the_irreversible_actions_name_their_consequence() -> None:
    asked = {n for n, a in APPLICATION_ACTIONS.items() if a.consequence is not None}
    assert {"submit", "accept", "pass", "fail", "feedback", "sign"} <= asked
    assert all(a.consequence is not None for a in DESIGNATION_ACTIONS.values())


@time_machine.travel(date(2026, 3, 2))
def test_failing_an_evaluation_is_confirmed_first_with_the_feedback_deadline_parameter() -> None:
    Programme.objects.filter(code="HY-TM").update(feedback_working_days=7)  # HY-C04 as data
    pharmacy = h.pharmacy()
    reviewer = h.reviewer()
    application = services.application_accept(
        application=h.submitted(pharmacy, h.hy(), h.manager_of(pharmacy)), actor=reviewer
    )
    client = _client(reviewer)
    url = f"/accreditation/applications/{application.pk}/do/fail/"
    asked = client.post(url, {"note": "执业药师未在岗"})
    body = asked.content.decode()
    assert asked.status_code == 200
    assert "评估不合格后将出具反馈意见书，7个工作日内送达药店" in body
    assert 'value="执业药师未在岗"' in body and 'name="confirmed" value="1"' in body
    assert f'href="/accreditation/applications/{application.pk}/"' in body  # the way back
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    done = client.post(url, {"note": "执业药师未在岗", "confirmed": "1"}, follow=True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.FAILED
    assert "请在反馈截止日前发出评估结果反馈函" in done.content.decode()


@time_machine.travel(date(2026, 3, 2))
def test_signing_the_agreement_is_confirmed_first() -> None:
    pharmacy = h.pharmacy()
    reviewer = h.reviewer()
    Programme.objects.filter(code="HY-TM").update(notice_working_days=None)  # no notice period
    application = h.passed(pharmacy, h.hy(), h.manager_of(pharmacy), reviewer)
    client = _client(reviewer)
    url = f"/accreditation/applications/{application.pk}/do/sign/"
    body = client.post(url).content.decode()
    assert "签订后定点资格即日生效" in body
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PASSED
    done = client.post(url, {"confirmed": "1"}, follow=True).content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SIGNED
    assert "定点服务协议已签订" in done


@time_machine.travel(date(2026, 3, 2))
def test_the_assessment_has_no_preselected_result_and_is_confirmed_first() -> None:
    pharmacy = h.pharmacy()
    reviewer = h.reviewer()
    designation = Designation.objects.create(
        pharmacy=pharmacy, programme=h.hy(), starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31)
    )
    client = _client(reviewer)
    page = client.get(f"/accreditation/designations/{designation.pk}/").content.decode()
    radios = [t for t in re.findall(r"<input[^>]*>", page) if 'type="radio"' in t]
    assert radios and not [t for t in radios if "checked" in t]
    url = f"/accreditation/designations/{designation.pk}/assess/"
    missing = client.post(url, {"notes": "x", "confirmed": "1"}).content.decode()
    assert "考核结果：未选择" in missing
    data = {"result": "failed", "notes": "药师不在岗", "rectification_until": "2026-03-30"}
    asked = client.post(url, data).content.decode()
    assert "定点资格，其状态随之更新" in asked
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.ACTIVE
    client.post(url, {**data, "confirmed": "1"})
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.RECTIFICATION
