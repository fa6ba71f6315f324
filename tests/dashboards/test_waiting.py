"""What waits for each role: counts match the data, links open, badges at the right working
day, and only the principal's own organisation or region is counted."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from accounts.models import Membership, Role
from accounts.principal import Principal
from accreditation.models import ApplicationStatus as A
from accreditation.models import DesignationStatus
from dashboards.selectors import Waiting, waiting_for
from inventory.models import StocktakeStatus
from programmes.models import Programme
from tests.factories.accounts import member
from tests.factories.accreditation import designation
from tests.factories.dashboards import application, client_of, finding, stocktake

pytestmark = pytest.mark.django_db


def principal(user: Any) -> Principal:
    return Principal.from_membership(
        Membership.objects.select_related("organisation").get(user=user)
    )


def items(user: Any, today: date | None = None) -> dict[str, Waiting]:
    return {w.key: w for w in waiting_for(principal(user), today=today)}


def test_the_reviewers_counts_match_the_applications_stocktakes_and_findings_of_the_region(
    shop: Any, guiyang_shop: Any
) -> None:
    for status in (A.SUBMITTED, A.SUBMITTED, A.ACCEPTED, A.INSPECTION, A.SUPPLEMENT, A.DRAFT):
        application(shop, status)
    application(shop, A.FAILED, feedback_due_on=date(2027, 3, 1))
    application(shop, A.FAILED, feedback_sent_on=date(2027, 3, 1))  # letter sent: nothing waits
    application(guiyang_shop, A.SUBMITTED)  # another region: not counted
    stocktake(shop, date(2027, 4, 15), StocktakeStatus.SUBMITTED)
    stocktake(shop, date(2027, 4, 15))
    stocktake(guiyang_shop, date(2027, 4, 15), StocktakeStatus.SUBMITTED)
    finding(shop, "HY-E06")
    finding(shop, "HY-E06", status="in_review")
    finding(guiyang_shop, "GY-B02")
    designation(shop, DesignationStatus.RECTIFICATION, rectification_until=date(2027, 6, 1))

    got = items(member(Role.BUREAU_REVIEWER), date(2027, 3, 8))

    assert got["applications_submitted"].count == 2  # drafts stay private, Guiyang's is not ours
    assert (
        got["applications_accepted"].count,
        got["applications_inspection"].count,
        got["applications_supplement"].count,
    ) == (1, 1, 1)
    assert got["applications_failed"].count == 1
    assert got["applications_submitted"].url == "/accreditation/review/?status=submitted"
    assert (
        got["stocktakes_open"].count == 1
        and got["stocktakes_open"].url == "/inventory/stocktakes/?status=open"
    )
    assert got["findings_in_review"].count == 1
    assert (
        got["designations_rectification"].count == 1
        and not got["designations_rectification"].filtered
    )


def test_a_pharmacy_sees_only_its_own_stocktakes_and_applications(
    shop: Any, guiyang_shop: Any
) -> None:
    stocktake(shop, date(2027, 4, 15))
    stocktake(guiyang_shop, date(2027, 4, 15))
    application(shop, A.SUPPLEMENT)
    application(guiyang_shop, A.SUPPLEMENT)

    got = items(member(Role.PHARMACY_MANAGER), date(2027, 3, 8))

    assert got["stocktakes_open"].count == 1
    assert got["applications_supplement"].count == 1


def test_window_clerk_benefits_officer_and_expert_see_the_filings_at_their_step() -> None:
    for role in (Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.EXPERT_REVIEWER):
        keys = set(items(member(role)))
        assert keys, role
    assert set(items(member(Role.WINDOW_CLERK))) == {"filings_lodged", "filings_preliminary_passed"}
    assert set(items(member(Role.BENEFITS_OFFICER))) == {"filings_rostered", "filings_assigned"}
    assert items(member(Role.CATALOGUE_ADMIN)) == {}


@pytest.mark.parametrize("role", list(Role))
def test_every_link_of_every_role_opens_a_page(role: str, shop: Any) -> None:
    user = member(role)
    client = client_of(user)
    page = client.get("/dashboards/")
    assert page.status_code == 200
    for item in waiting_for(principal(user)):
        assert client.get(item.url).status_code == 200, item.url


# Due 2027-03-10 (a Wednesday in a month without holidays), "due soon" = 3 working days.
DUE = date(2027, 3, 10)


@pytest.mark.parametrize(
    ("today", "overdue", "soon"),
    [
        (date(2027, 3, 4), 0, 0),  # Thursday: 3 working days reach Tuesday 9 March
        (date(2027, 3, 5), 0, 1),  # Friday: Mon, Tue, Wed — the weekend does not count
        (date(2027, 3, 10), 0, 1),  # due today
        (date(2027, 3, 11), 1, 0),  # the day after: overdue
    ],
)
def test_overdue_and_due_soon_badges_follow_working_days(
    shop: Any, settings: Any, today: date, overdue: int, soon: int
) -> None:
    settings.DINGDIAN_DUE_SOON_WORKING_DAYS = 3
    application(shop, A.ACCEPTED, evaluation_due_on=DUE)
    reviewer = member(Role.BUREAU_REVIEWER)

    with time_machine.travel(f"{today} 09:00 +0800", tick=False):
        response = client_of(reviewer).get("/dashboards/")
        got = items(reviewer)["applications_accepted"]

    assert response.status_code == 200
    page = response.content.decode()

    assert (got.overdue, got.due_soon) == (overdue, soon)
    assert ('data-testid="overdue"' in page) == bool(overdue)
    assert ('data-testid="due-soon"' in page) == bool(soon)


def test_a_holiday_entered_by_the_bureau_counts_in_the_due_soon_window(
    shop: Any, settings: Any
) -> None:
    from core.models import HolidayOverride

    settings.DINGDIAN_DUE_SOON_WORKING_DAYS = 3
    application(shop, A.ACCEPTED, evaluation_due_on=DUE)
    reviewer = member(Role.BUREAU_REVIEWER)
    HolidayOverride.objects.create(
        region=shop.organisation.region, date=date(2027, 3, 8), is_working_day=False
    )

    # From Thursday 4 March: Fri 5, (Mon 8 off) Tue 9, Wed 10 — due within 3 working days.
    assert items(reviewer, date(2027, 3, 4))["applications_accepted"].due_soon == 1


def test_a_stocktake_is_due_soon_by_its_programmes_reminder_lead(shop: Any, settings: Any) -> None:
    settings.DINGDIAN_DUE_SOON_WORKING_DAYS = 1
    Programme.objects.filter(code="HY-TM").update(stocktake_reminder_working_days=3)
    stocktake(shop, DUE)
    manager = member(Role.PHARMACY_MANAGER)

    assert (
        items(manager, date(2027, 3, 5))["stocktakes_open"].due_soon == 1
    )  # 3 working days, not 1
    assert items(manager, date(2027, 3, 4))["stocktakes_open"].due_soon == 0
    assert items(manager, date(2027, 3, 11))["stocktakes_open"].overdue == 1


def test_in_english_the_dashboard_speaks_english(shop: Any) -> None:
    application(shop, A.ACCEPTED, evaluation_due_on=DUE)
    reviewer = member(Role.BUREAU_REVIEWER)

    with time_machine.travel("2027-03-11 09:00 +0800", tick=False):
        client = client_of(reviewer)
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        page = client.get("/dashboards/").content.decode()

    assert "What waits for you" in page and "Applications under evaluation" in page
    assert "1 overdue" in page
    assert "Fund share by month" in page
    assert "待办" not in page and "逾期" not in page
