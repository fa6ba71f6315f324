"""What waits for each person (issue 16.1): counts that link to the filtered list, with
overdue and due-soon badges from the stored working-day due dates.

Every count goes through the owning app's `*_for_principal` selector, so it covers only the
principal's organisation (or, for bureau staff, region). Each source is one aggregate
statement whatever the number of rows; `waiting_for` runs a fixed number of statements
(pinned by tests/dashboards/test_queries.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, DateField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.principal import Principal
from accreditation.models import ApplicationStatus, DesignationStatus
from accreditation.selectors import applications_for_principal, designations_for_principal
from core.calendar import WorkingCalendar, load_calendar
from inventory.models import StocktakeStatus
from inventory.selectors import stocktakes_for_principal
from patients.models import FilingStatus, RetentionStatus
from patients.selectors import filings_for_principal, retentions_for_principal
from pharmacies.models import FilingStatus as StaffFilingStatus
from pharmacies.selectors import filings_for_principal as staff_filings_for_principal
from pharmacies.selectors import missing_payroll_months, pharmacies_for_principal
from prescriptions.models import PrescriptionItem
from prescriptions.selectors import prescription_list_for_principal
from programmes.models import Programme
from programmes.selectors import programmes_for_principal
from supervision.models import FindingStatus
from supervision.selectors import findings_for_principal


@dataclass(frozen=True)
class Waiting:
    """One line of "what waits for me": how many, where they are listed, how many of them are
    past their due date and how many fall due soon."""

    key: str
    label: str | Promise
    count: int
    url: str
    overdue: int = 0
    due_soon: int = 0
    # The due date the badges count from ("" when this step has no stored due date).
    clock: str | Promise = ""
    rule_id: str = ""
    # False: the list has no filter for exactly these rows; the link opens the whole list.
    filtered: bool = True
    # "Due soon" means within this many working days (the setting; a stocktake uses its
    # programme's reminder lead).
    soon_days: int = 0


@dataclass(frozen=True)
class Clock:
    """Today, and the last day that counts as "due soon" (N working days ahead)."""

    today: date
    calendar: WorkingCalendar
    soon_days: int

    @property
    def soon_until(self) -> date:
        return self.calendar.add_working_days(self.today, self.soon_days)

    def soon_until_for(self, days: int | None) -> date:
        return self.calendar.add_working_days(self.today, days or self.soon_days)


Source = Callable[[Principal, Clock], list[Waiting]]


def clock_for(principal: Principal, today: date | None = None) -> Clock:
    """The working-day calendar of the principal's region (its overrides included)."""
    return Clock(
        today=today or timezone.localdate(),
        calendar=load_calendar(region_id=principal.organisation.region_id),
        soon_days=settings.DINGDIAN_DUE_SOON_WORKING_DAYS,
    )


def _link(url_name: str, **params: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode(params)}" if params else url


def _counted(name: str, where: Q, due: str = "", *, today: date, soon: date) -> dict[str, Any]:
    """Filtered counts of one step: all, and (with a due-date field) overdue and due soon."""
    counts: dict[str, Any] = {name: Count("pk", filter=where)}
    if due:
        counts[f"{name}_overdue"] = Count("pk", filter=where & Q(**{f"{due}__lt": today}))
        counts[f"{name}_soon"] = Count(
            "pk", filter=where & Q(**{f"{due}__gte": today, f"{due}__lte": soon})
        )
    return counts


def _item(
    source: str, key: str, agg: dict[str, Any], url: str, label: str | Promise, **kw: Any
) -> Waiting:
    return Waiting(
        key=f"{source}_{key}",
        label=label,
        count=agg[key],
        url=url,
        overdue=agg.get(f"{key}_overdue", 0),
        due_soon=agg.get(f"{key}_soon", 0),
        **kw,
    )


# --- Designation: applications, designations, pharmacists' filings --------------------------

RUNNING = [ApplicationStatus.ACCEPTED, ApplicationStatus.INSPECTION]


