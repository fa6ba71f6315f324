"""Findings: raised once per dedupe key, reviewed through the transition table, scoped."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import Role, User
from core.errors import TransitionNotAllowed
from core.models import Notification
from supervision.models import Finding, FindingKind, FindingPriority, FindingStatus
from supervision.services import finding_raise, finding_transition
from tests.factories.sessions import login


def raise_one(org: Any, key: str = "k1") -> tuple[Finding, bool]:
    return finding_raise(
        rule_id="HY-E06",
        organisation=org,
        kind=FindingKind.STOCK_IMBALANCE,
        priority=FindingPriority.PRIORITY_INSPECTION,
        summary="衡阳县康民大药房 进销存不平衡",
        dedupe_key=key,
        details={"lines": []},
    )


@pytest.fixture
def pharmacy_org(personas: dict[str, User]) -> Any:
    return personas[Role.PHARMACY_MANAGER].memberships.get().organisation


@pytest.mark.django_db
def test_a_scan_raises_a_finding_once_and_reviewers_are_notified(
    pharmacy_org: Any, personas: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        finding, created = raise_one(pharmacy_org)
        again, created_again = raise_one(pharmacy_org)
    assert created and not created_again and again.pk == finding.pk
    assert Finding.objects.count() == 1
    assert [e.new_status for e in finding.events.all()] == [FindingStatus.OPEN]
    reviewer = personas[Role.BUREAU_REVIEWER]
    assert Notification.objects.filter(recipient=reviewer, rule_id="HY-E06").count() == 1
    assert not Notification.objects.filter(recipient=personas[Role.PHARMACIST]).exists()


@pytest.mark.django_db
def test_finding_transitions_allowed_and_refused(
    pharmacy_org: Any, personas: dict[str, User]
) -> None:
    reviewer = personas[Role.BUREAU_REVIEWER]
    finding, _ = raise_one(pharmacy_org)
    finding = finding_transition(finding=finding, to=FindingStatus.IN_REVIEW, actor=reviewer)
    finding = finding_transition(
        finding=finding, to=FindingStatus.CLOSED, actor=reviewer, reason="已现场核查"
    )
    with pytest.raises(TransitionNotAllowed):
        finding_transition(finding=finding, to=FindingStatus.OPEN, actor=reviewer)
    assert [(e.old_status, e.new_status) for e in finding.events.all()] == [
        ("", "open"),
        ("open", "in_review"),
        ("in_review", "closed"),
    ]


@pytest.mark.django_db
def test_bureau_page_lists_the_regions_findings_and_moves_them(
    client: Client, pharmacy_org: Any, personas: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    finding, _ = raise_one(pharmacy_org)
    login(client, personas[Role.BUREAU_REVIEWER])
    with django_assert_max_num_queries(12):
        page = client.get("/supervision/findings/").content.decode()
    assert "进销存不平衡" in page and "重点核查" in page
    detail = client.get(f"/supervision/findings/{finding.pk}/")
    assert detail.status_code == 200
    client.post(
        f"/supervision/findings/{finding.pk}/move/",
        {"confirmed": "1", "to": "in_review", "reason": "核查"},
    )
    finding.refresh_from_db()
    assert finding.status == FindingStatus.IN_REVIEW


@pytest.mark.django_db
def test_outsider_bureau_and_pharmacies_get_404_on_findings(
    client: Client,
    pharmacy_org: Any,
    personas: dict[str, User],
    outsider_bureau_admin: User,
) -> None:
    finding, _ = raise_one(pharmacy_org)
    login(client, outsider_bureau_admin)
    assert "进销存不平衡" not in client.get("/supervision/findings/").content.decode()
    assert client.get(f"/supervision/findings/{finding.pk}/").status_code == 404
    pharmacy_client = login(Client(), personas[Role.PHARMACY_MANAGER])
    assert pharmacy_client.get("/supervision/findings/").status_code == 404
    assert pharmacy_client.get(f"/supervision/findings/{finding.pk}/").status_code == 404
    assert (
        pharmacy_client.post(
            f"/supervision/findings/{finding.pk}/move/", {"confirmed": "1", "to": "closed"}
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_findings_api_is_scoped_to_the_region(
    client: Client,
    pharmacy_org: Any,
    personas: dict[str, User],
    outsider_bureau_admin: User,
    django_assert_max_num_queries: Any,
) -> None:
    finding, _ = raise_one(pharmacy_org)
    login(client, personas[Role.BUREAU_REVIEWER])
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/findings/").json()["count"] == 1
    outsider = login(Client(), outsider_bureau_admin)
    assert outsider.get("/api/v1/findings/").json()["count"] == 0
    assert outsider.get(f"/api/v1/findings/{finding.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_move_the_table_refuses_or_an_unknown_status_is_shown_on_the_page(
    client: Client, pharmacy_org: Any, personas: dict[str, User]
) -> None:
    finding, _ = raise_one(pharmacy_org)
    login(client, personas[Role.BUREAU_REVIEWER])
    url = f"/supervision/findings/{finding.pk}/move/"
    unknown = client.post(url, {"confirmed": "1", "to": "lost", "reason": "x"})
    assert unknown.status_code == 200 and "变更为：" in unknown.content.decode()
    closed = client.post(
        url, {"confirmed": "1", "to": "closed", "reason": "已核查"}, follow=True
    ).content.decode()
    assert "线索已办结" in closed
    refused = client.post(url, {"confirmed": "1", "to": "in_review"})
    assert refused.status_code == 200 and "不能转为" in refused.content.decode()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    assert finding.events.order_by("-pk")[0].rule_id == "HY-E06"


@pytest.mark.django_db
def test_closing_a_finding_is_confirmed_first(
    client: Client, pharmacy_org: Any, personas: dict[str, User]
) -> None:
    """Issue 16.3: 办结 is final; the page names that before it happens."""
    finding, _ = raise_one(pharmacy_org)
    login(client, personas[Role.BUREAU_REVIEWER])
    url = f"/supervision/findings/{finding.pk}/move/"
    asked = client.post(url, {"to": "closed", "reason": "已核实"}).content.decode()
    assert "办结后线索不能重新打开" in asked and 'value="已核实"' in asked
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    done = client.post(url, {"to": "closed", "reason": "已核实", "confirmed": "1"}, follow=True)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    assert "线索已办结" in done.content.decode()
