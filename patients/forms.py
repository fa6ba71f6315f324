from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import HospitalLevel, Organisation, User
from core.actions import decision_field
from core.validators import validate_resident_id, validate_single_line_text
from core.widgets import DateInput
from patients.choice_rules import choosable_institutions
from patients.models import MaterialKind, ProxyGround, ProxyMethod, RetentionReason
from patients.selectors import expert_hospitals
from programmes.models import Disease, InsuredType


class LookupForm(forms.Form):
    resident_id = forms.CharField(label=_("居民身份证号"), max_length=18)


class RevealForm(forms.Form):
    """Why the full resident ID is needed: required, recorded with the reveal."""

    reason = forms.CharField(label=_("查看原因"), max_length=200, strip=True)


class LodgeForm(forms.Form):
    resident_id = forms.CharField(
        label=_("居民身份证号"), max_length=18, validators=[validate_resident_id]
    )
    name = forms.CharField(label=_("姓名"), max_length=50, validators=[validate_single_line_text])
    insured_type = forms.ChoiceField(label=_("参保类型"), choices=InsuredType.choices)
    social_security_card_no = forms.CharField(
        label=_("社会保障卡号"), max_length=30, required=False
    )
    township = forms.CharField(label=_("乡镇"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    disease = forms.ModelChoiceField(label=_("申报病种"), queryset=Disease.objects.none())
    reviewing_hospital = forms.ModelChoiceField(
        label=_("初审医院"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("乡镇和县政务中心受理的普通病种，须选择具有慢特病专家资质的医院初审。"),
    )
    records_hospital = forms.CharField(label=_("住院资料出具医院"), max_length=100)
    records_hospital_level = forms.ChoiceField(
        label=_("出具医院等级"), choices=HospitalLevel.choices, initial=HospitalLevel.LEVEL_2
    )
    materials_received = forms.MultipleChoiceField(
        label=_("已收材料（HY-G02）"),
        choices=MaterialKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, diseases: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["disease"].queryset = diseases  # type: ignore[attr-defined]
        self.fields["reviewing_hospital"].queryset = expert_hospitals()  # type: ignore[attr-defined]


class PreliminaryForm(forms.Form):
    passed = decision_field(
        _("初审结论"),
        choices=[("1", _("初审通过")), ("0", _("初审不通过"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(
        label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    expert: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("评审专家"), queryset=User.objects.none()
    )

    def __init__(self, *args: Any, experts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = experts  # type: ignore[attr-defined]


class DecideForm(forms.Form):
    approve = decision_field(
        _("评审结论"),
        choices=[("1", _("通过")), ("0", _("不通过"))],
        coerce=lambda v: v == "1",
    )
    starts_on = forms.DateField(label=_("待遇开始日期"), required=False, widget=DateInput())
    reason = forms.CharField(
        label=_("意见（不通过时须填写，可打印给患者）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BatchApproveForm(forms.Form):
    """The expert's batch decision is uniform: every ticked filing passes from one date."""

    starts_on = forms.DateField(label=_("待遇开始日期"), widget=DateInput())


class ImmediateForm(forms.Form):
    approve = decision_field(
        _("即时办理结论"),
        choices=[("1", _("通过，即日起享受待遇")), ("0", _("不通过"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(
        label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料"), choices=MaterialKind.choices)
    file = forms.FileField(label=_("扫描件（PDF/JPEG/PNG）"))


class ChooseForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("县内定点医院或药店"), queryset=Organisation.objects.none(), required=False
    )
    outside_institution = forms.CharField(
        label=_("或县外定点医药机构"), max_length=100, required=False
    )

    def __init__(
        self, *args: Any, region: Any, programme_id: int | None, on: date, **kwargs: Any
    ) -> None:
        """HY-G05: offers the pharmacies designated for the enrolment's programme on `on`.
        With no programme (a submitted form), any active institution of the county parses,
        so that the service refuses a pharmacy not designated with the rule ID and a reason."""
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = choosable_institutions(  # type: ignore[attr-defined]
            region=region, programme_id=programme_id, on=on
        )


class StayForm(forms.Form):
    resident_id = forms.CharField(label=_("患者身份证号"), max_length=18)
    admitted_on = forms.DateField(label=_("入院日期"), widget=DateInput())
    discharged_on = forms.DateField(label=_("出院日期"), required=False, widget=DateInput())


class StayImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（A 列身份证号，B 列入院日期，C 列出院日期）"))


class DischargeForm(forms.Form):
    discharged_on = forms.DateField(label=_("出院日期"), widget=DateInput())


class RetentionForm(forms.Form):
    resident_id = forms.CharField(label=_("患者身份证号"), max_length=18)
    reason_category = forms.ChoiceField(label=_("留存原因"), choices=RetentionReason.choices)
    application_text = forms.CharField(
        label=_("患者书面申请内容"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ProxyForm(forms.Form):
    ground = forms.ChoiceField(label=_("事由"), choices=ProxyGround.choices)
    method = forms.ChoiceField(label=_("方式"), choices=ProxyMethod.choices)
    proxy_name = forms.CharField(label=_("代购人姓名"), max_length=50, required=False)
    proxy_resident_id = forms.CharField(label=_("代购人身份证号"), max_length=18, required=False)
    relationship = forms.CharField(label=_("与患者关系"), max_length=30, required=False)
    postal_address = forms.CharField(label=_("邮寄地址"), max_length=200, required=False)
    valid_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    valid_until = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())


class HospitalWindowForm(forms.Form):
    window_location = forms.CharField(label=_("特门窗口位置"), max_length=200)
    window_phone = forms.CharField(label=_("窗口电话"), max_length=30, required=False)
    service_hours = forms.CharField(label=_("服务时间"), max_length=100, required=False)
