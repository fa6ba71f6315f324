"""Issue 13 point 5: every role's main job, end to end, on the demo configuration — the portal
`make run` serves (embedded PostgreSQL, filesystem queue, Celery worker and beat, gunicorn,
`seed_demo`), driven through Chromium as a newcomer would, with the printed demo logins.

One test, one portal, one browser: each journey is a subtest, in this order (later journeys
do not rely on earlier ones, but the order is fixed here, not by the scheduler). A journey
fails on any 5xx answer or JavaScript error of a page it visited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.demo import counter, designation, filing, prescription, stock, workspace
from tests.demo.conftest import Demo, Visitor, visits

pytestmark = [pytest.mark.browser, pytest.mark.demo]

Journey = Callable[[Callable[[str], Visitor], Path], None]
JOURNEYS: list[Journey] = [
    counter.hy_pharmacist_sells_prints_the_slip_and_the_quota_refuses_more,
    counter.hy_pharmacist_is_refused_for_a_patient_in_hospital,
    counter.gy_pharmacist_sells_at_the_general_outpatient_counter,
    stock.hy_manager_imports_the_sample_file_and_counts_with_one_discrepancy,
    designation.hy_reviewer_accepts_inspects_passes_and_signs_an_agreement,
    filing.window_lodges_a_filing_and_the_expert_approves_it_with_a_start_date,
    prescription.hy_physician_issues_a_prescription,
    workspace.reviewer_sees_what_waits_opens_the_charts_and_exports_one,
    workspace.window_downloads_the_result_notice_of_a_decided_filing,
]


def test_every_role_does_its_main_job_on_the_demo(
    demo: Demo, browser: Browser, subtests: pytest.Subtests, tmp_path: Path
) -> None:
    for journey in JOURNEYS:
        with subtests.test(msg=journey.__name__), visits(browser, demo) as visit:
            folder = tmp_path / journey.__name__
            folder.mkdir()
            journey(visit, folder)

    with subtests.test(msg="make run stops on one SIGTERM to its process group"):
        # The Makefile's exit trap ignores a second signal (make forwards SIGTERM to the
        # recipe's shell again), so it always reaches `machine.py stop`.
        left = demo.stop()
        assert left == [], f"still running: {left}\n{demo.log_tail()}"
