from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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
        widgets = {"filed_on": DateInput(), "hired_on": DateInput(), "left_on": DateInput()}


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
