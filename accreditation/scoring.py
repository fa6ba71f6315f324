"""The yearly assessment as a scored sheet (HY-E09, HY 七).

Each programme's indicators are data (accreditation.models.AssessmentIndicator); an automatic
indicator names a metric of METRICS, a function reading the other apps through their
selectors that returns a share of the line's points (0–1) and the evidence in words.
Apps above accreditation (supervision) add their metrics with `register_metric` when they
start: accreditation never imports them. The outcome follows from the total and the
programme's thresholds and is applied through `services.designation_assess` (the designation
workflow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accreditation import services
from accreditation.eligibility import FAIL, PASS, eligibility_report
from accreditation.models import (
    AssessmentIndicator,
    AssessmentLine,
    AssessmentOutcome,
    AssessmentResult,
    AssessmentScheme,
    AssessmentSheet,
    Designation,
    IndicatorMethod,
    Violation,
)
from accreditation.models import DesignationStatus as D
from core.errors import DomainError, RuleViolation
from core.history import history_catch_up
from inventory.selectors import sale_prices_over_cap, stocktake_record
from pharmacies.selectors import missing_payroll_months


@dataclass(frozen=True)
class Scored:
    share: Decimal  # of the line's points, 0–1
    evidence: str


Metric = Callable[[Designation, date, date, dict[str, Any]], Scored]
METRICS: dict[str, Metric] = {}
ONE = Decimal(1)


def register_metric(name: str, metric: Metric) -> None:
    METRICS[name] = metric


def _clamp(value: Decimal) -> Decimal:
    return max(Decimal(0), min(ONE, value))


def _penalty(count: int, params: dict[str, Any]) -> Decimal:
    """1 less `per_case` (default 0.25) for each case."""
    return _clamp(ONE - Decimal(str(params.get("per_case", "0.25"))) * count)


def stocktakes_on_time(g: Designation, start: date, end: date, params: dict[str, Any]) -> Scored:
    r = stocktake_record(pharmacy=g.pharmacy, programme=g.programme, start=start, end=end)
    if not r.due:
        return Scored(ONE, _("考核期内无到期盘点。"))
    text = _("到期盘点 %(due)d 次，按时报送 %(on)d 次。") % {"due": r.due, "on": r.on_time}
    return Scored(Decimal(r.on_time) / r.due, text)


def stocktake_balance(g: Designation, start: date, end: date, params: dict[str, Any]) -> Scored:
    r = stocktake_record(pharmacy=g.pharmacy, programme=g.programme, start=start, end=end)
    text = _("已报送盘点 %(n)d 次，账实不符 %(bad)d 次。") % {"n": r.submitted, "bad": r.imbalanced}
    return Scored(_penalty(r.imbalanced, params), text)


def violation_decisions(g: Designation, start: date, end: date, params: dict[str, Any]) -> Scored:
    rows = Violation.objects.filter(
        pharmacy=g.pharmacy, programme=g.programme, found_on__gte=start, found_on__lte=end
    )
    n, major = rows.count(), rows.filter(major=True).count()
    if major:
        text = _("考核期内违规处理 %(n)d 起，其中重大违规 %(m)d 起。") % {"n": n, "m": major}
        return Scored(Decimal(0), text)
    return Scored(_penalty(n, params), _("考核期内违规处理 %(n)d 起。") % {"n": n})


def eligibility_kept(g: Designation, start: date, end: date, params: dict[str, Any]) -> Scored:
    conditions = [
        c
        for c in eligibility_report(pharmacy=g.pharmacy, programme=g.programme, on=end)
        if c.outcome in (PASS, FAIL)
    ]
    if not conditions:
        return Scored(ONE, _("无可自动核对的定点条件。"))
    met = [c for c in conditions if c.outcome == PASS]
    failing = "、".join(c.rule_id for c in conditions if c.outcome == FAIL)
    text = _("定点条件 %(n)d 项，符合 %(m)d 项。") % {"n": len(conditions), "m": len(met)}
    if failing:
        text += _("不符合：%(ids)s。") % {"ids": failing}
    return Scored(Decimal(len(met)) / len(conditions), text)


def payroll_on_time(g: Designation, start: date, end: date, params: dict[str, Any]) -> Scored:
    months = g.programme.payroll_evidence_months
    if not months:
        return Scored(ONE, _("本险种不要求新入职职工工资流水。"))
    missing = [
        m
        for m in missing_payroll_months(months=months, on=end, pharmacy=g.pharmacy)
        if start <= m.due_on <= end
    ]
    text = _("逾期未提供的工资流水 %(n)d 个月。") % {"n": len(missing)}
    return Scored(_penalty(len(missing), params), text)


def price_compliance(g: Designation, start: date, end: date, params: dict[str, Any]) -> Scored:
    m = sale_prices_over_cap(pharmacy=g.pharmacy, programme=g.programme)
    if not m.denominator:
        return Scored(ONE, _("无有参考价的销售。"))
    text = _("有参考价的销售 %(n)d 笔，超出限价 %(over)d 笔（%(rule)s）。") % {
        "n": m.denominator,
        "over": m.numerator,
        "rule": m.rule_id,
    }
    return Scored(_clamp(ONE - Decimal(m.numerator) / m.denominator), text)


for _name, _metric in {
    "stocktakes_on_time": stocktakes_on_time,
    "stocktake_balance": stocktake_balance,
    "violation_decisions": violation_decisions,
    "eligibility_kept": eligibility_kept,
    "payroll_on_time": payroll_on_time,
    "price_compliance": price_compliance,
}.items():
    register_metric(_name, _metric)


# --- Services


def _points(share: Decimal, max_points: Decimal) -> Decimal:
    return (share * max_points).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _scheme(designation: Designation) -> AssessmentScheme:
    scheme = AssessmentScheme.objects.filter(programme=designation.programme).first()
    if scheme is None:
        raise RuleViolation("HY-E09", _("本险种尚未设置年度考核指标。"))
    return scheme


def sheet_open(*, designation: Designation, start: date, end: date, actor: User) -> AssessmentSheet:
    """Open a sheet for the period and fill the automatic lines from the data (HY-E09)."""
    if designation.status not in (D.ACTIVE, D.RECTIFICATION):
        raise RuleViolation("HY-E09", _("只有有效或整改期中的定点资格才能考核。"))
    if end < start:
        raise DomainError(_("考核期止不能早于考核期起。"), field="period_end")
    if designation.assessment_sheets.filter(assessment__isnull=True).exists():
        raise DomainError(_("已有未办结的考核评分表。"))
    scheme = _scheme(designation)
    with transaction.atomic():
        sheet = AssessmentSheet.objects.create(
            designation=designation, period_start=start, period_end=end, created_by=actor
        )
        for indicator in scheme.indicators.filter(is_active=True):
            line = AssessmentLine(
                sheet=sheet,
                indicator=indicator,
                label=indicator.label,
                method=indicator.method,
                weight=indicator.weight,
                max_points=indicator.max_points,
                order=indicator.order,
            )
            metric = METRICS.get(indicator.metric)
            if indicator.method == IndicatorMethod.AUTO and metric is not None:
                scored = metric(designation, start, end, indicator.params or {})
                line.points = _points(scored.share, indicator.max_points)
                line.evidence = scored.evidence
            elif indicator.method == IndicatorMethod.AUTO:
                # A metric that is not available here: the reviewer scores the line.
                line.method = IndicatorMethod.MANUAL
                line.evidence = _("自动指标不可用，由审核员评分。")
            line.save()
    return sheet


def _open_sheet(sheet: AssessmentSheet) -> AssessmentSheet:
    locked = AssessmentSheet.objects.select_for_update().get(pk=sheet.pk)
    if locked.assessment_id is not None:
        raise DomainError(_("考核评分表已办结，不能修改。"))
    return locked


def sheet_score(
    *, sheet: AssessmentSheet, scores: dict[int, tuple[Decimal, str]], actor: User
) -> AssessmentSheet:
    """The reviewer's points and note on manual lines ({line id: (points, note)})."""
    with transaction.atomic():
        locked = _open_sheet(sheet)
        lines = {line.pk: line for line in locked.lines.filter(method=IndicatorMethod.MANUAL)}
        for pk, (points, note) in scores.items():
            line = lines.get(pk)
            if line is None:
                raise DomainError(_("只能为人工评分指标打分。"))
            if points < 0 or points > line.max_points:
                raise DomainError(
                    _("“%(l)s”得分应在 0 至 %(m)s 之间。") % {"l": line.label, "m": line.max_points}
                )
            line.points, line.note = points, note
            line.save(update_fields=["points", "note"])
    return locked


