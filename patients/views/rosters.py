"""Roster pages (HY-F01): the hospital submits its preliminarily passed filings as a roster;
the bureau assigns a roster's filings to an expert; PDF and Excel copies."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import OrganisationKind, Role
from accounts.permissions import principal_of, require_role
from core.actions import confirm_page, run_service
from core.exports import xlsx_response
from core.lists import Search, list_page
from core.models import AuditAction
from core.responses import pdf_response
from patients import services
from patients.forms import AssignForm
from patients.models import FilingStatus
from patients.permissions import access_roster_for_principal
from patients.selectors import experts_for_principal, filings_for_principal, rosters_for_principal
from patients.views import lists
from patients.views.common import run_posted, user_of


@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)
def roster_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    pending = None
    if principal.organisation.kind == OrganisationKind.HOSPITAL:
        pending = filings_for_principal(principal).filter(
            reviewing_hospital=principal.organisation,
            status=FilingStatus.PRELIMINARY_PASSED,
            roster__isnull=True,
        )
    result = list_page(
        request,
        rosters_for_principal(principal).annotate(filing_count=Count("filings")),
        lists.roster_columns(),
        empty=_("暂无名册。"),
        search=Search(
            fields=("number__icontains", "hospital__name__icontains"),
            placeholder=_("名册编号或医院"),
        ),
        default_sort="-submitted_at",
        table_id="rosters",
        export_name=_("初审名册"),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(
        request,
        "patients/roster_list.html",
        {"list": result, "table": result.table, "pending": pending},
    )


@require_POST
@require_role(Role.WINDOW_CLERK)
def roster_submit(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    if principal.organisation.kind != OrganisationKind.HOSPITAL:
        return redirect("patients:roster_list")
    asked = confirm_page(
        request,
        action=_("生成名册并报送"),
        obj=principal.organisation,
        consequence=_(
            "本院初审通过、尚未报送的申报将生成一份名册报送医保局待遇保障股，"
            "由其分配评审专家；报送后名册不能修改或撤回。"
        ),
        back=reverse("patients:roster_list"),
    )
    if asked is not None:
        return asked
    roster = run_service(
        request,
        lambda: services.roster_submit(hospital=principal.organisation, actor=user_of(request)),
        success=_(
            "名册已生成并报送待遇保障股；下一步由待遇保障股分配评审专家，评审结论将通知本窗口。"
        ),
    )
    if roster is not None:
        return redirect("patients:roster_detail", pk=roster.pk)
    return redirect("patients:roster_list")


def _roster_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    roster = access_roster_for_principal(principal_of(request), pk)
    filings = roster.filings.select_related("patient", "disease", "window", "expert").order_by("id")
    return {"roster": roster, "filings": filings}


@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)
def roster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = _roster_context(request, pk)
    principal = principal_of(request)
    if principal.has_role(Role.BENEFITS_OFFICER) and any(
        f.status == FilingStatus.ROSTERED for f in ctx["filings"]
    ):
        ctx["assign_form"] = AssignForm(experts=experts_for_principal(principal))
    return render(request, "patients/roster_detail.html", ctx)


@require_POST
@require_role(Role.BENEFITS_OFFICER)
def roster_assign(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    roster = access_roster_for_principal(principal, pk)
    run_posted(
        request,
        AssignForm(request.POST, experts=experts_for_principal(principal)),
        lambda data: services.roster_assign(
            roster=roster,
            expert=data["expert"],
            actor=user_of(request),
            organisation=principal.organisation,
        ),
        success=_("已将名册中的申报分配给评审专家，专家已收到评审通知。"),
    )
    return redirect("patients:roster_detail", pk=pk)


@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)
def roster_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = _roster_context(request, pk)
    response = pdf_response("patients/roster_pdf.html", ctx, f"{ctx['roster'].number}.pdf")
    audit(
        request,
        action=AuditAction.EXPORT,
        obj=ctx["roster"],
        detail=f"roster {ctx['roster'].number} pdf, {len(ctx['filings'])} filings",
    )
    return response


@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)
def roster_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = _roster_context(request, pk)
    headers = [
        _("申报编号"),
        _("姓名"),
        _("身份证号"),
        _("参保类型"),
        _("病种"),
        _("受理窗口"),
        _("受理日期"),
    ]
    rows = [
        [
            f.number,
            f.patient.name,
            f.patient.masked_id,
            f.patient.get_insured_type_display(),
            f.disease.name,
            f.window.name,
            f.lodged_on.isoformat(),
        ]
        for f in ctx["filings"]
    ]
    response = xlsx_response(f"{ctx['roster'].number}.xlsx", headers, rows, title=_("初审名册"))
    audit(
        request,
        action=AuditAction.EXPORT,
        obj=ctx["roster"],
        detail=f"roster {ctx['roster'].number} xlsx, {len(ctx['filings'])} filings",
    )
    return response
