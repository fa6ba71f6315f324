"""Issue 12 point 3: login throttling (account+address lock, per-address and global limits) and
API keys that expire, carry scopes, die with their issuer and are throttled per key. Each test
reproduces an attack."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import (
    ApiKey,
    ApiKeyScope,
    Membership,
    Role,
    User,
)
from accounts.services import api_key_authenticate, api_key_create
from tests.factories import PASSWORD, member
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _address() -> str:
    """A fresh address per test: the limits' counters live in Redis across tests and runs."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def _attempt(address: str, username: str, password: str) -> int:
    client = Client(REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code


def _key(user: User, **kwargs: Any) -> tuple[ApiKey, str]:
    organisation = user.memberships.get().organisation
    return api_key_create(organisation=organisation, name="系统", actor=user, **kwargs)


def _whoami(raw: str) -> Any:
    return APIClient().get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Api-Key {raw}")


# --- Login ---------------------------------------------------------------------------------


def test_guessing_hy_reviewers_password_from_one_address_does_not_lock_them_out_elsewhere() -> None:
    reviewer = member(Role.BUREAU_REVIEWER, username="hy_reviewer")
    attacker, office = _address(), _address()
    for _ in range(4):
        assert _attempt(attacker, "hy_reviewer", "wrong-password1") == 200
    assert _attempt(attacker, "hy_reviewer", "wrong-password1") == 429  # the fifth locks
    # The attacker's address is locked for this account, even with the right password ...
    assert _attempt(attacker, "hy_reviewer", PASSWORD) == 429
    # ... but the reviewer logs in from their office as usual (second factor included).
    client = Client(REMOTE_ADDR=office)
    login(client, reviewer)
    assert client.get("/accounts/workspace/bureau_reviewer/").status_code == 200


def test_the_per_address_limit_slows_one_address_without_locking_accounts() -> None:
    pharmacist = member(Role.PHARMACIST)
    attacker, elsewhere = _address(), _address()
    with override_settings(LOGIN_RATE_PER_ADDRESS="3/m"):
        # Guessing many accounts from one address (a lock per account never triggers) ...
        for n in range(3):
            assert _attempt(attacker, f"someone{n}", "wrong-password1") == 200
        response = Client(REMOTE_ADDR=attacker).post(
            "/accounts/login/", {"username": "someone9", "password": "x"}
        )
        assert response.status_code == 429 and "账户没有被锁定" in response.content.decode()
        # ... is slowed at that address; the same user elsewhere is not.
        assert _attempt(elsewhere, pharmacist.username, PASSWORD) == 302
    later = timezone.now() + timedelta(minutes=2)
    with time_machine.travel(later), override_settings(LOGIN_RATE_PER_ADDRESS="3/m"):
        assert _attempt(attacker, pharmacist.username, PASSWORD) == 302


def test_the_global_limit_slows_guessing_spread_over_many_addresses() -> None:
    # A window length of this test's own: the rate is part of the counter's name, and the
    # global counter is shared by every test of the worker.
    rate = f"4/{61 + uuid.uuid4().int % 500}s"
    with override_settings(LOGIN_RATE_GLOBAL=rate):
        for _ in range(4):
            assert _attempt(_address(), "nobody", "wrong-password1") == 200
        assert _attempt(_address(), "nobody", "wrong-password1") == 429


def test_failed_logins_still_send_django_signals() -> None:
    """The audit log listens to user_login_failed / user_logged_in."""
    from django.contrib.auth.signals import user_logged_in, user_login_failed

    seen: list[str] = []

    def failed(**kwargs: Any) -> None:
        seen.append("failed")

    def logged_in(**kwargs: Any) -> None:
        seen.append("in")

    user_login_failed.connect(failed)
    user_logged_in.connect(logged_in)
    try:
        pharmacist = member(Role.PHARMACIST)
        address = _address()
        _attempt(address, pharmacist.username, "wrong-password1")
        _attempt(address, pharmacist.username, PASSWORD)
    finally:
        user_login_failed.disconnect(failed)
        user_logged_in.disconnect(logged_in)
    assert seen == ["failed", "in"]


# --- API keys ------------------------------------------------------------------------------


def test_an_expired_key_is_refused_even_while_its_lookup_is_cached() -> None:
    manager = member(Role.PHARMACY_MANAGER)
    key, raw = _key(manager, valid_days=30)
    assert key.expires_at - timezone.now() > timedelta(days=29)
    assert _whoami(raw).status_code == 200  # cached now
    with time_machine.travel(key.expires_at + timedelta(seconds=1)):
        response = _whoami(raw)
        assert response.status_code == 401 and "已过期" in response.json()["detail"]


def test_keys_expire_after_a_year_by_default_and_the_list_shows_when() -> None:
    manager = member(Role.PHARMACY_MANAGER)
    key, _raw = _key(manager)
    assert key.scope == ApiKeyScope.POS
    assert timedelta(days=364) < key.expires_at - timezone.now() <= timedelta(days=365)
    page = login(Client(), manager).get("/accounts/api-keys/").content.decode()
    assert timezone.localtime(key.expires_at).strftime("%Y-%m-%d") in page
    assert "药店收银（POS）" in page


def test_a_deactivated_issuers_key_is_refused_on_the_next_request() -> None:
    manager = member(Role.PHARMACY_MANAGER)
    _k, raw = _key(manager)
    assert _whoami(raw).status_code == 200  # cached now
    manager.is_active = False
    manager.save()
    assert _whoami(raw).status_code == 401


def test_an_issuer_who_left_the_organisation_takes_their_keys_with_them() -> None:
    manager = member(Role.PHARMACY_MANAGER)
    _k, raw = _key(manager)
    assert _whoami(raw).status_code == 200
    membership = Membership.objects.get(user=manager)
    membership.is_active = False
    membership.save()
    assert _whoami(raw).status_code == 401
    membership.is_active = True
    membership.save()
    assert _whoami(raw).status_code == 200


def test_a_pos_key_cannot_use_the_his_endpoints() -> None:
    manager = member(Role.PHARMACY_MANAGER)
    _k, raw = _key(manager)
    api = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    for path in ["/api/v1/tm/hospital-stays/", "/api/v1/tm/filings/"]:
        response = api.get(path)
        assert response.status_code == 403 and "权限范围" in response.json()["detail"], path
    assert api.get("/api/v1/pos/dispensings/").status_code == 200


def test_an_his_key_cannot_dispense() -> None:
    clerk = member(Role.WINDOW_CLERK)
    _k, raw = _key(clerk)
    api = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert api.post("/api/v1/pos/dispensings/", {}, format="json").status_code == 403
    assert (
        api.post("/api/v1/pos/eligibility/", {"resident_id": "x"}, format="json").status_code == 403
    )
    assert api.get("/api/v1/tm/hospital-stays/").status_code == 200


def test_a_read_only_key_cannot_post() -> None:
    manager = member(Role.PHARMACY_MANAGER)
    _k, raw = _key(manager, scope=ApiKeyScope.READ_ONLY)
    api = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert api.post("/api/v1/pos/dispensings/", {}, format="json").status_code == 403
    assert api.get("/api/v1/pos/dispensings/").status_code == 200


def test_a_key_cannot_carry_a_scope_foreign_to_its_organisation() -> None:
    from core.errors import DomainError

    manager = member(Role.PHARMACY_MANAGER)
    with pytest.raises(DomainError):
        _key(manager, scope=ApiKeyScope.HIS)
    key, _raw = _key(member(Role.BUREAU_ADMIN))
    assert key.scope == ApiKeyScope.READ_ONLY


def test_a_key_over_its_rate_gets_429() -> None:
    manager = member(Role.PHARMACY_MANAGER)
    _k, raw = _key(manager)
    _other, other_raw = _key(manager)
    start = timezone.now().replace(second=5)
    with override_settings(API_KEY_RATE="3/min"), time_machine.travel(start, tick=False):
        for _ in range(3):
            assert _whoami(raw).status_code == 200
        throttled = _whoami(raw)
        assert throttled.status_code == 429 and "Retry-After" in throttled
        # Another key of the same pharmacy has its own budget.
        assert _whoami(other_raw).status_code == 200


def test_the_cached_key_path_stays_free_of_queries(django_assert_num_queries: Any) -> None:
    manager = member(Role.PHARMACY_MANAGER)
    _k, raw = _key(manager)
    assert api_key_authenticate(raw) is not None
    with django_assert_num_queries(0):
        assert api_key_authenticate(raw) is not None


def test_the_api_creates_keys_with_scope_and_validity() -> None:
    manager = member(Role.PHARMACY_MANAGER)
    api = APIClient()
    api.force_login(manager)
    created = api.post(
        "/api/v1/api-keys/", {"name": "只读报表", "scope": "read_only", "valid_days": 30}
    )
    assert created.status_code == 201, created.content
    assert created.json()["scope"] == "read_only" and created.json()["expires_at"]
    refused = api.post("/api/v1/api-keys/", {"name": "x", "scope": "his"})
    assert refused.status_code == 400 and "scope" in refused.json()
