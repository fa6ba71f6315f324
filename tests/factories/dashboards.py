"""Rows in a given state (applications, stocktakes, findings) and a logged-in client, for
the dashboards and list tests."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from django.test import Client

from accounts.models import Role, User
from accreditation.models import Application
from inventory.models import Stocktake, StocktakeStatus
from pharmacies.models import Pharmacy
from programmes.models import Programme
from supervision.models import Finding
from tests.factories.accounts import member
from tests.factories.sessions import force_login_verified

_periods = itertools.count(0)


_keys = itertools.count(1)


def hy() -> Programme:
    return Programme.objects.get(code="HY-TM")


def application(p: Pharmacy, status: str, **fields: Any) -> Application:
    creator = User.objects.filter(username="dash_creator").first() or member(
        Role.PHARMACY_MANAGER, organisation=p.organisation, username="dash_creator"
    )
    return Application.objects.create(
        pharmacy=p, programme=hy(), created_by=creator, status=status, **fields
    )


def stocktake(
    p: Pharmacy, due_on: date, status: str = StocktakeStatus.OPEN, **fields: Any
) -> Stocktake:
    start = date(2020, 1, 1) + timedelta(days=92 * next(_periods))
    return Stocktake.objects.create(
        pharmacy=p,
        programme=fields.pop("programme", None) or hy(),
        period_start=start,
        period_end=start + timedelta(days=90),
        due_on=due_on,
        status=status,
        **fields,
    )


def finding(p: Pharmacy, rule_id: str, status: str = "open") -> Finding:
    return Finding.objects.create(
        rule_id=rule_id,
        organisation=p.organisation,
        pharmacy=p,
        kind="other",
        status=status,
        summary="测试线索",
        dedupe_key=f"dash-{next(_keys)}",
    )


def client_of(user: User) -> Client:
    return force_login_verified(Client(), user)
