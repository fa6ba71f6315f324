"""The bureau dashboard on the generated county of `make bench` (dispensing_bench.generate:
500 pharmacies, 50,000 enrolled patients, a year of dispensings), with an application, four
quarterly stocktakes and two findings per pharmacy added. Prints the reviewer's dashboard
page (what waits, the nine charts' tables, the template) and each chart's SVG, with the SQL
statements of the page.

Runs in its own PostgreSQL database (created and dropped here), never in the developer's data.
BENCH_PHARMACIES / BENCH_PATIENTS shrink the county as for the dispensing benchmark.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from typing import Any

from django.db import connection, connections
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench._db import bench_database

BENCH_DB = "dingdian_bench_dashboards"
REPEAT = 5


def _county_extras(today: date) -> Any:
    """A centre with a reviewer; per pharmacy an application at some step of its clock, four
    quarterly stocktakes (some late, some with discrepancies) and two findings."""
    from accounts.models import Membership, Organisation, OrganisationKind, Region, Role, User
    from accreditation.models import Application, ApplicationStatus
    from inventory.models import Stocktake, StocktakeStatus
    from pharmacies.models import Pharmacy
    from programmes.models import Programme
    from supervision.models import Finding

    region = Region.objects.get(code="430421")
    hy = Programme.objects.get(code="HY-TM")
    centre = Organisation.objects.create(
        kind=OrganisationKind.CENTRE, name="基准测试医保中心", region=region
    )
    reviewer = User.objects.create_user(username="bench_dash_reviewer", password="x")
    membership = Membership.objects.create(
        user=reviewer, organisation=centre, role=Role.BUREAU_REVIEWER
    )
    pharmacies = list(Pharmacy.objects.select_related("organisation"))
    steps = [
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.INSPECTION,
        ApplicationStatus.PASSED,
        ApplicationStatus.FAILED,
        ApplicationStatus.SIGNED,
    ]
    Application.objects.bulk_create(
        Application(
            pharmacy=p,
            programme=hy,
            created_by=reviewer,
            status=steps[i % len(steps)],
            evaluation_due_on=today + timedelta(days=(i % 40) - 10),
            notice_ends_on=today + timedelta(days=(i % 9) - 4),
            feedback_due_on=today + timedelta(days=(i % 7) - 3),
        )
        for i, p in enumerate(pharmacies)
    )
    quarters = [date(today.year - 1, month, 1) for month in (1, 4, 7, 10)]
    Stocktake.objects.bulk_create(
        Stocktake(
            pharmacy=p,
            programme=hy,
            period_start=start,
            period_end=start + timedelta(days=89),
            due_on=start + timedelta(days=104),
            status=StocktakeStatus.ACCEPTED if (i + q) % 5 else StocktakeStatus.OPEN,
            is_imbalanced=(i + q) % 7 == 0,
            submitted_at=timezone.now() - timedelta(days=30) if (i + q) % 5 else None,
        )
        for i, p in enumerate(pharmacies)
        for q, start in enumerate(quarters)
    )
    Finding.objects.bulk_create(
        Finding(
            rule_id=rule,
            organisation=p.organisation,
            pharmacy=p,
            kind="other",
            status=("open", "in_review", "closed")[(i + n) % 3],
            summary="基准测试线索",
            dedupe_key=f"bench-dash-{i}-{n}",
        )
        for i, p in enumerate(pharmacies)
        for n, rule in enumerate(("HY-E06", "HY-B02"))
    )
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    return membership


def _timed(action: Any) -> list[float]:
    action()  # warm: templates, URL resolver, plans
    times = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return times


def run() -> None:
    from accounts.principal import Principal
    from bench.dispensing_bench import HISTORY_QUARTERS, PATIENTS, PHARMACIES, generate
    from dashboards.charts import CHARTS
    from dashboards.render import chart_svg
    from dashboards.selectors import clock_for
    from dashboards.views import dashboard

    today = timezone.localdate()
    with bench_database(BENCH_DB):
        started = time.perf_counter()
        generate(today)
        membership = _county_extras(today)
        print(
            f"generated county: {PHARMACIES} pharmacies, {PATIENTS} enrolled patients, "
            f"{HISTORY_QUARTERS * PATIENTS} past dispensings, {4 * PHARMACIES} stocktakes "
            f"in {time.perf_counter() - started:.0f} s"
        )
        principal = Principal.from_membership(membership)
        request = RequestFactory().get("/dashboards/")
        request.user = membership.user
        request.principal = principal  # type: ignore[attr-defined]

        def page() -> None:
            response = dashboard(request)
            assert response.status_code == 200

        times = _timed(page)
        connection.queries_log.clear()  # DEBUG keeps the last 9,000: the count starts from 0
        with CaptureQueriesContext(connection) as captured:
            page()
        print(
            f"bureau dashboard (reviewer, what waits + 9 chart tables + page): "
            f"median {statistics.median(times):.0f} ms (min {min(times):.0f}, "
            f"max {max(times):.0f}; {REPEAT} runs), {len(captured)} SQL statements"
        )
        clock = clock_for(principal)
        for key, build in CHARTS.items():
            svg = _timed(lambda build=build: chart_svg(build(principal, clock)))
            print(f"  chart {key}.svg: median {statistics.median(svg):.0f} ms")