def _application_counts(principal: Principal, clock: Clock) -> dict[str, Any]:
    t, s = clock.today, clock.soon_until
    status = ApplicationStatus
    return applications_for_principal(principal).aggregate(
        **_counted("submitted", Q(status=status.SUBMITTED), today=t, soon=s),
        **_counted("accepted", Q(status=status.ACCEPTED), "evaluation_due_on", today=t, soon=s),
        **_counted("inspection", Q(status=status.INSPECTION), "evaluation_due_on", today=t, soon=s),
        **_counted("running", Q(status__in=RUNNING), "evaluation_due_on", today=t, soon=s),
        **_counted("supplement", Q(status=status.SUPPLEMENT), today=t, soon=s),
        **_counted("draft", Q(status=status.DRAFT), today=t, soon=s),
        # The notice is a clock too: once it has ended the agreement is to be signed (HY-C03).
        **_counted("passed", Q(status=status.PASSED), "notice_ends_on", today=t, soon=s),
        **_counted(
            "failed",
            Q(status=status.FAILED, feedback_sent_on__isnull=True),
            "feedback_due_on",
            today=t,
            soon=s,
        ),
    )


# (step, worklist parameters, label, due date the badges count from, rule ID)
REVIEWER_STEPS: tuple[tuple[str, dict[str, str], Any, Any, str], ...] = (
    ("submitted", {}, _("待受理的定点申请"), "", "HY-C01"),
    ("accepted", {"sort": "due"}, _("评估中的定点申请"), _("评估截止日"), "HY-C02"),
    ("inspection", {"sort": "due"}, _("待现场查勘的定点申请"), _("评估截止日"), "HY-C02"),
    ("supplement", {}, _("补充材料中（评估期限暂停）"), "", ""),
    ("passed", {}, _("公示中或公示期满待签订协议"), _("公示结束日"), "HY-C03"),
    ("failed", {}, _("评估不合格，待发出结果反馈函"), _("结果反馈截止日"), "HY-C04"),
)


def _reviewer_applications(principal: Principal, clock: Clock) -> list[Waiting]:
    agg = _application_counts(principal, clock)
    return [
        _item(
            "applications",
            step,
            agg,
            _link("accreditation:review", status=step, **params),
            label,
            clock=due,
            rule_id=rule_id,
            # The worklist shows every failed application, letters already sent included.
            filtered=step != ApplicationStatus.FAILED,
        )
        for step, params, label, due, rule_id in REVIEWER_STEPS
    ]


def _admin_applications(principal: Principal, clock: Clock) -> list[Waiting]:
    agg = _application_counts(principal, clock)
    return [
        _item(
            "applications",
            "running",
            agg,
            # The worklist filters one status at a time; sorted by due date, the running
            # applications (accepted and on-site inspection) come first.
            _link("accreditation:review", sort="due"),
            _("评估期限计时中的定点申请"),
            clock=_("评估截止日"),
            rule_id="HY-C02",
            filtered=False,
        )
    ]


def _pharmacy_applications(principal: Principal, clock: Clock) -> list[Waiting]:
    agg = _application_counts(principal, clock)
    url = _link("accreditation:applications")  # the pharmacy's list has no status filter
    return [
        _item("applications", "supplement", agg, url, _("须补充材料的定点申请"), filtered=False),
        _item("applications", "draft", agg, url, _("尚未提交的定点申请"), filtered=False),
    ]


def _rectifications(principal: Principal, clock: Clock) -> list[Waiting]:
    agg = designations_for_principal(principal).aggregate(
        **_counted(
            "rectification",
            Q(status=DesignationStatus.RECTIFICATION),
            "rectification_until",
            today=clock.today,
            soon=clock.soon_until,
        )
    )
    return [
        _item(
            "designations",
            "rectification",
            agg,
            _link("accreditation:designations"),  # no status filter on the designation list
            _("整改期中的定点药店"),
            clock=_("整改期截止日"),
            rule_id="HY-C05",
            filtered=False,
        )
    ]


def _staff_filings(principal: Principal, clock: Clock) -> list[Waiting]:
    count = (
        staff_filings_for_principal(principal)
        .filter(filing_status=StaffFilingStatus.SUBMITTED)
        .count()
    )
    return [
        Waiting(
            key="staff_filings",
            label=_("待审核的药师备案"),
            count=count,
            url=_link("pharmacies:filings", status=StaffFilingStatus.SUBMITTED),
            rule_id="HY-E01",
        )
    ]