def sheet_total(sheet: AssessmentSheet) -> Decimal | None:
    """The total of 100, or None while a line has no points."""
    lines = list(sheet.lines.all())
    if any(line.points is None for line in lines):
        return None
    return sum((line.weighted or Decimal(0) for line in lines), Decimal(0))


def outcome_for(total: Decimal, scheme: AssessmentScheme) -> str:
    if total >= scheme.renewal_min:
        return AssessmentOutcome.RENEWAL
    if total >= scheme.rectification_min:
        return AssessmentOutcome.RECTIFICATION
    return AssessmentOutcome.NON_RENEWAL


RESULT_OF = {
    AssessmentOutcome.RENEWAL: AssessmentResult.PASSED,
    AssessmentOutcome.RECTIFICATION: AssessmentResult.FAILED,
    AssessmentOutcome.NON_RENEWAL: AssessmentResult.NOT_RENEWED,
}


def sheet_conclude(
    *,
    sheet: AssessmentSheet,
    actor: User,
    notes: str = "",
    rectification_until: date | None = None,
) -> AssessmentSheet:
    """Conclude: every line scored, the total against the programme's thresholds decides the
    outcome, applied to the designation through its workflow (HY-E09, HY-C05)."""
    with transaction.atomic():
        locked = _open_sheet(sheet)
        total = sheet_total(locked)
        if total is None:
            raise RuleViolation("HY-E09", _("请先为全部人工评分指标打分，再办结考核。"))
        scheme = _scheme(locked.designation)
        outcome = outcome_for(total, scheme)
        designation = services.designation_assess(
            designation=locked.designation,
            result=RESULT_OF[AssessmentOutcome(outcome)],
            notes=notes
            or _("年度考核总分 %(t)s 分：%(o)s")
            % {
                "t": total,
                "o": AssessmentOutcome(outcome).label,
            },
            rectification_until=rectification_until,
            actor=actor,
        )
        locked.total, locked.outcome = total, outcome
        locked.renewal_min, locked.rectification_min = scheme.renewal_min, scheme.rectification_min
        locked.assessment = designation.assessments.order_by("-id").first()
        locked.save(
            update_fields=["total", "outcome", "renewal_min", "rectification_min", "assessment"]
        )
    return locked


