"""The bureau's charts (issue 16.1): each is a table of numbers computed by one aggregate over
the owning app's scoped selector; the page shows the table, `render` draws it as SVG and the
export sends the same rows as xlsx."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.principal import Principal
from accreditation.models import ApplicationStatus, DesignationStatus
from accreditation.selectors import applications_for_principal, designations_for_principal
from core.calendar import add_months
from dashboards.selectors import RUNNING, Clock
from inventory.models import StocktakeStatus
from inventory.selectors import local_start, stocktakes_for_principal
from patients.models import FilingPath, FilingStatus
from patients.selectors import filings_for_principal, patients_for_principal
from prescriptions.models import DispensingStatus, QuotaAccount
from prescriptions.selectors import dispensings_for_principal
from supervision.models import FindingStatus
from supervision.selectors import findings_for_principal

Label = str | Promise
# Months of fund spend shown (this month and the 11 before it); periods of stocktakes.
SPEND_MONTHS = 12
STOCKTAKE_PERIODS = 8
# Rows shown on the page and drawn (the export has every row).
PAGE_ROWS = 20


@dataclass(frozen=True)
class ChartTable:
    key: str
    title: Label
    headers: list[Label]
    rows: list[list[Any]]
    # What the chart draws: categories along the axis and one list of values per series.
    x_labels: list[str]
    series: list[tuple[Label, list[Any]]]
    kind: str = "bar"  # bar, stacked, line, hbar
    description: Label = ""
    notes: list[Label] = field(default_factory=list)

    @property
    def page_rows(self) -> list[list[Any]]:
        return self.rows[:PAGE_ROWS]

    @property
    def rows_left(self) -> int:
        return max(0, len(self.rows) - PAGE_ROWS)

    @property
    def alt(self) -> str:
        """The chart's text alternative: what it shows; its numbers are in the table below."""
        return f"{self.title}：{self.description}" if self.description else str(self.title)


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(Decimal("0.01"))


def _stacked(
    rows: list[tuple[str, str, int]], statuses: Any
) -> tuple[list[str], list[tuple[Label, list[Any]]]]:
    """(category, status, count) rows → categories and one series per status present."""
    categories = list(dict.fromkeys(c for c, _s, _n in rows))
    present = [s for s in statuses.values if any(r[1] == s for r in rows)]
    counts = {(c, s): n for c, s, n in rows}
    series: list[tuple[Label, list[Any]]] = [
        (statuses(s).label, [counts.get((c, s)) for c in categories]) for s in present
    ]
    return categories, series


# --- Designation ---------------------------------------------------------------------------


def applications_chart(principal: Principal, clock: Clock) -> ChartTable:
    t = clock.today
    overdue = (
        Q(status__in=RUNNING, evaluation_due_on__lt=t)
        | Q(status=ApplicationStatus.PASSED, notice_ends_on__lt=t)
        | Q(status=ApplicationStatus.FAILED, feedback_sent_on__isnull=True, feedback_due_on__lt=t)
    )
    found = {
        r["status"]: r
        for r in applications_for_principal(principal)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=overdue))
    }
    statuses = [s for s in ApplicationStatus if s != ApplicationStatus.DRAFT or s in found]
    rows = [
        [str(s.label), found.get(s, {}).get("n", 0), found.get(s, {}).get("overdue", 0)]
        for s in statuses
    ]
    return ChartTable(
        key="applications",
        title=_("定点申请：各环节数量与逾期计时"),
        headers=[_("环节"), _("申请数"), _("期限已过")],
        rows=rows,
        x_labels=[str(r[0]) for r in rows],
        series=[(_("申请数"), [r[1] for r in rows]), (_("期限已过"), [r[2] for r in rows])],
        description=_("每个环节的申请数，及其中评估期限、公示期或反馈期限已过的数量"),
        notes=[
            _(
                "期限已过：评估截止日（HY-C02）、公示结束日（HY-C03）或结果反馈截止日（HY-C04）已过。"
            )
        ],
    )


