from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.models import FindingStatus


class FindingMoveForm(forms.Form):
    """The reviewer moves a finding: the button names the new status, the note says why."""

    to = forms.ChoiceField(label=_("变更为"), choices=FindingStatus.choices)
    reason = forms.CharField(label=_("说明"), max_length=500, required=False)
