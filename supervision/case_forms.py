"""Forms of inspection cases: parse input for one service each (supervision.case_services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accreditation.models import ViolationDecision
from core.actions import decision_field
from core.widgets import DateInput
from programmes.models import Programme
from supervision.case_models import CaseOutcome, PenaltyKind


class DrawForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("方案"), queryset=Programme.objects.all())
    size = forms.IntegerField(label=_("抽取数量"), min_value=1)
    seed = forms.IntegerField(
        label=_("随机种子"),
        required=False,
        min_value=0,
        help_text=_("留空则由系统生成；记录在案，可据此复核抽取结果。"),
    )


class OpenCaseForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("方案"), queryset=Programme.objects.all())


class AssignForm(forms.Form):
    inspector = forms.IntegerField(label=_("检查人员"))


class ScheduleForm(forms.Form):
    planned_on = forms.DateField(label=_("计划检查日期"), widget=DateInput)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("文件"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class ConcludeForm(forms.Form):
    # No outcome nor decision pre-selected (issue 16.3): the inspector chooses.
    outcome = decision_field(_("结论"), choices=CaseOutcome.choices)
    conclusion = forms.CharField(label=_("检查结论"), widget=forms.Textarea)
    rectify_by = forms.DateField(label=_("整改期限"), required=False, widget=DateInput)
    decision = decision_field(
        _("处理决定（违规处理时选择）"), choices=ViolationDecision.choices, required=False
    )
    rule_id = forms.CharField(label=_("依据规则"), max_length=10, initial="HY-E10")
    major = forms.BooleanField(label=_("重大违规"), required=False)
    refused_amount = forms.DecimalField(
        label=_("拒付金额（元）"), max_digits=12, decimal_places=2, required=False
    )
    suspended_until = forms.DateField(label=_("暂停至"), required=False, widget=DateInput)


class RecoveryForm(forms.Form):
    dispensings = forms.CharField(label=_("所涉结算单号"), help_text=_("多个单号以逗号或空格分隔"))
    amount = forms.DecimalField(label=_("追回金额（元）"), max_digits=12, decimal_places=2)
    reason = forms.CharField(label=_("追回事由"), max_length=500)


class PenaltyForm(forms.Form):
    kind = decision_field(_("处罚种类"), choices=PenaltyKind.choices)
    amount = forms.DecimalField(
        label=_("金额（元）"), max_digits=12, decimal_places=2, required=False
    )
    basis = forms.CharField(label=_("处罚依据"), max_length=500)
    decided_on = forms.DateField(label=_("决定日期"), widget=DateInput)
