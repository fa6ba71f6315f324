"""The pages' input of each action (accreditation.actions names the form of each): every form
is built for the object it acts on, and its cleaned data has the keys of the API's serializer
for the same action, so one service call serves both."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accreditation.checklists import inspection_items, uploadable_kinds
from accreditation.models import (
    VIOLATION_RULES,
    Application,
    AssessmentResult,
    ViolationDecision,
)
from accreditation.passing import failing_soft_conditions
from core.actions import decision_field
from core.widgets import DateInput
from programmes.models import Programme


class ApplicationCreateForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("申请方案"), queryset=Programme.objects.none())

    def __init__(self, *args: Any, programmes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]


class ActionForm(forms.Form):
    """An action's form, built for `obj` (the application or designation it acts on); field
    ids carry the action's name so that two forms on one page never share an id."""

    # A warning shown above the form (PassForm: conditions to acknowledge).
    intro: Any = ""

    def __init__(self, *args: Any, obj: Any, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.obj = obj


class DocumentForm(ActionForm):
    kind = forms.ChoiceField(label=_("材料"))
    file = forms.FileField(label=_("文件（PDF、JPEG、PNG）"))

    def __init__(self, *args: Any, obj: Application, **kwargs: Any) -> None:
        super().__init__(*args, obj=obj, **kwargs)
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (k, d.label) for k, d in uploadable_kinds(obj.programme.code).items()
        ]


class PledgeForm(ActionForm):
    truthful = forms.BooleanField(label=_("本店承诺所提供材料真实、合法"), required=False)
    security = forms.BooleanField(label=_("本店承诺遵守信息安全保密规定"), required=False)

    def __init__(self, *args: Any, obj: Application, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"truthful": obj.pledge_truthful, "security": obj.pledge_security}
        )
        super().__init__(*args, obj=obj, **kwargs)


class NoteForm(ActionForm):
    note = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class FailForm(ActionForm):
    note = forms.CharField(
        label=_("不合格理由"), widget=forms.Textarea(attrs={"rows": 3}), required=True
    )


class PassForm(ActionForm):
    """The evaluation passes: one checkbox per failing soft condition, by its rule ID."""

    note = forms.CharField(
        label=_("评估意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    acknowledged = forms.MultipleChoiceField(
        label=_("确认以下不符合的条件（逐项勾选）"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, obj: Application, **kwargs: Any) -> None:
        super().__init__(*args, obj=obj, **kwargs)
        conditions = failing_soft_conditions(obj, on=timezone.localdate())
        field = self.fields["acknowledged"]
        field.choices = [  # type: ignore[attr-defined]
            (c.rule_id, f"{c.rule_id} {c.label}（{c.data}）") for c in conditions
        ]
        if conditions:
            self.intro = _("以下软性条件不符合：评估合格须逐项勾选确认，确认记入办理记录。")
        else:
            del self.fields["acknowledged"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data.setdefault("acknowledged", [])
        return data


class InspectionForm(ActionForm):
    """The on-site checklist: one box per item of the programme; cleaned into `items`."""

    notes = forms.CharField(
        label=_("查勘记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, obj: Application, **kwargs: Any) -> None:
        stored = obj.inspection or {}
        kwargs.setdefault(
            "initial", {**stored.get("items", {}), "notes": str(stored.get("notes", ""))}
        )
        super().__init__(*args, obj=obj, **kwargs)
        self.keys = [item.key for item in inspection_items(obj.programme.code)]
        for item in inspection_items(obj.programme.code):
            self.fields[item.key] = forms.BooleanField(
                label=f"{item.label}（{item.rule_id}）", required=False
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        return {"items": {k: bool(data.get(k)) for k in self.keys}, "notes": data.get("notes", "")}


class AssessmentForm(ActionForm):
    result = decision_field(_("考核结果"), choices=AssessmentResult.choices)
    rectification_until = forms.DateField(
        label=_("整改期截止日（考核不合格时填写）"), required=False, widget=DateInput()
    )
    notes = forms.CharField(
        label=_("考核意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ViolationForm(ActionForm):
    found_on = forms.DateField(label=_("查实日期"), widget=DateInput())
    finding = forms.CharField(label=_("违规事实"), widget=forms.Textarea(attrs={"rows": 3}))
    rule_id = forms.ChoiceField(label=_("依据规则"), choices=[(r, r) for r in VIOLATION_RULES])
    major = forms.BooleanField(label=_("重大违规（影响今后申请，HY-A01）"), required=False)
    decision = decision_field(_("处理决定"), choices=ViolationDecision.choices)
    refused_amount = forms.DecimalField(
        label=_("拒付金额（元）"), required=False, max_digits=12, decimal_places=2
    )
    suspended_until = forms.DateField(label=_("暂停至"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"found_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
