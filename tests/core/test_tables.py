"""Lists built by core.tables and the shared partials: sorted by a whitelisted column,
paginated with the page's filters kept, the same number of queries for 3 rows or 60."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from supervision.models import FindingKind, FindingPriority
from supervision.services import finding_raise
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _raise(org: Any, n: int) -> None:
    for i in range(n):
        finding_raise(
            rule_id=f"HY-E{i % 10:02d}",
            organisation=org,
            kind=FindingKind.STOCK_IMBALANCE,
            priority=FindingPriority.PRIORITY_INSPECTION if i == 0 else FindingPriority.NORMAL,
            summary=f"线索{i:03d}",
            dedupe_key=f"table-{i}",
        )


def _summaries(html: str) -> list[str]:
    return re.findall(r">(线索\d{3})</a>", html)


@pytest.fixture
def reviewer_client(client: Client, personas: dict[str, User]) -> Client:
    return login(client, personas[Role.BUREAU_REVIEWER])


@pytest.fixture
def org(personas: dict[str, User]) -> Any:
    return personas[Role.PHARMACY_MANAGER].memberships.get().organisation


def test_a_list_pages_by_fifty_and_keeps_its_filter_in_the_page_links(
    reviewer_client: Client, org: Any
) -> None:
    _raise(org, 60)
    first = reviewer_client.get("/supervision/findings/?status=open").content.decode()
    assert len(_summaries(first)) == 50
    assert "第 1 / 2 页，共 60 条" in first
    assert 'href="?status=open&amp;page=2"' in first
    second = reviewer_client.get("/supervision/findings/?status=open&page=2").content.decode()
    assert len(_summaries(second)) == 10
    assert not set(_summaries(first)) & set(_summaries(second))


def test_a_list_sorts_by_an_allowed_column_and_ignores_any_other(
    reviewer_client: Client, org: Any
) -> None:
    _raise(org, 12)
    by_rule = _summaries(reviewer_client.get("/supervision/findings/?sort=rule").content.decode())
    assert by_rule[:2] == ["线索000", "线索010"]  # HY-E00 first, oldest first within a rule
    html = reviewer_client.get("/supervision/findings/?sort=-rule").content.decode()
    assert _summaries(html)[0] == "线索009"
    assert 'aria-sort="descending"' in html
    newest_first = _summaries(reviewer_client.get("/supervision/findings/").content.decode())
    injected = reviewer_client.get("/supervision/findings/?sort=summary;drop").content.decode()
    assert _summaries(injected) == newest_first


def test_a_table_costs_the_same_queries_for_three_rows_or_sixty(
    reviewer_client: Client, org: Any
) -> None:
    _raise(org, 3)
    reviewer_client.get("/supervision/findings/")
    with CaptureQueriesContext(connection) as few:
        reviewer_client.get("/supervision/findings/")
    for key in (f"more-{i}" for i in range(57)):
        finding_raise(
            rule_id="HY-E06",
            organisation=org,
            kind=FindingKind.STOCK_IMBALANCE,
            summary=key,
            dedupe_key=key,
        )
    with CaptureQueriesContext(connection) as many:
        reviewer_client.get("/supervision/findings/")
    assert len(many) == len(few)
