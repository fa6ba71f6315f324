"""Issue 17 "Done when" (first part): on the demo data the scan raises findings of at least
five different SV rules."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Membership, Role
from supervision.models import Finding
from tests.factories import member
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def test_sv_demo_scan_raises_findings_of_five_sv_rules_once() -> None:
    call_command("seed_demo", quiet=True)
    rules = set(
        Finding.objects.filter(rule_id__startswith="SV-F").values_list("rule_id", flat=True)
    )
    assert len(rules) >= 5, rules
    count = Finding.objects.count()
    call_command("seed_demo", quiet=True)  # seeding again raises nothing new
    assert Finding.objects.count() == count
    bureau = Membership.objects.filter(user__username="hy_reviewer").first()
    assert bureau is not None
    reviewer = login(Client(), member(Role.BUREAU_REVIEWER, organisation=bureau.organisation))
    assert "SV-F01" in reviewer.get("/supervision/rules/").content.decode()
    assert "SV-F13" in reviewer.get("/supervision/findings/").content.decode()
