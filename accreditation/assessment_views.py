"""Pages of the yearly assessment sheet (HY-E09): open, score the manual lines, conclude, and
the sheet as a PDF. Scoped like the designation: the pharmacy sees its own, the bureau its
region; anyone else gets 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import Role
from accounts.permissions import principal_of, require_role
from accreditation import scoring
from accreditation.models import AssessmentSheet, IndicatorMethod
from accreditation.permissions import access_designation
from accreditation.selectors import agency_name_for, designations_for_principal
from core.actions import run_posted
from core.models import AuditAction
from core.responses import pdf_response
from core.widgets import DateInput

VIEWERS = (Role.PHARMACY_MANAGER, Role.PHARMACIST, Role.BUREAU_REVIEWER, Role.BUREAU_ADMIN)


class OpenForm(forms.Form):
    period_start = forms.DateField(label=gettext_lazy("考核期起"), widget=DateInput())
    period_end = forms.DateField(label=gettext_lazy("考核期止"), widget=DateInput())


class ConcludeForm(forms.Form):
    rectification_until = forms.DateField(
        label=gettext_lazy("整改期截止日（结论为限期整改时填写）"),
        required=False,
        widget=DateInput(),
    )
    notes = forms.CharField(
        label=gettext_lazy("考核意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ScoreForm(forms.Form):
    """Points and a note for each manual line of the sheet."""

    def __init__(self, *args: Any, sheet: AssessmentSheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_ids: list[int] = []
        for line in sheet.lines.filter(method=IndicatorMethod.MANUAL):
            self.line_ids.append(line.pk)
            self.fields[f"points_{line.pk}"] = forms.DecimalField(
                label=_("%(l)s 得分（满分 %(m)s）") % {"l": line.label, "m": line.max_points},
                min_value=Decimal(0),
                max_value=line.max_points,
                decimal_places=1,
                initial=line.points,
            )
            self.fields[f"note_{line.pk}"] = forms.CharField(
                label=_("%(l)s 评分说明") % {"l": line.label},
                required=False,
                initial=line.note,
            )

    def scores(self) -> dict[int, tuple[Decimal, str]]:
        data = self.cleaned_data
        return {pk: (data[f"points_{pk}"], data[f"note_{pk}"]) for pk in self.line_ids}


def _sheet(request: HttpRequest, pk: int) -> AssessmentSheet:
    visible = designations_for_principal(principal_of(request))
    return get_object_or_404(
        AssessmentSheet.objects.select_related(
            "designation__pharmacy__organisation", "designation__programme", "assessment"
        ).filter(designation__in=visible),
        pk=pk,
    )


def _default_period(today: date) -> tuple[date, date]:
    return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)


@require_role(*VIEWERS)
def sheet_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The sheets of a designation, and (reviewer) the form to open the next one."""
    designation = access_designation(principal_of(request), pk)
    start, end = _default_period(timezone.localdate())
    return render(
        request,
        "accreditation/assessment_sheets.html",
        {
            "designation": designation,
            "sheets": designation.assessment_sheets.all(),
            "form": OpenForm(initial={"period_start": start, "period_end": end}),
            "may_edit": principal_of(request).has_role(Role.BUREAU_REVIEWER),
        },
    )


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def sheet_open(request: HttpRequest, pk: int) -> HttpResponse:
    designation = access_designation(principal_of(request), pk, write=True)
    sheet = run_posted(
        request,
        OpenForm(request.POST),
        lambda d: scoring.sheet_open(
            designation=designation,
            start=d["period_start"],
            end=d["period_end"],
            actor=request.user,  # type: ignore[arg-type]
        ),
        success=_("考核评分表已生成，自动指标已按数据评分；请为人工评分指标打分。"),
    )
    if sheet is None:
        return redirect("accreditation:assessment_sheets", pk=pk)
    return redirect("accreditation:assessment_sheet", pk=sheet.pk)


@require_role(*VIEWERS)
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    may_edit = principal_of(request).has_role(Role.BUREAU_REVIEWER) and not sheet.assessment_id
    return render(
        request,
        "accreditation/assessment_sheet.html",
        {
            "sheet": sheet,
            "lines": sheet.lines.all(),
            "total": scoring.sheet_total(sheet) if not sheet.assessment_id else sheet.total,
            "score_form": ScoreForm(sheet=sheet) if may_edit else None,
            "conclude_form": ConcludeForm() if may_edit else None,
        },
    )


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def sheet_score(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    form = ScoreForm(request.POST, sheet=sheet)
    run_posted(
        request,
        form,
        lambda d: scoring.sheet_score(
            sheet=sheet,
            scores=form.scores(),
            actor=request.user,  # type: ignore[arg-type]
        ),
        success=_("人工评分已保存。"),
    )
    return redirect("accreditation:assessment_sheet", pk=pk)


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def sheet_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    run_posted(
        request,
        ConcludeForm(request.POST),
        lambda d: scoring.sheet_conclude(
            sheet=sheet,
            actor=request.user,  # type: ignore[arg-type]
            notes=d["notes"],
            rectification_until=d["rectification_until"],
        ),
        success=_("考核已办结，定点资格状态已按考核结论更新；评分表可在本页下载。"),
    )
    return redirect("accreditation:assessment_sheet", pk=pk)


@require_role(*VIEWERS)
def sheet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """HY-E09: the scored sheet as a PDF, audited like the other documents."""
    sheet = _sheet(request, pk)
    designation = sheet.designation
    filename = f"assessment-{sheet.pk}.pdf"
    context = {
        "sheet": sheet,
        "lines": sheet.lines.all(),
        "total": sheet.total if sheet.assessment_id else scoring.sheet_total(sheet),
        "designation": designation,
        "agency": agency_name_for(designation.pharmacy),
    }
    response = pdf_response("accreditation/pdf/assessment_sheet.html", context, filename)
    audit(
        request,
        action=AuditAction.DOCUMENT,
        obj=sheet,
        region_id=designation.pharmacy.organisation.region_id,
        detail=filename,
    )
    return response
