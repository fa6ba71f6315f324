"""Rows in a given state (applications, stocktakes, findings) and a logged-in client, for
the dashboards and list tests."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.test import Client

from accounts.models import Role, User
from accreditation.models import Application, Violation, ViolationDecision
from inventory.models import Stocktake, StocktakeStatus
from pharmacies.models import Pharmacy
from prescriptions.models import FundRecovery
from programmes.models import Programme
from supervision.models import Finding, InspectionCase
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


def finding(
    p: Pharmacy,
    rule_id: str,
    status: str = "open",
    *,
    priority: str = "normal",
    raised_at: datetime | None = None,
) -> Finding:
    f = Finding.objects.create(
        rule_id=rule_id,
        organisation=p.organisation,
        pharmacy=p,
        kind="other",
        status=status,
        priority=priority,
        summary="测试线索",
        dedupe_key=f"dash-{next(_keys)}",
    )
    if raised_at is not None:  # auto_now_add: set afterwards
        Finding.objects.filter(pk=f.pk).update(raised_at=raised_at)
    return f


def _owner() -> User:
    found = User.objects.filter(username="dash_case_owner").first()
    return found or member(Role.BUREAU_REVIEWER, username="dash_case_owner")


def case(p: Pharmacy, opened_at: datetime, status: str = "open") -> InspectionCase:
    """An inspection case on `p`, written directly with its opening time."""
    owner = _owner()
    c = InspectionCase.objects.create(
        pharmacy=p, programme=hy(), origin="findings", owner=owner, status=status
    )
    InspectionCase.objects.filter(pk=c.pk).update(opened_at=opened_at)
    return c


def refusal(p: Pharmacy, amount: str, recorded_at: datetime, **fields: Any) -> Violation:
    """A payment refusal (HY-E10) decided at `recorded_at`."""
    v = Violation.objects.create(
        pharmacy=p,
        programme=hy(),
        found_on=recorded_at.date(),
        finding="测试违规",
        rule_id="HY-E10",
        decision=fields.pop("decision", ViolationDecision.REFUSE_PAYMENT),
        refused_amount=Decimal(amount),
        recorded_by=_owner(),
        **fields,
    )
    Violation.objects.filter(pk=v.pk).update(recorded_at=recorded_at)
    return v


def recovery(p: Pharmacy, amount: str, booked_on: date) -> FundRecovery:
    """A fund recovery (追回, GY-E04) booked on `booked_on`."""
    return FundRecovery.objects.create(
        pharmacy=p,
        amount=Decimal(amount),
        booked_on=booked_on,
        reason="测试追回",
        recorded_by=_owner(),
    )


def client_of(user: User) -> Client:
    return force_login_verified(Client(), user)
