"""Batch actions on the filings list (issue 16.3): the hospital's preliminary review (HY-F01),
assigning an expert and the expert's uniform approval (HY-G04), each ticked filing through the
same service as on its own page, confirmed first (how many, which, the consequence), all or
nothing (a refused row is named with its number and rule ID and nothing changes), the ids
re-read through the list's scope (another organisation's filing: 404, nothing changes)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import Role
from patients.models import Enrolment, Filing, FilingStatus
from patients.services import filing_preliminary_review, roster_submit
from tests.factories import member
from tests.factories.patients import bureau, clerk, hospital, lodge, patient, township_window
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
APRIL = "2027-04-12 10:00 +0800"
URL = "/tm/batch/"


def _as(user: Any) -> Client:
    return login(Client(), user)


def _lodged(n: int = 2) -> list[Filing]:
    with time_machine.travel(APRIL, tick=False):
        return [lodge(patient(i + 1, name=f"患者{i + 1}")) for i in range(n)]


def _status(filing: Filing) -> str:
    return Filing.objects.get(pk=filing.pk).status


def test_hy_f01_batch_preliminary_review_is_confirmed_then_done_for_every_row() -> None:
    a, b = _lodged()
    c = _as(clerk(hospital(), username="hosp_clerk"))
    page = c.get("/tm/").content.decode()
    assert 'data-testid="batch-bar"' in page
    assert f'name="ids" value="{a.pk}"' in page and f'name="ids" value="{b.pk}"' in page
    radios = re.findall(r'<input type="radio" name="preliminary-passed"[^>]*>', page)
    assert radios and not any("checked" in r for r in radios)

    data = {"batch": "preliminary", "ids": [a.pk, b.pk], "preliminary-passed": "1"}
    asked = c.post(URL, data).content.decode()
    assert 'data-testid="confirm"' in asked and "2 项" in asked
    assert a.number in asked and b.number in asked and "列入初审名册" in asked
    assert _status(a) == _status(b) == FilingStatus.LODGED

    done = c.post(URL, {**data, "confirmed": "1"}, follow=True).content.decode()
    assert "已初审通过 2 项申报" in done and "生成名册并报送医保局" in done
    assert _status(a) == _status(b) == FilingStatus.PRELIMINARY_PASSED


def test_hy_f01_a_refused_row_rolls_every_row_back_and_is_named_with_its_rule() -> None:
    a, b = _lodged()
    # b is lodged at this hospital's window but another hospital reviews it (HY-F01).
    Filing.objects.filter(pk=b.pk).update(reviewing_hospital=hospital("衡南县人民医院"))
    c = _as(clerk(hospital(), username="hosp_clerk"))
    data = {"batch": "preliminary", "ids": [a.pk, b.pk], "preliminary-passed": "1"}
    done = c.post(URL, {**data, "confirmed": "1"}, follow=True).content.decode()
    assert f"第 2 项（{b.number}）未能办理：[HY-F01]" in done
    assert "全部 2 项均未办理" in done
    assert _status(a) == _status(b) == FilingStatus.LODGED


def test_batch_without_a_decision_or_a_tick_changes_nothing() -> None:
    (a,) = _lodged(1)
    c = _as(clerk(hospital(), username="hosp_clerk"))
    missing = c.post(URL, {"batch": "preliminary", "ids": [a.pk], "confirmed": "1"}, follow=True)
    assert "未选择：请选择一项" in missing.content.decode()
    none = c.post(URL, {"batch": "preliminary", "preliminary-passed": "1"}, follow=True)
    assert "未勾选任何记录" in none.content.decode()
    assert _status(a) == FilingStatus.LODGED


def test_another_organisations_filing_is_a_404_and_nothing_changes() -> None:
    (a,) = _lodged(1)
    own_clerk = clerk(township_window(), username="other_clerk")
    with time_machine.travel(APRIL, tick=False):
        own = lodge(patient(9, name="患者9"), at=township_window(), by=own_clerk)
    c = _as(own_clerk)
    for ids in ([a.pk], [own.pk, a.pk]):
        data = {"batch": "preliminary", "ids": ids, "preliminary-passed": "1", "confirmed": "1"}
        assert c.post(URL, data).status_code == 404
    assert _status(a) == FilingStatus.LODGED
    # A role without the action: refused (403), nothing changes.
    expert = _as(member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert"))
    data = {"batch": "preliminary", "ids": [a.pk], "preliminary-passed": "1", "confirmed": "1"}
    assert expert.post(URL, data).status_code == 403
    assert _status(a) == FilingStatus.LODGED


def test_hy_g04_batch_assign_then_the_expert_approves_them_all_from_one_date() -> None:
    a, b = _lodged()
    h = hospital()
    hc = clerk(h, username="hosp_clerk")
    for f in (a, b):
        filing_preliminary_review(filing=f, passed=True, reason="", actor=hc, organisation=h)
    roster_submit(hospital=h, actor=hc)
    officer = _as(member(Role.BENEFITS_OFFICER, organisation=bureau(), username="officer"))
    expert_user = member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert")
    data = {"batch": "assign", "ids": [a.pk, b.pk], "assign-expert": expert_user.pk}
    asked = officer.post(URL, data).content.decode()
    assert "将收到每项申报的评审通知" in asked and "2 项" in asked
    done = officer.post(URL, {**data, "confirmed": "1"}, follow=True).content.decode()
    assert "已将 2 项申报分配给" in done
    assert _status(a) == _status(b) == FilingStatus.ASSIGNED

    expert = _as(expert_user)
    page = expert.get("/tm/").content.decode()
    assert 'data-testid="batch-approve"' in page
    data = {"batch": "approve", "ids": [a.pk, b.pk], "approve-starts_on": "2027-05-01"}
    asked = expert.post(URL, data).content.decode()
    assert "自 2027-05-01 起享受待遇" in asked
    assert _status(a) == FilingStatus.ASSIGNED
    done = expert.post(URL, {**data, "confirmed": "1"}, follow=True).content.decode()
    assert "已评审通过 2 项申报" in done
    assert _status(a) == _status(b) == FilingStatus.APPROVED
    assert Enrolment.objects.filter(filing__in=[a, b]).count() == 2