def _payroll(principal: Principal, clock: Clock) -> list[Waiting]:
    """HY-E01: payroll statements of new hires not yet provided, each due at the end of the
    month after its month (the same reading as the daily deadline scan)."""
    pharmacy = pharmacies_for_principal(principal).first()
    first_day = (
        designations_for_principal(principal)
        .order_by("starts_on")
        .values_list("starts_on", flat=True)
        .first()
    )
    months = max(
        (p.payroll_evidence_months or 0 for p in programmes_for_principal(principal)), default=0
    )
    gaps = []
    if pharmacy is not None and first_day is not None and months:
        # Only hires since the designation started, as the daily scan reads them.
        gaps = missing_payroll_months(
            months=months, on=clock.today, pharmacy=pharmacy, hired_from={pharmacy.pk: first_day}
        )
    soon = clock.soon_until
    return [
        Waiting(
            key="payroll",
            label=_("未提供的新聘职工工资银行流水（月）"),
            count=len(gaps),
            url=_link("pharmacies:staff"),
            overdue=sum(1 for g in gaps if g.due_on < clock.today),
            due_soon=sum(1 for g in gaps if clock.today <= g.due_on <= soon),
            clock=_("流水提供截止日"),
            rule_id="HY-E01",
            filtered=False,
        )
    ]


# --- Stocktakes, findings, retained cards ------------------------------------------------------


def _stocktake_soon(clock: Clock) -> Q:
    """Due soon by each programme's own reminder lead (HY-E06), else the setting's."""
    leads = dict(
        Programme.objects.filter(stocktake_reminder_working_days__isnull=False).values_list(
            "pk", "stocktake_reminder_working_days"
        )
    )
    soon = Q(due_on__lte=clock.soon_until) & ~Q(programme_id__in=list(leads))
    for programme_id, days in leads.items():
        soon |= Q(programme_id=programme_id, due_on__lte=clock.soon_until_for(days))
    return soon


def _stocktake_counts(principal: Principal, clock: Clock) -> dict[str, Any]:
    is_open = Q(status=StocktakeStatus.OPEN)
    return stocktakes_for_principal(principal).aggregate(
        open=Count("pk", filter=is_open),
        open_overdue=Count("pk", filter=is_open & Q(due_on__lt=clock.today)),
        open_soon=Count("pk", filter=is_open & Q(due_on__gte=clock.today) & _stocktake_soon(clock)),
        submitted=Count("pk", filter=Q(status=StocktakeStatus.SUBMITTED)),
    )


def _open_stocktakes(principal: Principal, clock: Clock) -> list[Waiting]:
    agg = _stocktake_counts(principal, clock)
    label = _("未报送的季度盘点表") if principal.is_bureau else _("待盘点并报送的盘点表")
    return [
        _item(
            "stocktakes",
            "open",
            agg,
            _link("inventory:stocktakes", status=StocktakeStatus.OPEN),
            label,
            clock=_("报送截止日"),
            rule_id="HY-E06",
        )
    ]


def _review_stocktakes(principal: Principal, clock: Clock) -> list[Waiting]:
    agg = _stocktake_counts(principal, clock)
    url = "inventory:stocktakes"
    return [
        _item(
            "stocktakes",
            "submitted",
            agg,
            _link(url, status=StocktakeStatus.SUBMITTED),
            _("待审核的盘点表"),
            rule_id="HY-E06",
        ),
        _item(
            "stocktakes",
            "open",
            agg,
            _link(url, status=StocktakeStatus.OPEN),
            _("未报送的季度盘点表"),
            clock=_("报送截止日"),
            rule_id="HY-E06",
        ),
    ]


def _findings(principal: Principal, clock: Clock) -> list[Waiting]:
    agg = findings_for_principal(principal).aggregate(
        open=Count("pk", filter=Q(status=FindingStatus.OPEN)),
        in_review=Count("pk", filter=Q(status=FindingStatus.IN_REVIEW)),
    )
    url = "supervision:findings"
    return [
        _item(
            "findings", "open", agg, _link(url, status=FindingStatus.OPEN), _("待处理的核查线索")
        ),
        _item(
            "findings",
            "in_review",
            agg,
            _link(url, status=FindingStatus.IN_REVIEW),
            _("核查中的线索"),
        ),
    ]


