from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.actions import decision_field
from core.forms import OnlySentFieldsMixin
from core.widgets import DateInput
from pharmacies.models import EvidenceKind, Pharmacy, StaffMember
from pharmacies.services import PROFILE_FIELDS, STAFF_FIELDS


class ProfileForm(OnlySentFieldsMixin, forms.ModelForm):
    class Meta:
        model = Pharmacy
        fields = PROFILE_FIELDS
        widgets = {
            "opened_on": DateInput(),
            "business_licence_expires_on": DateInput(),
            "drug_licence_expires_on": DateInput(),
            "lease_ends_on": DateInput(),
        }


class StaffForm(forms.ModelForm):
    class Meta:
        model = StaffMember
        fields = STAFF_FIELDS
        widgets = {"hired_on": DateInput(), "left_on": DateInput()}

    def __init__(self, *args: Any, pharmacy: Pharmacy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            # The pharmacy's own active accounts only (another organisation's is not offered).
            self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
                memberships__organisation_id=pharmacy.organisation_id,
                memberships__is_active=True,
            ).distinct()


class FilingDecisionForm(forms.Form):
    """HY-E01: the centre's reviewer files or refuses a pharmacist's filing."""

    decision = decision_field(
        _("审核结论"), choices=[("file", _("予以备案")), ("refuse", _("不予备案"))]
    )
    reason = forms.CharField(
        label=_("意见或原因"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=EvidenceKind.choices)
    month = forms.DateField(
        label=_("所属月份（工资表、银行流水）"), required=False, widget=DateInput()
    )
    file = forms.FileField(label=_("文件（PDF、JPEG、PNG）"))


class StaffEditForm(OnlySentFieldsMixin, StaffForm):
    """Editing keeps the resident ID out of the page: it is shown masked only. Fields the
    request did not send are left as they are."""

    class Meta(StaffForm.Meta):
        fields = [f for f in STAFF_FIELDS if f != "resident_id"]
