from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.models import BUREAU_ROLES, Role
from accounts.permissions import principal_of, require_role
from core.actions import confirm_page, run_service
from core.lists import Filter, Search, list_page
from core.tables import Cell, Column
from programmes.selectors import programmes_for_principal
from supervision.forms import FindingMoveForm
from supervision.models import Finding, FindingPriority, FindingStatus
from supervision.selectors import findings_for_principal, price_compliance_for_principal
from supervision.services import finding_transition
from supervision.transitions import FINDING_FINAL, FINDING_TRANSITIONS

# What the reviewer is told after each move: what happened and what comes next.
MOVED = {
    FindingStatus.IN_REVIEW: _("线索已转为核查中；核查完成后请在本页办结。"),
    FindingStatus.CLOSED: _("线索已办结，核查经过记入办理记录。"),
    FindingStatus.OPEN: _("线索已退回待处理，等待重新安排核查。"),
}


def _finding_columns() -> list[Column[Finding]]:
    def priority(f: Finding) -> Cell:
        urgent = f.priority == FindingPriority.PRIORITY_INSPECTION
        return Cell(f.get_priority_display(), badge="bad" if urgent else None)

    return [
        Column(
            "raised",
            _("发现时间"),
            lambda f: localtime(f.raised_at).strftime("%Y-%m-%d %H:%M"),
            "raised_at",
        ),
        Column("organisation", _("机构"), lambda f: f.organisation.name, "organisation__name"),
        Column("rule", _("规则"), lambda f: f.rule_id, "rule_id"),
        Column("kind", _("类型"), lambda f: f.get_kind_display(), "kind"),
        Column("priority", _("优先级"), priority, "priority"),
        Column(
            "summary",
            _("摘要"),
            lambda f: Cell(f.display_summary(), url=reverse("supervision:detail", args=[f.pk])),
        ),
        Column("status", _("状态"), lambda f: f.get_status_display(), "status"),
    ]


@require_role(*BUREAU_ROLES)
def finding_list(request: HttpRequest) -> HttpResponse:
    findings = findings_for_principal(principal_of(request)).select_related("organisation")
    rules = findings.order_by("rule_id").values_list("rule_id", flat=True).distinct()
    result = list_page(
        request,
        findings,
        _finding_columns(),
        empty=_("暂无线索。"),
        search=Search(
            fields=("organisation__name__icontains", "rule_id__iexact"),
            placeholder=_("机构名称或规则编号"),
        ),
        filters=[
            Filter("status", _("状态"), FindingStatus.choices, "status"),
            Filter("rule", _("规则"), [(r, r) for r in rules], "rule_id"),
            Filter("priority", _("优先级"), FindingPriority.choices, "priority"),
        ],
        default_sort="-raised",
        table_id="findings",
        export_name=_("核查线索"),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(request, "supervision/findings.html", {"list": result, "table": result.table})


def _finding_page(
    request: HttpRequest, finding: Finding, form: FindingMoveForm | None = None
) -> HttpResponse:
    principal = principal_of(request)
    moves = [
        (s, FindingStatus(s).label) for s in sorted(FINDING_TRANSITIONS.get(finding.status, ()))
    ]
    return render(
        request,
        "supervision/finding_detail.html",
        {
            "finding": finding,
            "events": finding.events.select_related("actor"),
            "moves": moves if principal.has_role(Role.BUREAU_REVIEWER) else [],
            "form": form,
            # Inspection cases (issue 17.2): the finding's page opens one and links to them.
            "can_open_case": principal.has_role(Role.BUREAU_REVIEWER)
            and finding.status != FindingStatus.CLOSED
            and finding.pharmacy_id is not None,
            "programmes": programmes_for_principal(principal),
        },
    )


@require_role(*BUREAU_ROLES)
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _finding_page(
        request, get_object_or_404(findings_for_principal(principal_of(request)), pk=pk)
    )


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def finding_move(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(findings_for_principal(principal_of(request)), pk=pk)
    form = FindingMoveForm(request.POST)
    if form.is_valid():
        to = form.cleaned_data["to"]
        if to in FINDING_FINAL:
            asked = confirm_page(
                request,
                action=FindingStatus(to).label,
                obj=finding,
                consequence=_(
                    "办结后线索不能重新打开，核查经过和说明记入办理记录；如需继续处理，须另立线索。"
                ),
                back=reverse("supervision:detail", kwargs={"pk": pk}),
            )
            if asked is not None:
                return asked
        run_service(
            request,
            lambda: finding_transition(
                finding=finding,
                to=to,
                actor=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            ),
            success=MOVED[to],
            form=form,
        )
    if form.errors:
        return _finding_page(request, finding, form)
    return redirect("supervision:detail", pk=pk)


@require_role(*BUREAU_ROLES)
def price_compliance(request: HttpRequest) -> HttpResponse:
    """HY-B02 / GY-C01: each pharmacy's share of sales at or below the price cap, region-wide."""
    return render(
        request,
        "supervision/price_compliance.html",
        {"tables": price_compliance_for_principal(principal_of(request))},
    )
