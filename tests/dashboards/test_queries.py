"""One query budget per dashboard, and the count does not grow with the rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from accreditation.models import ApplicationStatus as A
from accreditation.models import DesignationStatus
from inventory.models import StocktakeStatus
from tests.factories.accounts import member
from tests.factories.accreditation import designation, pharmacy
from tests.factories.dashboards import application, client_of, finding, stocktake

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
