"""One action table for the pages and the API (accreditation.actions): the same routes, the same
permission rule (side and states), every form validated with its errors shown, and a success
message that says what comes next."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accreditation import services
from accreditation.actions import APPLICATION_ACTIONS, DESIGNATION_ACTIONS
from accreditation.models import ApplicationStatus, Designation, DesignationStatus
from core.errors import DomainError
from tests.factories import accreditation as h
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    return login(Client(), user)


def test_every_action_has_its_page_route_and_its_api_route() -> None:
    schema = _client(h.reviewer()).get("/api/schema/").content.decode()
    for prefix, table, url_name in (
        ("applications", APPLICATION_ACTIONS, "accreditation:application_action"),
        ("designations", DESIGNATION_ACTIONS, "accreditation:designation_action"),
    ):
        for action in table.values():
            assert f"/api/v1/{prefix}/{{id}}/{action.api_path}/:" in schema, action.name
            assert reverse(url_name, kwargs={"pk": 1, "action": action.name})
            # The page's form and the API's serializer come in pairs.
            assert (action.form is None) == (action.serializer is None), action.name


@time_machine.travel(date(2026, 3, 2))
def test_page_and_api_refuse_an_action_outside_its_states_alike() -> None:
    pharmacy = h.pharmacy()
    application = h.submitted(pharmacy, h.hy(), h.manager_of(pharmacy))
    rc = _client(h.reviewer())
    page = rc.post(
        f"/accreditation/applications/{application.pk}/do/inspect/", follow=True
    ).content.decode()
    api = rc.post(f"/api/v1/applications/{application.pk}/start-inspection/")
    refusal = "当前状态“已提交”下不能办理“书面审核完成，进行现场查勘”。"
    assert refusal in page
    assert api.status_code == 400 and api.json()["detail"] == refusal
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


@time_machine.travel(date(2026, 3, 2))
def test_accepting_again_during_a_supplement_is_refused_the_clock_stays_paused() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    application = services.application_accept(
        application=h.submitted(pharmacy, h.hy(), manager), actor=reviewer
    )
    services.application_request_supplement(application=application, note="流水", actor=reviewer)
    refused = _client(reviewer).post(f"/api/v1/applications/{application.pk}/accept/")
    assert refused.status_code == 400
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUPPLEMENT


@time_machine.travel(date(2026, 3, 2))
def test_one_side_cannot_run_the_other_sides_action_on_page_or_api() -> None:
    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    application = h.submitted(pharmacy, h.hy(), manager)
    own = _client(manager)
    assert (
        own.post(
            f"/accreditation/applications/{application.pk}/do/accept/", {"confirmed": "1"}
        ).status_code
        == 404
    )
    assert own.post(f"/api/v1/applications/{application.pk}/accept/").status_code == 404
    desk = _client(h.reviewer())
    assert (
        desk.post(
            f"/accreditation/applications/{application.pk}/do/submit/", {"confirmed": "1"}
        ).status_code
        == 404
    )
    assert desk.post(f"/api/v1/applications/{application.pk}/submit/").status_code == 404
    assert desk.post(f"/accreditation/applications/{application.pk}/do/nothing/").status_code == 404


@time_machine.travel(date(2026, 3, 2))
def test_an_invalid_form_shows_its_field_errors_and_changes_nothing() -> None:
    pharmacy = h.pharmacy()
    reviewer = h.reviewer()
    application = services.application_accept(
        application=h.submitted(pharmacy, h.hy(), h.manager_of(pharmacy)), actor=reviewer
    )
    response = _client(reviewer).post(
        f"/accreditation/applications/{application.pk}/do/fail/", {"confirmed": "1", "note": ""}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_fail_note"' in body and "不合格理由：" in body  # the error on its field
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED


@time_machine.travel(date(2026, 3, 2))
def test_a_refusal_naming_a_field_is_shown_on_that_field() -> None:
    pharmacy = h.pharmacy()
    reviewer = h.reviewer()
    application = services.application_accept(
        application=h.submitted(pharmacy, h.hy(), h.manager_of(pharmacy)), actor=reviewer
    )
    response = _client(reviewer).post(
        f"/accreditation/applications/{application.pk}/do/supplement/",
        {"confirmed": "1", "note": "  "},
    )
    assert response.status_code == 200
    assert "说明：请写明需要补充的材料。" in response.content.decode()


@time_machine.travel(date(2026, 3, 2))
def test_the_success_message_says_what_happened_and_what_comes_next() -> None:
    pharmacy = h.pharmacy()
    application = h.submitted(pharmacy, h.hy(), h.manager_of(pharmacy))
    page = _client(h.reviewer()).post(
        f"/accreditation/applications/{application.pk}/do/accept/", {"confirmed": "1"}, follow=True
    )
    body = page.content.decode()
    assert "申请已受理，评估期限开始计算。下一步：书面审核申请材料。" in body
    assert "操作已完成" not in body
    # The page now offers the next actions of the table, and only those.
    assert "书面审核完成，进行现场查勘" in body and ">受理<" not in body


@time_machine.travel(date(2026, 3, 2))
def test_designation_page_validates_the_assessment_form() -> None:
    pharmacy = h.pharmacy()
    designation = Designation.objects.create(
        pharmacy=pharmacy, programme=h.hy(), starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31)
    )
    client = _client(h.reviewer())
    response = client.post(
        f"/accreditation/designations/{designation.pk}/assess/",
        {"confirmed": "1", "result": "maybe"},
    )
    assert response.status_code == 200 and "考核结果：" in response.content.decode()
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.ACTIVE


def test_services_refuse_an_unknown_choice_with_a_domain_error() -> None:
    pharmacy = h.pharmacy()
    reviewer = h.reviewer()
    with pytest.raises(DomainError) as refused:
        services.violation_record(
            pharmacy=pharmacy,
            programme=h.hy(),
            found_on=date(2026, 3, 1),
            finding="串换药品",
            rule_id="HY-E10",
            major=False,
            decision="bogus",
            actor=reviewer,
        )
    assert refused.value.field == "decision"
