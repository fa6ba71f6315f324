"""Issue 12.5: logins, permission changes and API keys are audited; the bureau's audit page
shows its region's events to its bureau admin only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from core.audit import audit_record
from core.models import AuditAction, AuditEvent
from tests.factories import PASSWORD, member, region
from tests.factories.sessions import force_login_verified, login

pytestmark = pytest.mark.django_db


def test_sec_audit_login_success_and_failure_are_recorded_with_ip_and_user_agent() -> None:
    user = member(Role.WINDOW_CLERK, username="audit_clerk")
    client = Client(REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT="Mozilla/5.0 test")
    client.post("/accounts/login/", {"username": "audit_clerk", "password": "wrong-password1"})
    client.post("/accounts/login/", {"username": "nobody_here", "password": "wrong-password1"})
    assert client.post("/accounts/login/", {"username": "audit_clerk", "password": PASSWORD})[
        "Location"
    ]
    failed, unknown = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("id")
    assert failed.user_id == user.pk and failed.username == "audit_clerk"
    assert failed.region_id == user.memberships.get().organisation.region_id
    assert unknown.user_id is None and unknown.username == "nobody_here"
    success = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert success.user_id == user.pk and success.role == Role.WINDOW_CLERK
    assert success.ip == "10.9.8.7" and success.user_agent == "Mozilla/5.0 test"
    assert success.request_id and success.organisation_name
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, user_id=user.pk).exists()


def test_sec_audit_api_key_created_and_revoked_are_recorded(personas: dict[str, User]) -> None:
    manager = personas[Role.PHARMACY_MANAGER]
    client = login(Client(), manager)
    client.post("/accounts/api-keys/", {"name": "收银台POS"})
    key = manager.memberships.get().organisation.api_keys.get()
    client.post(f"/accounts/api-keys/{key.pk}/revoke/")
    created, revoked = AuditEvent.objects.filter(object_type="accounts.apikey").order_by("id")
    assert created.action == AuditAction.API_KEY_CREATED
    assert revoked.action == AuditAction.API_KEY_REVOKED
    for event in (created, revoked):
        assert event.user_id == manager.pk and event.role == Role.PHARMACY_MANAGER
        assert event.object_id == str(key.pk) and key.prefix in event.detail


def test_sec_audit_membership_granted_changed_and_removed_are_recorded() -> None:
    user = member(Role.PHARMACIST, username="audit_pharmacist")
    membership = user.memberships.get()
    membership.is_active = False
    membership.save()
    pk = membership.pk
    membership.delete()
    actions = list(
        AuditEvent.objects.filter(object_type="accounts.membership", object_id=str(pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        AuditAction.MEMBERSHIP_CREATED,
        AuditAction.MEMBERSHIP_CHANGED,
        AuditAction.MEMBERSHIP_REMOVED,
    ]
    removed = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_REMOVED, object_id=str(pk))
    assert "audit_pharmacist" in removed.detail and "role=pharmacist" in removed.detail


def test_sec_audit_membership_change_in_the_admin_names_the_admin_who_made_it() -> None:
    staff = User.objects.create_superuser(
        "audit_root", password=PASSWORD, password_change_required=False
    )
    target = member(Role.PHARMACIST, username="audit_target")
    membership = target.memberships.get()
    client = force_login_verified(Client(), staff)  # admins pass the second factor
    url = f"/admin/accounts/user/{target.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "username": target.username,
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": str(membership.pk),
            "memberships-0-user": str(target.pk),
            "memberships-0-organisation": str(membership.organisation_id),
            "memberships-0-role": Role.PHARMACY_MANAGER,
            "memberships-0-is_active": "on",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_CHANGED)
    assert changed.user_id == staff.pk and "role=pharmacy_manager" in changed.detail


def test_sec_audit_page_lists_the_region_events_for_the_bureau_admin_only(
    personas: dict[str, User], outsider_bureau_admin: User
) -> None:
    here = region()
    elsewhere = region("520100")
    audit_record(action=AuditAction.EXPORT, region_id=here.pk, detail="衡阳的导出")
    audit_record(action=AuditAction.EXPORT, region_id=elsewhere.pk, detail="贵阳的导出")
    admin = login(Client(), personas[Role.BUREAU_ADMIN])
    page = admin.get("/accounts/audit/").content.decode()
    assert "衡阳的导出" in page and "贵阳的导出" not in page
    # The admin's own login is an event of the region too.
    assert "hy_bureau_admin" in page
    filtered = admin.get("/accounts/audit/", {"action": AuditAction.LOGIN}).content.decode()
    assert "hy_bureau_admin" in filtered and "衡阳的导出" not in filtered
    by_user = admin.get("/accounts/audit/", {"username": "nobody"}).content.decode()
    assert "衡阳的导出" not in by_user
    dated = admin.get("/accounts/audit/", {"since": "2000-01-01", "until": "2000-01-02"})
    assert "衡阳的导出" not in dated.content.decode()
    outsider = login(Client(), outsider_bureau_admin).get("/accounts/audit/").content.decode()
    assert "贵阳的导出" in outsider and "衡阳的导出" not in outsider
    for role in (Role.BUREAU_REVIEWER, Role.BENEFITS_OFFICER, Role.PHARMACY_MANAGER):
        assert login(Client(), personas[role]).get("/accounts/audit/").status_code == 404
    assert Client().get("/accounts/audit/").status_code == 302  # to the login page


def test_sec_audit_page_paginates_and_pins_its_query_count(
    personas: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    for n in range(60):
        audit_record(action=AuditAction.EXPORT, region_id=region().pk, detail=f"导出{n:02d}")
    admin = login(Client(), personas[Role.BUREAU_ADMIN])
    # 11: the page's own 10 and django-otp's device check for a bureau session.
    with django_assert_max_num_queries(11):
        first = admin.get("/accounts/audit/", {"action": AuditAction.EXPORT}).content.decode()
    second = admin.get(
        "/accounts/audit/", {"action": AuditAction.EXPORT, "page": "2"}
    ).content.decode()
    assert "导出59" in first and "导出00" not in first
    assert "导出00" in second and "1 / 2" not in second and "2 / 2" in second


def test_sec_audit_detail_never_keeps_a_resident_id() -> None:
    event = audit_record(action=AuditAction.RECORD_SEARCH, detail="resident_id 43040019580312101X")
    assert "43040019580312101X" not in event.detail
    assert re.search(r"430400\*+101X", event.detail)


def test_sec_audit_events_of_organisations_outside_the_region_are_not_shown(
    personas: dict[str, User],
) -> None:
    other = Organisation.objects.create(
        kind=OrganisationKind.PHARMACY, name="贵阳市某药房", region=region("520100")
    )
    Membership.objects.create(user=personas[Role.PHARMACIST], organisation=other, role="pharmacist")
    admin = login(Client(), personas[Role.BUREAU_ADMIN])
    page = admin.get("/accounts/audit/", {"action": AuditAction.MEMBERSHIP_CREATED})
    assert f"organisation={other.pk}" not in page.content.decode()
