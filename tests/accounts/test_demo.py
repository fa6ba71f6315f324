"""`manage.py seed_demo` is idempotent and every demo login reaches its workspace."""

from __future__ import annotations

import io
from base64 import b32decode

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp

from accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, LOGINS
from accounts.models import BUREAU_ROLES, Membership, User

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_changes_nothing_and_prints_the_logins() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (User.objects.count(), Membership.objects.count())
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    assert (User.objects.count(), Membership.objects.count()) == counts
    printed = out.getvalue()
    assert all(username in printed for username, *_ in LOGINS)
    assert DEMO_PASSWORD in printed
    assert DEMO_TOTP_SECRET in printed and "DEMO ONLY" in printed


def test_every_demo_login_reaches_its_workspace() -> None:
    """As the printed logins say: the password, and for bureau users the current code of the
    printed demo secret (what an authenticator app or `oathtool --totp -b` shows)."""
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    code = f"{totp(b32decode(DEMO_TOTP_SECRET)):06d}"
    for username, _name, _org, role in LOGINS:
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}, follow=True
        )
        if role in BUREAU_ROLES:
            assert response.redirect_chain[-1][0].startswith("/accounts/2fa/verify/"), username
            response = client.post(response.redirect_chain[-1][0], {"code": code}, follow=True)
        assert response.redirect_chain[-1][0] == f"/accounts/workspace/{role.value}/", username
        assert response.status_code == 200
