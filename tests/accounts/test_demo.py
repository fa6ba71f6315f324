"""`manage.py seed_demo` is idempotent and every demo login reaches its workspace."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.demo import DEMO_PASSWORD, LOGINS
from accounts.models import Membership, User

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


def test_every_demo_login_reaches_its_workspace() -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    for username, _name, _org, role in LOGINS:
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1][0] == f"/accounts/workspace/{role.value}/", username
        assert response.status_code == 200
