"""Forms of the prescription pages: the header (kind, validity, source) and the item rows."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput
from inventory.models import Drug
from prescriptions.models import PrescriptionKind, PrescriptionSource
from prescriptions.services import ItemInput
from programmes.models import InsuredType

MAX_ITEMS = 10


class DrugChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.generic_name} {obj.specification}（{obj.dosage_form}）"


class ItemForm(forms.Form):
    drug = DrugChoiceField(label=_("药品"), queryset=Drug.objects.none())
    dosage_form = forms.CharField(
        label=_("剂型"), max_length=30, required=False, help_text=_("留空：按药品目录的剂型。")
    )
    dose = forms.CharField(label=_("用法用量"), max_length=60)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=100000)
    days = forms.IntegerField(label=_("用药天数"), min_value=1, max_value=366)

    def __init__(self, *args: Any, drugs: QuerySet[Drug], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["drug"].queryset = drugs  # type: ignore[attr-defined]
        for field in self.fields.values():
            # The rows are table cells without their own <label>.
            field.widget.attrs["aria-label"] = str(field.label)

    def item(self) -> ItemInput:
        d = self.cleaned_data
        return ItemInput(d["drug"], d["dosage_form"].strip(), d["dose"], d["quantity"], d["days"])


class BaseItemFormSet(forms.BaseFormSet):
    def items(self) -> list[ItemInput]:
        return [f.item() for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


ItemFormSet = forms.formset_factory(
    ItemForm,
    formset=BaseItemFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_ITEMS,
    validate_max=True,
)


def item_formset(data: Any, drugs: QuerySet[Drug]) -> BaseItemFormSet:
    return cast(BaseItemFormSet, ItemFormSet(data, prefix="items", form_kwargs={"drugs": drugs}))


class IssueForm(forms.Form):
    """A physician's prescription in the portal."""

    kind = forms.ChoiceField(
        label=_("处方类型"),
        choices=PrescriptionKind.choices,
        initial=PrescriptionKind.NORMAL,
        widget=forms.RadioSelect,
    )
    valid_days = forms.IntegerField(
        label=_("处方有效天数"),
        min_value=1,
        max_value=366,
        initial=3,
        help_text=_("自开具之日起计算，患者须在有效期内到药店购药（GY-D02）。"),
    )


class RecordForm(forms.Form):
    """A paper or electronic prescription recorded at the pharmacy (GY-D02)."""

    source = forms.ChoiceField(
        label=_("处方来源"),
        choices=[
            (PrescriptionSource.PAPER, PrescriptionSource.PAPER.label),
            (PrescriptionSource.ELECTRONIC, PrescriptionSource.ELECTRONIC.label),
        ],
        initial=PrescriptionSource.PAPER,
        widget=forms.RadioSelect,
    )
    institution_name = forms.CharField(label=_("开方机构"), max_length=100)
    physician_name = forms.CharField(label=_("处方医师"), max_length=50)
    issued_on = forms.DateField(label=_("开具日期"), widget=DateInput())
    kind = forms.ChoiceField(
        label=_("处方类型"),
        choices=PrescriptionKind.choices,
        initial=PrescriptionKind.NORMAL,
        widget=forms.RadioSelect,
    )
    valid_days = forms.IntegerField(label=_("处方有效天数"), min_value=1, max_value=366, initial=3)
    seal_image = forms.FileField(
        label=_("医师签名或盖章的处方图片"),
        required=False,
        help_text=_("纸质处方必传，JPEG 或 PNG（按文件内容识别）。"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    trace_code = forms.CharField(
        label=_("电子处方追溯码"), max_length=60, required=False, help_text=_("电子处方必填。")
    )

    def clean_issued_on(self) -> Any:
        issued_on = self.cleaned_data["issued_on"]
        if issued_on > timezone.localdate():
            raise forms.ValidationError(_("开具日期不能晚于今天。"))
        return issued_on


class OutpatientPersonForm(forms.Form):
    """Register an insured person at a general-outpatient counter (GY-PT); the region is the
    pharmacy's."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    resident_id = forms.CharField(label=_("居民身份证号"), max_length=18)
    insured_type = forms.ChoiceField(
        label=_("参保类型"),
        choices=InsuredType.choices,
        initial=InsuredType.EMPLOYEE,
        widget=forms.RadioSelect,
        help_text=_("按社会保障卡或医保电子凭证显示的参保类型选择（GY-D01）。"),
    )
