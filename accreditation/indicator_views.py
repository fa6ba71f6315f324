"""The yearly assessment indicators and thresholds of a programme (HY-E09): bureau staff of the
programme's regions read them with their history; bureau admins edit them with a reason."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import principal_of, require_role
from accreditation import scoring
from accreditation.models import AssessmentIndicator, AssessmentScheme, IndicatorMethod
from core.actions import run_posted
from programmes.selectors import programmes_for_principal

BUREAU = (Role.BUREAU_ADMIN, Role.BUREAU_REVIEWER)


class SchemeForm(forms.Form):
    renewal_min = forms.DecimalField(
        label=gettext_lazy("续签最低分"), max_digits=5, decimal_places=1
    )
    rectification_min = forms.DecimalField(
        label=gettext_lazy("整改最低分"), max_digits=5, decimal_places=1
    )
    reason = forms.CharField(label=gettext_lazy("修改原因"))


class IndicatorForm(forms.Form):
    weight = forms.DecimalField(label=gettext_lazy("权重（分）"), max_digits=5, decimal_places=1)
    max_points = forms.DecimalField(label=gettext_lazy("满分"), max_digits=5, decimal_places=1)
    method = forms.ChoiceField(label=gettext_lazy("评分方式"), choices=IndicatorMethod.choices)
    metric = forms.CharField(label=gettext_lazy("自动指标"), required=False)
    params = forms.CharField(label=gettext_lazy("评分参数"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False)
    reason = forms.CharField(label=gettext_lazy("修改原因"))

    def clean_params(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("params") or "{}"
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("评分参数须为 JSON 对象。")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("评分参数须为 JSON 对象。"))
        return value


def _scheme(request: HttpRequest, code: str) -> AssessmentScheme:
    programmes = programmes_for_principal(principal_of(request))
    return get_object_or_404(
        AssessmentScheme.objects.select_related("programme").filter(programme__in=programmes),
        programme__code=code,
    )


@require_role(*BUREAU)
def indicators(request: HttpRequest, code: str) -> HttpResponse:
    scheme = _scheme(request, code)
    is_admin = principal_of(request).has_role(Role.BUREAU_ADMIN)
    rows = [
        (
            i,
            IndicatorForm(
                initial={
                    "weight": i.weight,
                    "max_points": i.max_points,
                    "method": i.method,
                    "metric": i.metric,
                    "params": json.dumps(i.params, ensure_ascii=False),
                    "is_active": i.is_active,
                },
                auto_id=f"id_{i.pk}_%s",
            )
            if is_admin
            else None,
        )
        for i in scheme.indicators.all()
    ]
    history = list(scheme.history.select_related("history_user")[:20]) + list(
        AssessmentIndicator.history.filter(scheme_id=scheme.pk).select_related("history_user")[:50]
    )
    history.sort(key=lambda h: h.history_date, reverse=True)
    return render(
        request,
        "accreditation/assessment_indicators.html",
        {
            "scheme": scheme,
            "rows": rows,
            "total_weight": sum((i.weight for i in scheme.indicators.all()), Decimal(0)),
            "scheme_form": SchemeForm(
                initial={
                    "renewal_min": scheme.renewal_min,
                    "rectification_min": scheme.rectification_min,
                }
            )
            if is_admin
            else None,
            "history": history,
            "metrics": sorted(scoring.METRICS),
        },
    )


@require_POST
@require_role(Role.BUREAU_ADMIN)
def scheme_edit(request: HttpRequest, code: str) -> HttpResponse:
    scheme = _scheme(request, code)
    run_posted(
        request,
        SchemeForm(request.POST),
        lambda d: scoring.scheme_save(
            scheme=scheme,
            actor=request.user,  # type: ignore[arg-type]
            changes={k: d[k] for k in ("renewal_min", "rectification_min")},
            reason=d["reason"],
        ),
        success=_("考核阈值已修改，修改记录已保存。"),
    )
    return redirect("accreditation:assessment_indicators", code=code)


@require_POST
@require_role(Role.BUREAU_ADMIN)
def indicator_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    scheme = _scheme(request, code)
    indicator = get_object_or_404(scheme.indicators, pk=pk)
    fields = ("weight", "max_points", "method", "metric", "params", "is_active")
    run_posted(
        request,
        IndicatorForm(request.POST),
        lambda d: scoring.indicator_save(
            indicator=indicator,
            actor=request.user,  # type: ignore[arg-type]
            changes={k: d[k] for k in fields},
            reason=d["reason"],
        ),
        success=_("考核指标已修改，修改记录已保存。"),
    )
    return redirect("accreditation:assessment_indicators", code=code)
