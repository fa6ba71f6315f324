"""One query budget per dashboard, and the count does not grow with the rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from accreditation.models import ApplicationStatus as A
from accreditation.models import DesignationStatus
from inventory.models import StocktakeStatus
from tests.factories.accounts import member
from tests.factories.accreditation import designation, pharmacy
from tests.factories.dashboards import (
    application,
    case,
    client_of,
    finding,
    recovery,
    refusal,
    stocktake,
)

pytestmark = pytest.mark.django_db

# Statements per page view, session and second factor included: each app's scoping selector
# reads the region's subtree (a few small queries each), then one aggregate per source of
# "what waits" and one per chart. Bureau pages carry the nine charts' tables.
BUDGETS: dict[str, int] = {
    Role.BUREAU_ADMIN: 39,
    Role.BUREAU_REVIEWER: 45,
    Role.BENEFITS_OFFICER: 34,
    Role.EXPERT_REVIEWER: 34,
    Role.WINDOW_CLERK: 15,
    Role.PHYSICIAN: 15,
    Role.PHARMACY_MANAGER: 22,
    Role.PHARMACIST: 17,
    Role.CATALOGUE_ADMIN: 11,
}


def rows(shops: int) -> None:
    """Applications at every step, stocktakes, designations and findings for `shops` more
    pharmacies."""
    for _ in range(shops):
        shop = pharmacy()
        for status in (A.SUBMITTED, A.ACCEPTED, A.INSPECTION, A.PASSED, A.FAILED):
            application(shop, status, evaluation_due_on=date(2027, 3, 10))
        stocktake(shop, date(2027, 3, 10))
        stocktake(shop, date(2027, 3, 10), StocktakeStatus.SUBMITTED, is_imbalanced=True)
        designation(shop, DesignationStatus.ACTIVE)
        finding(shop, "HY-E06")


def queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/dashboards/").status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", list(Role))
def test_each_dashboard_keeps_its_query_budget_whatever_the_rows(
    role: str, django_assert_max_num_queries: Any
) -> None:
    client = client_of(member(role))
    rows(1)
    with django_assert_max_num_queries(BUDGETS[role]):
        client.get("/dashboards/")
    few = queries(client)
    rows(4)
    assert queries(client) == few


# The supervision dashboard (issue 17.5): session and second factor, the region's subtree for
# each scoped selector, the programmes for the risk weights, one statement per chart.
SUPERVISION_BUDGET = 25


def supervision_rows(shops: int) -> None:
    """Findings of two rules and priorities, open and closed cases, refusals and recoveries for
    `shops` more pharmacies."""
    now = timezone.now()
    for _ in range(shops):
        shop = pharmacy()
        finding(shop, "SV-F01")
        finding(shop, "SV-F02", priority="priority_inspection")
        finding(shop, "SV-F02", "closed")
        case(shop, now)
        case(shop, now, status="concluded")
        refusal(shop, "10.00", now)
        recovery(shop, "5.00", timezone.localdate())


def supervision_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/dashboards/supervision/").status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.BUREAU_ADMIN, Role.BUREAU_REVIEWER])
def test_the_supervision_dashboard_keeps_its_query_budget_whatever_the_rows(
    role: str, django_assert_max_num_queries: Any
) -> None:
    client = client_of(member(role))
    supervision_rows(1)
    with django_assert_max_num_queries(SUPERVISION_BUDGET):
        client.get("/dashboards/supervision/")
    few = supervision_queries(client)
    supervision_rows(4)
    assert supervision_queries(client) == few
