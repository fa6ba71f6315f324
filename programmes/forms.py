from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import OnlySentFieldsMixin
from core.models import HolidayOverride
from core.widgets import DateInput
from programmes.models import InsuredType, Programme
from programmes.parameters import EDITABLE_FIELDS


class IntListField(forms.CharField):
    """A list of month numbers typed as `4, 10`."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        text = super().to_python(value) or ""
        parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
        try:
            return [int(p) for p in parts]
        except ValueError as exc:
            raise forms.ValidationError(_("请输入以逗号分隔的月份数字，例如 4, 10。")) from exc


class NameListField(forms.CharField):
    """One name a line."""

    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class ProgrammeParametersForm(OnlySentFieldsMixin, forms.ModelForm[Programme]):
    filing_months = IntListField(label=_("申报月份"), required=False)
    immediate_filing_diseases = NameListField(label=_("即时办理病种（每行一个）"), required=False)
    outpatient_insured_types = forms.MultipleChoiceField(
        label=_("普通门诊保障的参保类型（GY-D01）"),
        choices=InsuredType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reason = forms.CharField(label=_("修改原因"), max_length=100, required=True)

    class Meta:
        model = Programme
        fields = EDITABLE_FIELDS
        widgets = {
            "valid_from": DateInput(),
            "valid_until": DateInput(),
            "superseded_from": DateInput(),
        }


class HolidayOverrideForm(forms.ModelForm[HolidayOverride]):
    class Meta:
        model = HolidayOverride
        fields = ["date", "is_working_day", "name"]
        widgets = {"date": DateInput()}


def jsonish(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)