def designations_chart(principal: Principal, clock: Clock) -> ChartTable:
    found = dict(
        designations_for_principal(principal)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    rows = [[str(s.label), found.get(s, 0)] for s in DesignationStatus]
    return ChartTable(
        key="designations",
        title=_("定点资格：按状态"),
        headers=[_("状态"), _("药店数")],
        rows=rows,
        x_labels=[str(r[0]) for r in rows],
        series=[(_("药店数"), [r[1] for r in rows])],
        description=_("各状态的定点资格数"),
    )


# --- 特门 filings, fund spend, quota ----------------------------------------------------------


def filings_chart(principal: Principal, clock: Clock) -> ChartTable:
    grouped = (
        filings_for_principal(principal)
        .order_by()
        .values("path", "round_label", "disease__code", "disease__name", "status")
        .annotate(n=Count("pk"))
        .order_by("path", "-round_label", "disease__code", "status")
    )
    rows: list[list[Any]] = []
    per_round: dict[tuple[str, str], int] = {}
    for r in grouped:
        round_ = r["round_label"] or _label(FilingPath, r["path"])
        rows.append([round_, r["disease__name"], _label(FilingStatus, r["status"]), r["n"]])
        key = (round_, r["status"])
        per_round[key] = per_round.get(key, 0) + r["n"]
    x_labels, series = _stacked([(c, s, n) for (c, s), n in per_round.items()], FilingStatus)
    return ChartTable(
        key="filings",
        title=_("特门申报：按批次、状态和病种"),
        headers=[_("申报批次"), _("病种"), _("状态"), _("申报数")],
        rows=rows,
        x_labels=x_labels,
        series=series,
        kind="stacked",
        description=_("每个申报批次各状态的申报数（表中按病种分列）"),
    )


def _settled_since(principal: Principal, clock: Clock) -> Any:
    first = add_months(clock.today.replace(day=1), -(SPEND_MONTHS - 1))
    # From local midnight (a range on the column, so its index can serve it).
    return dispensings_for_principal(principal).filter(
        status=DispensingStatus.SETTLED, dispensed_at__gte=local_start(first)
    )


def spend_month_chart(principal: Principal, clock: Clock) -> ChartTable:
    grouped = {
        r["month"].date() if hasattr(r["month"], "date") else r["month"]: r
        for r in _settled_since(principal, clock)
        .order_by()
        .annotate(month=TruncMonth("dispensed_at"))
        .values("month")
        .annotate(fund=Sum("fund_share"), total=Sum("total"), n=Count("pk"))
    }
    months = [add_months(clock.today.replace(day=1), -i) for i in reversed(range(SPEND_MONTHS))]
    rows = [
        [
            f"{m:%Y-%m}",
            _money(grouped.get(m, {}).get("fund")),
            _money(grouped.get(m, {}).get("total")),
            grouped.get(m, {}).get("n", 0),
        ]
        for m in months
    ]
    return ChartTable(
        key="spend_month",
        title=_("统筹基金支付：按月"),
        headers=[_("月份"), _("统筹基金支付（元）"), _("费用总额（元）"), _("结算笔数")],
        rows=rows,
        x_labels=[r[0] for r in rows],
        series=[(_("统筹基金支付（元）"), [r[1] for r in rows])],
        kind="line",
        description=_("近 12 个月每月已结算购药的统筹基金支付金额（退药不计）"),
    )


def _spend_by(
    principal: Principal, clock: Clock, name: str, code: str, other: Label = ""
) -> list[list[Any]]:
    """Fund share and sales of the last months grouped by `name` (and `code`), largest first."""
    grouped = (
        _settled_since(principal, clock)
        .order_by()
        .values(code, name)
        .annotate(fund=Sum("fund_share"), n=Count("pk"))
        .order_by(F("fund").desc(nulls_last=True), name)
    )
    return [[r[name] or str(other), _money(r["fund"]), r["n"]] for r in grouped]


def _spend_table(
    key: str, title: Label, what: Label, rows: list[list[Any]], description: Label
) -> ChartTable:
    fund = _("统筹基金支付（元）")
    return ChartTable(
        key=key,
        title=title,
        headers=[what, fund, _("结算笔数")],
        rows=rows,
        x_labels=[r[0] for r in rows[:PAGE_ROWS]],
        series=[(fund, [r[1] for r in rows[:PAGE_ROWS]])],
        kind="hbar",
        description=description,
    )


def spend_disease_chart(principal: Principal, clock: Clock) -> ChartTable:
    rows = _spend_by(principal, clock, "disease__name", "disease__code", _("普通门诊（不按病种）"))
    return _spend_table(
        "spend_disease",
        _("统筹基金支付：按病种"),
        _("病种"),
        rows,
        _("近 12 个月已结算购药的统筹基金支付金额，按病种"),
    )


def spend_pharmacy_chart(principal: Principal, clock: Clock) -> ChartTable:
    rows = _spend_by(principal, clock, "pharmacy__organisation__name", "pharmacy_id")
    return _spend_table(
        "spend_pharmacy",
        _("统筹基金支付：按药店"),
        _("药店"),
        rows,
        _("近 12 个月统筹基金支付金额最高的药店"),
    )


def quota_chart(principal: Principal, clock: Clock) -> ChartTable:
    grouped = (
        QuotaAccount.objects.filter(
            period_start__lte=clock.today,
            period_end__gte=clock.today,
            enrolment__patient__in=patients_for_principal(principal).values("pk"),
        )
        .order_by()
        .values("enrolment__disease__code", "enrolment__disease__name")
        .annotate(n=Count("pk"), quota=Sum("quota"), used=Sum("used"))
        .order_by("enrolment__disease__code")
    )
    rows = []
    for r in grouped:
        quota, used = _money(r["quota"]), _money(r["used"])
        share = (used * 100 / quota).quantize(Decimal("0.1")) if quota else Decimal(0)
        rows.append([r["enrolment__disease__name"], r["n"], quota, used, share])
    return ChartTable(
        key="quota",
        title=_("本期额度使用：按病种"),
        headers=[_("病种"), _("额度账户数"), _("额度（元）"), _("已用（元）"), _("使用率（%）")],
        rows=rows,
        x_labels=[r[0] for r in rows[:PAGE_ROWS]],
        series=[
            (_("额度（元）"), [r[2] for r in rows[:PAGE_ROWS]]),
            (_("已用（元）"), [r[3] for r in rows[:PAGE_ROWS]]),
        ],
        description=_("当前额度周期内各病种的额度与已用金额（HY-G07）"),
    )


# --- Stocktakes and findings -------------------------------------------------------------------


def stocktakes_chart(principal: Principal, clock: Clock) -> ChartTable:
    handed_in = Q(status__in=[StocktakeStatus.SUBMITTED, StocktakeStatus.ACCEPTED])
    late = Q(submitted_at__date__gt=F("due_on")) | Q(
        status=StocktakeStatus.OPEN, due_on__lt=clock.today
    )
    grouped = list(
        stocktakes_for_principal(principal)
        .order_by()
        .values("period_start", "period_end")
        .annotate(
            n=Count("pk"),
            submitted=Count("pk", filter=handed_in),
            late=Count("pk", filter=late),
            imbalanced=Count("pk", filter=Q(is_imbalanced=True)),
        )
        .order_by("-period_start", "-period_end")[:STOCKTAKE_PERIODS]
    )
    rows = [
        [
            f"{r['period_start']:%Y-%m-%d}—{r['period_end']:%Y-%m-%d}",
            r["n"],
            r["submitted"],
            r["late"],
            r["imbalanced"],
        ]
        for r in reversed(grouped)
    ]
    return ChartTable(
        key="stocktakes",
        title=_("季度盘点：报送、逾期与账实不符"),
        headers=[_("盘点期"), _("应报送"), _("已报送"), _("逾期"), _("账实不符")],
        rows=rows,
        x_labels=[f"{r['period_start']:%Y-%m}" for r in reversed(grouped)],
        series=[
            (_("已报送"), [r[2] for r in rows]),
            (_("逾期"), [r[3] for r in rows]),
            (_("账实不符"), [r[4] for r in rows]),
        ],
        description=_("最近各盘点期已报送、逾期（晚于截止日报送或至今未报）和账实不符的盘点表数"),
    )


def findings_chart(principal: Principal, clock: Clock) -> ChartTable:
    grouped = list(
        findings_for_principal(principal)
        .order_by()
        .values("rule_id", "status")
        .annotate(n=Count("pk"))
        .order_by("rule_id", "status")
    )
    rows = [[r["rule_id"], _label(FindingStatus, r["status"]), r["n"]] for r in grouped]
    x_labels, series = _stacked(
        [(r["rule_id"], r["status"], r["n"]) for r in grouped], FindingStatus
    )
    return ChartTable(
        key="findings",
        title=_("核查线索：按规则和状态"),
        headers=[_("规则编号"), _("状态"), _("线索数")],
        rows=rows,
        x_labels=x_labels,
        series=series,
        kind="stacked",
        description=_("每条规则发现的线索数，按处理状态"),
    )


Builder = Callable[[Principal, Clock], ChartTable]

CHARTS: dict[str, Builder] = {
    "applications": applications_chart,
    "designations": designations_chart,
    "filings": filings_chart,
    "spend_month": spend_month_chart,
    "spend_disease": spend_disease_chart,
    "spend_pharmacy": spend_pharmacy_chart,
    "quota": quota_chart,
    "stocktakes": stocktakes_chart,
    "findings": findings_chart,
}


def bureau_charts(principal: Principal, clock: Clock) -> list[ChartTable]:
    return [build(principal, clock) for build in CHARTS.values()]
