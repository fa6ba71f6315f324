"""Per-organisation API keys for POS/HIS systems: create, list, revoke; stored hashed; scoped."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiKey, Role, User
from accounts.services import api_key_authenticate, api_key_create
from pharmacies.models import Pharmacy
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _key_for(user: User) -> tuple[ApiKey, str]:
    membership = user.memberships.get()
    return api_key_create(organisation=membership.organisation, name="康民一号收银台", actor=user)


def test_manager_creates_a_key_shown_once_and_stored_only_as_a_digest(
    personas: dict[str, User],
) -> None:
    client = login(Client(), personas[Role.PHARMACY_MANAGER])
    response = client.post("/accounts/api-keys/", {"name": "收银台POS"})
    body = response.content.decode()
    raw = re.search(r'data-testid="new-key">([^<]+)<', body)
    assert raw, body
    key = ApiKey.objects.get()
    assert key.digest == hashlib.sha256(raw.group(1).encode()).hexdigest()
    assert raw.group(1) not in {key.digest, key.prefix}
    # The list page never shows it again.
    assert raw.group(1) not in client.get("/accounts/api-keys/").content.decode()


def test_key_authenticates_as_its_organisation(personas: dict[str, User]) -> None:
    _key, raw = _key_for(personas[Role.PHARMACY_MANAGER])
    api = APIClient()
    response = api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 200
    assert response.json()["organisation"]["name"] == "衡阳县康民大药房"
    assert response.json()["via"] == "api_key"


def test_wrong_or_missing_key_is_refused() -> None:
    api = APIClient()
    assert api.get("/api/v1/whoami/").status_code in (401, 403)
    response = api.get("/api/v1/whoami/", HTTP_AUTHORIZATION="Api-Key nope.nope")
    assert response.status_code == 401
    assert "接口密钥无效" in response.json()["detail"]


def test_revoked_key_stops_working(personas: dict[str, User]) -> None:
    manager = personas[Role.PHARMACY_MANAGER]
    key, raw = _key_for(manager)
    client = login(Client(), manager)
    assert client.post(f"/accounts/api-keys/{key.pk}/revoke/").status_code == 302
    response = APIClient().get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 401


def test_outsider_gets_404_on_another_organisations_key(
    personas: dict[str, User], outsider_pharmacy_manager: User
) -> None:
    key, _raw = _key_for(personas[Role.PHARMACY_MANAGER])
    outsider = login(Client(), outsider_pharmacy_manager)
    assert outsider.post(f"/accounts/api-keys/{key.pk}/revoke/").status_code == 404
    assert "康民一号收银台" not in outsider.get("/accounts/api-keys/").content.decode()
    api = APIClient()
    api.force_login(outsider_pharmacy_manager)
    assert api.get(f"/api/v1/api-keys/{key.pk}/").status_code == 404
    assert api.post(f"/api/v1/api-keys/{key.pk}/revoke/").status_code == 404
    assert api.get("/api/v1/api-keys/").json()["results"] == []
    key.refresh_from_db()
    assert key.is_active


def test_a_key_cannot_manage_keys(personas: dict[str, User]) -> None:
    _key, raw = _key_for(personas[Role.PHARMACY_MANAGER])
    response = APIClient().post(
        "/api/v1/api-keys/", {"name": "x"}, HTTP_AUTHORIZATION=f"Api-Key {raw}"
    )
    assert response.status_code == 403


def test_pharmacist_cannot_manage_keys(personas: dict[str, User]) -> None:
    client = login(Client(), personas[Role.PHARMACIST])
    assert client.get("/accounts/api-keys/").status_code == 404


def test_api_key_list_via_api_and_query_count(
    personas: dict[str, User], django_assert_max_num_queries: object
) -> None:
    manager = personas[Role.PHARMACY_MANAGER]
    for _ in range(5):
        _key_for(manager)
    api = APIClient()
    api.force_login(manager)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        response = api.get("/api/v1/api-keys/")
    assert response.json()["count"] == 5
    created = api.post("/api/v1/api-keys/", {"name": "医院HIS"})
    assert created.status_code == 201 and "." in created.json()["key"]


def test_api_keys_page_query_count_does_not_grow_with_keys(
    personas: dict[str, User], django_assert_max_num_queries: object
) -> None:
    manager = personas[Role.PHARMACY_MANAGER]
    client = login(Client(), manager)
    for _ in range(10):
        _key_for(manager)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get("/accounts/api-keys/").status_code == 200


def test_history_names_the_keys_issuer_for_a_change_made_with_an_api_key(
    personas: dict[str, User],
) -> None:
    from stdnum.cn import uscc

    manager = personas[Role.PHARMACY_MANAGER]
    organisation = manager.memberships.get().organisation
    base = "91430421MA4L0000"
    code = base + "0" + uscc.calc_check_digit(base + "0")
    pharmacy = Pharmacy.objects.create(organisation=organisation, credit_code=code)
    _key, raw = _key_for(manager)
    response = APIClient().patch(
        f"/api/v1/pharmacies/{pharmacy.pk}/",
        {"address": "衡阳县西渡镇蒸阳北路1号"},
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
        format="json",
    )
    assert response.status_code == 200, response.content
    latest = pharmacy.history.latest()
    assert latest.address == "衡阳县西渡镇蒸阳北路1号"
    assert latest.history_user == manager


def test_a_key_used_a_moment_ago_is_refused_on_the_next_request_once_revoked(
    personas: dict[str, User], django_assert_num_queries: Any
) -> None:
    # Given a key whose lookup is cached (it was just used)
    manager = personas[Role.PHARMACY_MANAGER]
    key, raw = _key_for(manager)
    api = APIClient()
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200
    with django_assert_num_queries(0):
        assert api_key_authenticate(raw) is not None  # cached: no query at all
    # When the manager revokes it
    assert login(Client(), manager).post(f"/accounts/api-keys/{key.pk}/revoke/").status_code == 302
    # Then the very next call with it is refused
    response = api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 401


def test_a_key_of_a_deactivated_organisation_is_refused_on_the_next_request(
    personas: dict[str, User],
) -> None:
    manager = personas[Role.PHARMACY_MANAGER]
    _key, raw = _key_for(manager)
    api = APIClient()
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200
    organisation = manager.memberships.get().organisation
    organisation.is_active = False
    organisation.save()
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 401


def test_a_cached_key_sees_its_pharmacy_created_and_changed_on_the_next_request(
    personas: dict[str, User],
) -> None:
    from stdnum.cn import uscc

    # Given a key whose lookup is cached while its organisation has no pharmacy profile
    manager = personas[Role.PHARMACY_MANAGER]
    _key, raw = _key_for(manager)
    key = api_key_authenticate(raw)
    assert key is not None and getattr(key.organisation, "pharmacy", None) is None
    # When the profile is created, then changed (pharmacies drops its keys' cached entries)
    base = "91430421MA4L0000"
    code = base + "0" + uscc.calc_check_digit(base + "0")
    organisation = manager.memberships.get().organisation
    pharmacy = Pharmacy.objects.create(organisation=organisation, credit_code=code, address="旧址")
    key = api_key_authenticate(raw)
    assert key is not None and key.organisation.pharmacy.address == "旧址"
    pharmacy.address = "衡阳县西渡镇新址"
    pharmacy.save()
    # Then each next lookup reads the row as it is now
    key = api_key_authenticate(raw)
    assert key is not None and key.organisation.pharmacy.address == "衡阳县西渡镇新址"