def _retentions(status: str, label: str | Promise) -> Source:
    def source(principal: Principal, clock: Clock) -> list[Waiting]:
        count = retentions_for_principal(principal).filter(status=status).count()
        # The register has no status filter: the link opens the whole register.
        url = _link("patients:retention_list")
        return [Waiting(f"retention_{status}", label, count, url, rule_id="HY-E08", filtered=False)]

    return source


# --- 特门 filings and prescriptions ------------------------------------------------------------


def _filings(*steps: tuple[str, str | Promise]) -> Source:
    """Filings at the given statuses. No filing step has a stored due date (the policy sets
    none): counts only."""

    def source(principal: Principal, clock: Clock) -> list[Waiting]:
        agg = filings_for_principal(principal).aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status, _label in steps}
        )
        return [
            _item("filings", status, agg, _link("patients:filing_list", status=status), label)
            for status, label in steps
        ]

    return source


def _physician_prescriptions(principal: Principal, clock: Clock) -> list[Waiting]:
    """The physician's own prescriptions still valid with something left to dispense."""
    left = PrescriptionItem.objects.filter(
        prescription=OuterRef("pk"), dispensed_quantity__lt=F("quantity")
    )
    # PostgreSQL: date + integer is the date that many days later.
    last_day = ExpressionWrapper(F("issued_on") + F("valid_days"), output_field=DateField())
    count = (
        prescription_list_for_principal(principal)
        .filter(physician=principal.user)
        .alias(last_day=last_day)
        .filter(Exists(left), last_day__gte=clock.today)
        .count()
    )
    return [
        Waiting(
            key="open_prescriptions",
            label=_("本人开具、仍有效且尚未配完的处方"),
            count=count,
            url=_link("prescriptions:prescriptions"),  # the list has no "open" filter
            filtered=False,
        )
    ]


SOURCES: dict[str, tuple[Source, ...]] = {
    Role.BUREAU_ADMIN: (_admin_applications, _open_stocktakes, _findings),
    Role.BUREAU_REVIEWER: (
        _reviewer_applications,
        _rectifications,
        _staff_filings,
        _review_stocktakes,
        _findings,
        _retentions(RetentionStatus.APPLIED, _("待审批的社保卡留存备案")),
    ),
    Role.BENEFITS_OFFICER: (
        _filings(
            (FilingStatus.ROSTERED, _("已报送名册、待分配专家的申报")),
            (FilingStatus.ASSIGNED, _("专家评审中的申报")),
        ),
    ),
    Role.EXPERT_REVIEWER: (_filings((FilingStatus.ASSIGNED, _("分配给我评审的申报"))),),
    Role.WINDOW_CLERK: (
        _filings(
            (FilingStatus.LODGED, _("已受理、待初审的申报")),
            (FilingStatus.PRELIMINARY_PASSED, _("初审通过、待报送名册的申报")),
        ),
    ),
    Role.PHYSICIAN: (_physician_prescriptions,),
    Role.PHARMACY_MANAGER: (
        _pharmacy_applications,
        _open_stocktakes,
        _payroll,
        _retentions(RetentionStatus.APPROVED, _("中心已同意、待留存的社保卡")),
    ),
    Role.PHARMACIST: (
        _open_stocktakes,
        _retentions(RetentionStatus.APPROVED, _("中心已同意、待留存的社保卡")),
    ),
    # The national catalogue has no step that waits on a due date or on someone else.
    Role.CATALOGUE_ADMIN: (),
}


def waiting_for(principal: Principal, *, today: date | None = None) -> list[Waiting]:
    """What waits for the principal's role, scoped to their organisation or region."""
    sources = SOURCES.get(principal.role or "", ())
    if not sources:
        return []
    clock = clock_for(principal, today)
    return [
        replace(item, soon_days=clock.soon_days)
        for source in sources
        for item in source(principal, clock)
    ]