def indicator_save(
    *, indicator: AssessmentIndicator, actor: User, changes: dict[str, Any], reason: str
) -> AssessmentIndicator:
    """A bureau admin changes an indicator (weight, points, method, parameters); history keeps
    who, when and why."""
    return _save_with_reason(indicator, actor, changes, reason)


def scheme_save(
    *, scheme: AssessmentScheme, actor: User, changes: dict[str, Any], reason: str
) -> AssessmentScheme:
    """A bureau admin changes the thresholds; history keeps who, when and why."""
    renewal = Decimal(changes.get("renewal_min", scheme.renewal_min))
    rectification = Decimal(changes.get("rectification_min", scheme.rectification_min))
    if not Decimal(0) <= rectification <= renewal <= Decimal(100):
        raise DomainError(_("须满足 0 ≤ 整改最低分 ≤ 续签最低分 ≤ 100。"))
    return _save_with_reason(scheme, actor, changes, reason)


def _save_with_reason(obj: Any, actor: User, changes: dict[str, Any], reason: str) -> Any:
    if not reason.strip():
        raise DomainError(_("请填写修改原因。"), field="reason")
    model = type(obj)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=obj.pk)
        history_catch_up(locked, reason=_("修改前的状态"))
        for field, value in changes.items():
            setattr(locked, field, value)
        if isinstance(locked, AssessmentIndicator):
            if locked.method == IndicatorMethod.AUTO and locked.metric not in METRICS:
                raise DomainError(_("未知的自动指标。"), field="metric")
            if locked.max_points <= 0 or locked.weight < 0:
                raise DomainError(_("满分须大于 0，权重不能为负数。"))
        locked._history_user = actor
        locked._change_reason = reason
        locked.save()
    return locked
