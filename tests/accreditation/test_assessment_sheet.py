"""HY-E09 / HY 七: the yearly assessment as a scored sheet — indicators as programme data,
automatic lines from the data, manual lines by the reviewer, the outcome decided by the
programme's thresholds through the designation workflow, and the sheet as a PDF."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role, User
from accreditation import scoring
from accreditation.models import (
    AssessmentOutcome,
    AssessmentResult,
    AssessmentScheme,
    AssessmentSheet,
    Designation,
    DesignationStatus,
    IndicatorMethod,
)
from core.errors import DomainError, RuleViolation
from core.models import AuditAction, AuditEvent
from inventory.models import Stocktake, StocktakeStatus
from pharmacies.models import Pharmacy
from supervision.models import FindingKind
from supervision.services import finding_raise
from tests.factories import accreditation as h
from tests.factories import member
from tests.factories.sessions import force_login_verified

pytestmark = pytest.mark.django_db

TODAY = date(2027, 1, 10)
START, END = date(2026, 1, 1), date(2026, 12, 31)


def _designated(**kw: Any) -> Designation:
    p = h.pharmacy(opened_on=date(2024, 1, 1))
    return h.designation(p, starts_on=date(2026, 1, 1), ends_on=date(2027, 3, 31), **kw)


def _stocktake(p: Pharmacy, quarter_start: date, due: date, submitted: date) -> None:
    Stocktake.objects.create(
        pharmacy=p,
        programme=h.hy(),
        period_start=quarter_start,
        period_end=quarter_start.replace(month=quarter_start.month + 2, day=28),
        due_on=due,
        status=StocktakeStatus.ACCEPTED,
        submitted_at=timezone.make_aware(datetime(submitted.year, submitted.month, submitted.day)),
    )


def _open(d: Designation, reviewer: User) -> AssessmentSheet:
    with time_machine.travel(TODAY):
        return scoring.sheet_open(designation=d, start=START, end=END, actor=reviewer)


def _score_manual(sheet: AssessmentSheet, reviewer: User, points: str = "10") -> None:
    manual = sheet.lines.filter(method=IndicatorMethod.MANUAL)
    scores = {line.pk: (Decimal(points), "现场考核") for line in manual}
    scoring.sheet_score(sheet=sheet, scores=scores, actor=reviewer)


def _thresholds(programme_code: str, renewal: int, rectification: int) -> AssessmentScheme:
    scheme = AssessmentScheme.objects.get(programme__code=programme_code)
    return scoring.scheme_save(
        scheme=scheme,
        actor=member(Role.BUREAU_ADMIN),
        changes={"renewal_min": Decimal(renewal), "rectification_min": Decimal(rectification)},
        reason="测试阈值",
    )


def test_hy_e09_indicators_are_seeded_for_both_programmes_with_weights_of_100() -> None:
    for code in ("HY-TM", "GY-PT"):
        scheme = AssessmentScheme.objects.get(programme__code=code)
        indicators = list(scheme.indicators.all())
        assert sum(i.weight for i in indicators) == 100
        assert {i.method for i in indicators} == {IndicatorMethod.AUTO, IndicatorMethod.MANUAL}
        assert all(i.metric in scoring.METRICS for i in indicators if i.method == "auto")
    # supervision's findings metric is registered from above: accreditation never imports it
    assert "findings" in scoring.METRICS


def test_hy_e09_automatic_lines_a_late_stocktake_scores_lower_than_one_on_time() -> None:
    reviewer = h.reviewer()
    on_time, late = _designated(), _designated()
    _stocktake(on_time.pharmacy, date(2026, 1, 1), date(2026, 4, 15), date(2026, 4, 10))
    _stocktake(late.pharmacy, date(2026, 1, 1), date(2026, 4, 15), date(2026, 5, 20))
    good, bad = _open(on_time, reviewer), _open(late, reviewer)
    good_line = good.lines.get(indicator__metric="stocktakes_on_time")
    bad_line = bad.lines.get(indicator__metric="stocktakes_on_time")
    assert good_line.points == good_line.max_points and bad_line.points == 0
    assert "按时报送 0 次" in bad_line.evidence and "到期盘点 1 次" in bad_line.evidence
    _score_manual(good, reviewer)
    _score_manual(bad, reviewer)
    good_total, bad_total = scoring.sheet_total(good), scoring.sheet_total(bad)
    assert good_total is not None and bad_total is not None and bad_total < good_total


def test_hy_e09_manual_lines_are_required_before_the_sheet_is_concluded() -> None:
    reviewer = h.reviewer()
    sheet = _open(_designated(), reviewer)
    assert scoring.sheet_total(sheet) is None
    with time_machine.travel(TODAY), pytest.raises(RuleViolation) as exc:
        scoring.sheet_conclude(sheet=sheet, actor=reviewer)
    assert exc.value.rule_id == "HY-E09"
    with pytest.raises(DomainError):  # above the line's maximum
        _score_manual(sheet, reviewer, points="11")
    _score_manual(sheet, reviewer)
    assert scoring.sheet_total(sheet) is not None


def test_hy_e09_threshold_renewal_renews_the_agreement() -> None:
    reviewer = h.reviewer()
    d = _designated()
    _thresholds("HY-TM", 0, 0)
    sheet = _open(d, reviewer)
    _score_manual(sheet, reviewer)
    with time_machine.travel(TODAY):
        sheet = scoring.sheet_conclude(sheet=sheet, actor=reviewer)
    d.refresh_from_db()
    assert sheet.outcome == AssessmentOutcome.RENEWAL
    assert sheet.assessment is not None and sheet.assessment.result == AssessmentResult.PASSED
    assert d.status == DesignationStatus.ACTIVE and d.ends_on > date(2027, 3, 31)
    with pytest.raises(DomainError):  # concluded: no more changes
        _score_manual(sheet, reviewer)


def test_hy_e09_threshold_rectification_needs_a_period_then_opens_rectification() -> None:
    reviewer = h.reviewer()
    d = _designated()
    _thresholds("HY-TM", 100, 0)
    sheet = _open(d, reviewer)
    _score_manual(sheet, reviewer, points="0")
    with time_machine.travel(TODAY):
        with pytest.raises(DomainError):  # refused: rectification without a period
            scoring.sheet_conclude(sheet=sheet, actor=reviewer)
        sheet = scoring.sheet_conclude(
            sheet=sheet, actor=reviewer, rectification_until=date(2027, 4, 10)
        )
    d.refresh_from_db()
    assert sheet.outcome == AssessmentOutcome.RECTIFICATION
    assert d.status == DesignationStatus.RECTIFICATION
    assert d.rectification_until == date(2027, 4, 10)


def test_hy_e09_threshold_non_renewal_lets_the_term_run_out_and_after_rectification_revokes() -> (
    None
):
    reviewer = h.reviewer()
    d = _designated()
    _thresholds("HY-TM", 100, 100)
    sheet = _open(d, reviewer)
    _score_manual(sheet, reviewer, points="0")
    with time_machine.travel(TODAY):
        sheet = scoring.sheet_conclude(sheet=sheet, actor=reviewer)
    d.refresh_from_db()
    assert sheet.outcome == AssessmentOutcome.NON_RENEWAL
    assert sheet.assessment is not None and sheet.assessment.result == AssessmentResult.NOT_RENEWED
    assert d.status == DesignationStatus.ACTIVE and d.ends_on == date(2027, 3, 31)  # not renewed
    assert d.events.filter(rule_id="HY-E09").exists()
    # In rectification: non-renewal is refused before the period ends, then revokes (HY-C05).
    in_rect = _designated(
        status=DesignationStatus.RECTIFICATION, rectification_until=date(2027, 2, 1)
    )
    sheet = _open(in_rect, reviewer)
    _score_manual(sheet, reviewer, points="0")
    with time_machine.travel(TODAY), pytest.raises(RuleViolation) as exc:
        scoring.sheet_conclude(sheet=sheet, actor=reviewer)
    assert exc.value.rule_id == "HY-C05"
    with time_machine.travel(date(2027, 2, 2)):
        scoring.sheet_conclude(sheet=sheet, actor=reviewer)
    in_rect.refresh_from_db()
    assert in_rect.status == DesignationStatus.REVOKED


def _pdf_text(content: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(BytesIO(content)).pages).replace("\n", "")


def test_hy_e09_sheet_pages_and_pdf_for_pharmacy_and_reviewer_404_for_an_outsider() -> None:
    d = _designated()
    reviewer = h.reviewer()
    with time_machine.travel(TODAY):
        rc = force_login_verified(Client(), reviewer)
        response = rc.post(
            f"/accreditation/designations/{d.pk}/assessments/open/",
            {"period_start": "2026-01-01", "period_end": "2026-12-31"},
        )
        sheet = AssessmentSheet.objects.get(designation=d)
        assert response.status_code == 302 and response["Location"].endswith(f"/{sheet.pk}/")
        manual = sheet.lines.get(method=IndicatorMethod.MANUAL)
        rc.post(
            f"/accreditation/assessments/{sheet.pk}/score/",
            {f"points_{manual.pk}": "8", f"note_{manual.pk}": "现场良好"},
        )
        rc.post(f"/accreditation/assessments/{sheet.pk}/conclude/", {"notes": "年度考核"})
    sheet.refresh_from_db()
    assert sheet.assessment is not None and sheet.total is not None
    manager = h.manager_of(d.pharmacy)
    outsider = h.manager_of(h.pharmacy())
    for user in (manager, reviewer):
        client = force_login_verified(Client(), user)
        assert client.get(f"/accreditation/assessments/{sheet.pk}/").status_code == 200
        pdf = client.get(f"/accreditation/assessments/{sheet.pk}/sheet.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        text = _pdf_text(pdf.content)
        assert "年度考核评分表" in text and d.pharmacy.name in text and "现场良好" in text
    audited = AuditEvent.objects.filter(
        action=AuditAction.DOCUMENT, detail=f"assessment-{sheet.pk}.pdf"
    )
    assert audited.count() == 2
    other = force_login_verified(Client(), outsider)
    assert other.get(f"/accreditation/assessments/{sheet.pk}/").status_code == 404
    assert other.get(f"/accreditation/assessments/{sheet.pk}/sheet.pdf").status_code == 404
    assert other.get(f"/accreditation/designations/{d.pk}/assessments/").status_code == 404


def test_hy_e09_parameter_edit_keeps_history_with_reason_and_is_validated() -> None:
    admin = member(Role.BUREAU_ADMIN)
    scheme = AssessmentScheme.objects.get(programme__code="HY-TM")
    indicator = scheme.indicators.get(code="C03")
    with pytest.raises(DomainError):
        scoring.indicator_save(indicator=indicator, actor=admin, changes={"weight": 5}, reason="")
    with pytest.raises(DomainError):
        scoring.indicator_save(
            indicator=indicator, actor=admin, changes={"metric": "no_such"}, reason="试"
        )
    scoring.indicator_save(
        indicator=indicator,
        actor=admin,
        changes={"params": {"per_case": "0.5"}, "weight": Decimal(12)},
        reason="账实不符扣分加重",
    )
    rows = list(indicator.history.order_by("history_date", "history_id"))
    assert [r.weight for r in rows] == [Decimal(10), Decimal(12)]  # the seeded state, then ours
    assert rows[-1].history_change_reason == "账实不符扣分加重" and rows[-1].history_user == admin
    with pytest.raises(DomainError):
        _thresholds("HY-TM", 50, 70)  # rectification above renewal
    _thresholds("HY-TM", 90, 70)
    assert scheme.history.latest().history_change_reason == "测试阈值"


def test_hy_e09_indicator_page_admin_edits_with_a_reason_outsider_gets_404(
    outsider_bureau_admin: User,
) -> None:
    admin = member(Role.BUREAU_ADMIN)
    client = force_login_verified(Client(), admin)
    page = client.get("/accreditation/assessment-indicators/HY-TM/")
    assert page.status_code == 200 and "盘点账实相符" in page.content.decode()
    indicator = AssessmentScheme.objects.get(programme__code="HY-TM").indicators.get(code="C08")
    url = f"/accreditation/assessment-indicators/HY-TM/{indicator.pk}/"
    data = {"weight": "15", "max_points": "20", "method": "manual", "metric": "", "params": "{}"}
    client.post(url, {**data, "is_active": "on"})  # no reason: refused
    indicator.refresh_from_db()
    assert indicator.max_points == 10
    client.post(url, {**data, "is_active": "on", "reason": "现场考核细化为 20 分"})
    indicator.refresh_from_db()
    assert indicator.max_points == 20
    assert indicator.history.latest().history_change_reason == "现场考核细化为 20 分"
    client.post(
        "/accreditation/assessment-indicators/HY-TM/thresholds/",
        {"renewal_min": "85", "rectification_min": "65", "reason": "年度方案调整"},
    )
    scheme = AssessmentScheme.objects.get(programme__code="HY-TM")
    assert (scheme.renewal_min, scheme.rectification_min) == (85, 65)
    assert (
        "年度方案调整" in client.get("/accreditation/assessment-indicators/HY-TM/").content.decode()
    )
    reviewer = force_login_verified(Client(), h.reviewer())
    assert reviewer.get("/accreditation/assessment-indicators/HY-TM/").status_code == 200
    assert reviewer.post(url, {**data, "reason": "x"}).status_code in (403, 404)
    outsider = force_login_verified(Client(), outsider_bureau_admin)
    assert outsider.get("/accreditation/assessment-indicators/HY-TM/").status_code == 404
    assert outsider.post(url, {**data, "reason": "x"}).status_code == 404


def test_hy_e09_findings_metric_from_supervision_scores_open_findings_lower() -> None:
    reviewer = h.reviewer()
    clean, flagged = _designated(), _designated()
    with time_machine.travel(date(2026, 6, 1)):
        finding_raise(
            rule_id="SV-F03",
            organisation=flagged.pharmacy.organisation,
            pharmacy=flagged.pharmacy,
            kind=FindingKind.OTHER,
            summary="测试发现",
            dedupe_key="hy-e09-findings-test",
        )
    good = _open(clean, reviewer).lines.get(indicator__metric="findings")
    bad = _open(flagged, reviewer).lines.get(indicator__metric="findings")
    assert good.points == good.max_points and bad.points is not None
    assert bad.points < good.points and "未办结 1 条" in bad.evidence
