"""The supervision dashboard (issue 17.5): findings by rule, month and pharmacy, open
inspection cases and their age, the pharmacies with the highest risk score, and the money
refused and recovered per quarter. Each chart is a `ChartTable` like the bureau's charts: one
aggregate (or one read) per chart over scoped querysets, the table on the page, the SVG drawn
by `render`, the xlsx export with the same rows.

Findings are read only through rule_id, organisation, raised_at, status and priority.

The risk score of a pharmacy is the weighted sum of its findings not yet closed (待处理 and
核查中): each counts the weight of its priority, a programme parameter edited by bureau admins
with history (`Programme.risk_weight_normal`, `Programme.risk_weight_priority_inspection`).
Where several programmes apply in the region, each priority weighs the highest weight among
the programmes in force; a priority no programme weighs counts 0."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.principal import Principal
from accreditation.selectors import payment_refusals
from core.calendar import add_months
from dashboards.charts import PAGE_ROWS, Builder, ChartTable, Label, _label, _money
from dashboards.selectors import Clock
from inventory.selectors import local_start
from pharmacies.selectors import pharmacies_for_principal
from prescriptions.models import FundRecovery
from programmes.selectors import programmes_for_principal
from supervision.case_access import cases_for_principal
from supervision.case_models import CaseStatus
from supervision.models import FindingPriority, FindingStatus
from supervision.selectors import findings_for_principal

# Months of findings shown (this month and the 11 before it); quarters of money (this one and
# the 7 before it).
FINDING_MONTHS = 12
MONEY_QUARTERS = 8
# A case is open until concluded or cancelled.
OPEN_CASE_STATUSES = [CaseStatus.OPEN, CaseStatus.SCHEDULED]
# A finding weighs in the risk score until it is closed.
OPEN_FINDING_STATUSES = [FindingStatus.OPEN, FindingStatus.IN_REVIEW]
# The programme parameter that weighs each finding priority.
RISK_WEIGHT_FIELDS: dict[str, str] = {
    FindingPriority.NORMAL: "risk_weight_normal",
    FindingPriority.PRIORITY_INSPECTION: "risk_weight_priority_inspection",
}
# Age bands of open cases on the chart (days since opened, upper bounds; the table has each
# case's age in days).
AGE_BANDS: list[tuple[int | None, Label]] = [
    (30, _("30 天以内")),
    (60, _("31–60 天")),
    (90, _("61–90 天")),
    (None, _("90 天以上")),
]


def _month_start(clock: Clock) -> date:
    return add_months(clock.today.replace(day=1), -(FINDING_MONTHS - 1))


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def _quarter_of(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _quarter_label(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


# --- Findings -------------------------------------------------------------------------------


def sv_findings_month_chart(principal: Principal, clock: Clock) -> ChartTable:
    first = _month_start(clock)
    grouped = list(
        findings_for_principal(principal)
        .filter(raised_at__gte=local_start(first))
        .order_by()
        .annotate(month=TruncMonth("raised_at"))
        .values("month", "rule_id")
        .annotate(n=Count("pk"))
        .order_by("month", "rule_id")
    )
    rows = [[f"{_as_date(r['month']):%Y-%m}", r["rule_id"], r["n"]] for r in grouped]
    months = [f"{add_months(first, i):%Y-%m}" for i in range(FINDING_MONTHS)]
    rules = sorted({r[1] for r in rows})
    counts = {(m, rule): n for m, rule, n in rows}
    return ChartTable(
        key="sv_findings_month",
        title=_("核查线索：按月和规则"),
        headers=[_("月份"), _("规则编号"), _("线索数")],
        rows=rows,
        x_labels=months,
        series=[(rule, [counts.get((m, rule)) for m in months]) for rule in rules],
        kind="stacked",
        description=_("近 12 个月每月发现的线索数，按规则"),
    )


def sv_findings_pharmacy_chart(principal: Principal, clock: Clock) -> ChartTable:
    grouped = (
        findings_for_principal(principal)
        .order_by()
        .values("organisation_id", "organisation__name")
        .annotate(
            n=Count("pk"),
            open=Count("pk", filter=Q(status=FindingStatus.OPEN)),
            in_review=Count("pk", filter=Q(status=FindingStatus.IN_REVIEW)),
            closed=Count("pk", filter=Q(status=FindingStatus.CLOSED)),
            rules=Count("rule_id", distinct=True),
        )
        .order_by("-n", "organisation__name", "organisation_id")
    )
    rows = [
        [r["organisation__name"], r["n"], r["open"], r["in_review"], r["closed"], r["rules"]]
        for r in grouped
    ]
    shown = rows[:PAGE_ROWS]
    return ChartTable(
        key="sv_findings_pharmacy",
        title=_("核查线索：按药店"),
        headers=[
            _("药店"),
            _("线索数"),
            str(FindingStatus.OPEN.label),
            str(FindingStatus.IN_REVIEW.label),
            str(FindingStatus.CLOSED.label),
            _("涉及规则数"),
        ],
        rows=rows,
        x_labels=[r[0] for r in shown],
        series=[
            (FindingStatus.OPEN.label, [r[2] for r in shown]),
            (FindingStatus.IN_REVIEW.label, [r[3] for r in shown]),
            (FindingStatus.CLOSED.label, [r[4] for r in shown]),
        ],
        kind="hbar",
        description=_("线索最多的药店，按处理状态"),
    )


# --- Inspection cases -------------------------------------------------------------------------


def sv_cases_age_chart(principal: Principal, clock: Clock) -> ChartTable:
    cases = (
        cases_for_principal(principal)
        .filter(status__in=OPEN_CASE_STATUSES)
        .order_by("opened_at", "id")
        .values_list("pk", "pharmacy__organisation__name", "status", "opened_at", "planned_on")
    )
    rows: list[list[Any]] = []
    for pk, name, status, opened_at, planned_on in cases:
        opened = timezone.localdate(opened_at)
        rows.append(
            [
                f"JC{pk:06d}",
                name,
                _label(CaseStatus, status),
                f"{opened:%Y-%m-%d}",
                f"{planned_on:%Y-%m-%d}" if planned_on else "",
                (clock.today - opened).days,
            ]
        )
    bands = [0] * len(AGE_BANDS)
    for row in rows:
        for i, (upper, _name) in enumerate(AGE_BANDS):
            if upper is None or row[5] <= upper:
                bands[i] += 1
                break
    return ChartTable(
        key="sv_cases_age",
        title=_("未办结的检查案件及其已立案天数"),
        headers=[
            _("案件编号"),
            _("药店"),
            _("状态"),
            _("立案日期"),
            _("计划检查日期"),
            _("已立案天数"),
        ],
        rows=rows,
        x_labels=[str(name) for _upper, name in AGE_BANDS],
        series=[(_("案件数"), bands)],
        description=_("已立案或已安排检查、尚未办结的案件数，按立案至今的天数分段"),
    )


# --- Risk score -----------------------------------------------------------------------------


def risk_weights(principal: Principal, on: date) -> dict[str, int]:
    """Each finding priority's weight: the highest among the region's programmes in force."""
    weights = dict.fromkeys(RISK_WEIGHT_FIELDS, 0)
    for programme in programmes_for_principal(principal):
        if not programme.is_in_force(on):
            continue
        for priority, name in RISK_WEIGHT_FIELDS.items():
            weights[priority] = max(weights[priority], getattr(programme, name) or 0)
    return weights


def sv_risk_chart(principal: Principal, clock: Clock) -> ChartTable:
    weights = risk_weights(principal, clock.today)
    grouped = (
        findings_for_principal(principal)
        .filter(status__in=OPEN_FINDING_STATUSES)
        .order_by()
        .values("organisation_id", "organisation__name")
        .annotate(
            **{
                f"p_{priority}": Count("pk", filter=Q(priority=priority))
                for priority in RISK_WEIGHT_FIELDS
            }
        )
    )
    rows = []
    for r in grouped:
        counts = [r[f"p_{priority}"] for priority in RISK_WEIGHT_FIELDS]
        score = sum(n * weights[p] for n, p in zip(counts, RISK_WEIGHT_FIELDS, strict=True))
        rows.append([r["organisation__name"], *counts, score, r["organisation_id"]])
    rows.sort(key=lambda row: (-row[-2], row[0], row[-1]))
    rows = [row[:-1] for row in rows]
    shown = rows[:PAGE_ROWS]
    weight_text = "；".join(f"{_label(FindingPriority, p)} × {w}" for p, w in weights.items())
    return ChartTable(
        key="sv_risk",
        title=_("风险分值最高的药店"),
        headers=[
            _("药店"),
            *[_label(FindingPriority, p) + str(_("（未办结）")) for p in RISK_WEIGHT_FIELDS],
            _("风险分值"),
        ],
        rows=rows,
        x_labels=[r[0] for r in shown],
        series=[(_("风险分值"), [r[-1] for r in shown])],
        kind="hbar",
        description=_("各药店未办结线索按优先级加权求和的风险分值，从高到低"),
        notes=[
            _(
                "风险分值 = 各优先级未办结线索（待处理、核查中）数 × 该优先级的权重之和；"
                "权重是政策方案参数（基金监管），由医保局管理员修改并留有修改记录；"
                "本地区有多个方案时，每个优先级取施行中方案的最高权重。"
            ),
            str(_("当前权重：")) + weight_text,
        ],
    )


# --- Money refused and recovered ---------------------------------------------------------------


def sv_money_chart(principal: Principal, clock: Clock) -> ChartTable:
    last = _quarter_of(clock.today)
    first = add_months(last, -3 * (MONEY_QUARTERS - 1))
    end = add_months(last, 3)
    pharmacy_ids = list(pharmacies_for_principal(principal).values_list("pk", flat=True))
    refused = {
        _quarter_of(timezone.localdate(r["quarter"])): r
        for r in payment_refusals(pharmacy_ids=pharmacy_ids, start=first, end=end)
        .order_by()
        .annotate(quarter=TruncQuarter("recorded_at"))
        .values("quarter")
        .annotate(amount=Sum("refused_amount"), n=Count("pk"))
    }
    recovered = {
        _as_date(r["quarter"]): r
        for r in FundRecovery.objects.filter(
            pharmacy_id__in=pharmacy_ids, booked_on__gte=first, booked_on__lt=end
        )
        .order_by()
        .annotate(quarter=TruncQuarter("booked_on"))
        .values("quarter")
        .annotate(amount=Sum("amount"), n=Count("pk"))
    }
    quarters = [add_months(first, 3 * i) for i in range(MONEY_QUARTERS)]
    rows = [
        [
            _quarter_label(q),
            _money(refused.get(q, {}).get("amount")),
            refused.get(q, {}).get("n", 0),
            _money(recovered.get(q, {}).get("amount")),
            recovered.get(q, {}).get("n", 0),
        ]
        for q in quarters
    ]
    return ChartTable(
        key="sv_money",
        title=_("拒付与追回金额：按季度"),
        headers=[
            _("季度"),
            _("拒付金额（元）"),
            _("拒付决定数"),
            _("追回金额（元）"),
            _("追回笔数"),
        ],
        rows=rows,
        x_labels=[r[0] for r in rows],
        series=[
            (_("拒付金额（元）"), [r[1] for r in rows]),
            (_("追回金额（元）"), [r[3] for r in rows]),
        ],
        description=_("近 8 个季度作出的拒付决定金额（HY-E10）和记账的基金追回金额（GY-E04）"),
        notes=[
            _(
                "拒付按作出决定的日期计入季度，追回按记账日期计入季度，"
                "与月度统筹基金结算单的扣减口径相同。"
            )
        ],
    )


SUPERVISION_CHARTS: dict[str, Builder] = {
    "sv_findings_month": sv_findings_month_chart,
    "sv_findings_pharmacy": sv_findings_pharmacy_chart,
    "sv_cases_age": sv_cases_age_chart,
    "sv_risk": sv_risk_chart,
    "sv_money": sv_money_chart,
}


def supervision_charts(principal: Principal, clock: Clock) -> list[ChartTable]:
    return [build(principal, clock) for build in SUPERVISION_CHARTS.values()]
