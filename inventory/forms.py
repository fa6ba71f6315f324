from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Drug


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))


class CountSheetForm(forms.Form):
    file = forms.FileField(label=_("已填写的盘底表（.xlsx）"))


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DrugForm(forms.ModelForm):
    reason = forms.CharField(label=_("修改原因"), max_length=200)

    class Meta:
        model = Drug
        fields = [
            "generic_name",
            "dosage_form",
            "specification",
            "manufacturer",
            "approval_number",
            "category",
            "is_therapeutic",
            "is_active",
        ]
