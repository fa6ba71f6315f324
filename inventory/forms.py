from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))


class CountSheetForm(forms.Form):
    file = forms.FileField(label=_("已填写的盘底表（.xlsx）"))


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
