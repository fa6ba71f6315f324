from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accreditation.checklists import inspection_items, uploadable_kinds
from accreditation.models import AssessmentResult, ViolationDecision
from core.widgets import DateInput
from programmes.models import Programme


class ApplicationCreateForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("申请方案"), queryset=Programme.objects.none())

    def __init__(self, *args: Any, programmes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料"))
    file = forms.FileField(label=_("文件（PDF、JPEG、PNG）"))

    def __init__(self, *args: Any, programme_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (k, d.label) for k, d in uploadable_kinds(programme_code).items()
        ]


class PledgeForm(forms.Form):
    truthful = forms.BooleanField(label=_("本店承诺所提供材料真实、合法"), required=False)
    security = forms.BooleanField(label=_("本店承诺遵守信息安全保密规定"), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class PassForm(forms.Form):
    """The evaluation passes: one checkbox per failing soft condition, by its rule ID."""

    note = forms.CharField(
        label=_("评估意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    acknowledged = forms.MultipleChoiceField(
        label=_("确认以下不符合的条件（逐项勾选）"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, conditions: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["acknowledged"]
        field.choices = [  # type: ignore[attr-defined]
            (c.rule_id, f"{c.rule_id} {c.label}（{c.data}）") for c in conditions
        ]
        if not conditions:
            del self.fields["acknowledged"]


class InspectionForm(forms.Form):
    notes = forms.CharField(
        label=_("查勘记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, programme_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in inspection_items(programme_code):
            self.fields[item.key] = forms.BooleanField(
                label=f"{item.label}（{item.rule_id}）", required=False
            )


class AssessmentForm(forms.Form):
    result = forms.ChoiceField(label=_("考核结果"), choices=AssessmentResult.choices)
    rectification_until = forms.DateField(
        label=_("整改期截止日（考核不合格时填写）"), required=False, widget=DateInput()
    )
    notes = forms.CharField(
        label=_("考核意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ViolationForm(forms.Form):
    found_on = forms.DateField(label=_("查实日期"), widget=DateInput())
    finding = forms.CharField(label=_("违规事实"), widget=forms.Textarea(attrs={"rows": 3}))
    rule_id = forms.ChoiceField(
        label=_("依据规则"),
        choices=[("HY-E10", "HY-E10"), ("GY-E04", "GY-E04"), ("GY-B02", "GY-B02")],
    )
    major = forms.BooleanField(label=_("重大违规（影响今后申请，HY-A01）"), required=False)
    decision = forms.ChoiceField(label=_("处理决定"), choices=ViolationDecision.choices)
    refused_amount = forms.DecimalField(
        label=_("拒付金额（元）"), required=False, max_digits=12, decimal_places=2
    )
    suspended_until = forms.DateField(label=_("暂停至"), required=False, widget=DateInput())
