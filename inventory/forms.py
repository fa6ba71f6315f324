from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.forms import OnlySentFieldsMixin
from core.widgets import DateInput, DateTimeInput
from inventory.models import (
    CounterpartyKind,
    Drug,
    Movement,
    MovementKind,
    PriceCap,
    StockBatch,
)
from inventory.selectors import drug_for_code, stock_batches
from pharmacies.models import Pharmacy


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))


SUBMIT_CONSEQUENCE = _(
    "提交后盘点表交医保中心审核，不能再修改；审核通过后差异记为盘盈盘亏，账面库存按实盘调整。"
)


class CountSheetForm(forms.Form):
    file = forms.FileField(label=_("已填写的盘底表（.xlsx）"))
    # The confirmation step of this upload (a file cannot be re-posted by a confirmation page):
    # the post carries confirmed=1 only when the box is ticked (core.actions.confirmed).
    confirmed = forms.BooleanField(
        label=SUBMIT_CONSEQUENCE,
        widget=forms.CheckboxInput(attrs={"value": "1"}),
        error_messages={"required": _("请勾选确认后再提交。")},
    )


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DrugForm(OnlySentFieldsMixin, forms.ModelForm):
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


class DrugScopeForm(forms.Form):
    """Per disease: in the drug's scope, and a basic drug of it (HY-A09)."""

    reason = forms.CharField(label=_("修改原因"), max_length=200)

    def __init__(self, *args: Any, diseases: list[Any], current: dict[int, bool], **kw: Any):
        super().__init__(*args, **kw)
        self.diseases = diseases
        for disease in diseases:
            self.fields[f"in_{disease.pk}"] = forms.BooleanField(
                label=str(disease), required=False, initial=disease.pk in current
            )
            self.fields[f"basic_{disease.pk}"] = forms.BooleanField(
                label=_("基本药物"), required=False, initial=current.get(disease.pk, False)
            )

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(d, self[f"in_{d.pk}"], self[f"basic_{d.pk}"]) for d in self.diseases]

    def scope(self) -> dict[int, bool]:
        """Disease id → basic-drug flag; a basic drug of a disease is in its scope."""
        data = self.cleaned_data
        return {
            d.pk: bool(data[f"basic_{d.pk}"])
            for d in self.diseases
            if data[f"in_{d.pk}"] or data[f"basic_{d.pk}"]
        }


class PriceCapForm(forms.ModelForm):
    """A listed price of one of the editor's programmes (`programmes`: the region's)."""

    reason = forms.CharField(label=_("修改原因"), max_length=200)

    class Meta:
        model = PriceCap
        fields = ["programme", "price", "source", "effective_on"]
        widgets = {"effective_on": DateInput()}

    def __init__(self, *args: Any, programmes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["programme"]
        field.queryset = programmes  # another region's programme is "not a valid choice"


class MovementFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"), required=False, choices=[("", _("全部类型")), *MovementKind.choices]
    )
    drug = forms.CharField(label=_("药品（编码或名称）"), required=False, max_length=100)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())


# Which inputs each hand-recorded kind asks for (inventory.services.stock_movement_enter).
MOVEMENT_FORM_FIELDS: dict[str, list[str]] = {
    MovementKind.PURCHASE_RETURN: [
        "batch",
        "quantity",
        "unit_price",
        "supplier",
        "reference",
        "occurred_at",
        "traceability_codes",
        "reason",
    ],
    MovementKind.SALE: [
        "batch",
        "quantity",
        "unit_price",
        "reference",
        "occurred_at",
        "traceability_codes",
    ],
    MovementKind.SALE_RETURN: [
        "sale",
        "quantity",
        "reference",
        "occurred_at",
        "traceability_codes",
        "reason",
    ],
    MovementKind.TRANSFER_IN: [
        "batch",
        "insurance_code",
        "batch_no",
        "production_date",
        "expiry_date",
        "quantity",
        "counterparty_kind",
        "counterparty",
        "reference",
        "occurred_at",
        "traceability_codes",
    ],
    MovementKind.TRANSFER_OUT: [
        "batch",
        "quantity",
        "counterparty_kind",
        "counterparty",
        "reference",
        "occurred_at",
        "traceability_codes",
    ],
    MovementKind.LOSS: [
        "batch",
        "quantity",
        "reason",
        "reference",
        "occurred_at",
        "traceability_codes",
    ],
    MovementKind.DESTRUCTION: [
        "batch",
        "quantity",
        "reason",
        "reference",
        "occurred_at",
        "traceability_codes",
    ],
}

REFERENCE_LABELS: dict[str, Any] = {
    MovementKind.PURCHASE_RETURN: _("退货单号"),
    MovementKind.SALE: _("销售小票号"),
    MovementKind.SALE_RETURN: _("退货单号"),
    MovementKind.TRANSFER_IN: _("调拨单号"),
    MovementKind.TRANSFER_OUT: _("调拨单号"),
    MovementKind.LOSS: _("报损单号"),
    MovementKind.DESTRUCTION: _("销毁记录号"),
}

CODE_SPLIT_RE = re.compile(r"[\s,，;；]+")


def split_codes(text: str) -> list[str]:
    return [c for c in CODE_SPLIT_RE.split(text or "") if c]


class BatchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        expiry = obj.expiry_date.isoformat() if obj.expiry_date else "—"
        return str(
            _("%(drug)s｜批号 %(batch)s｜库存 %(qty)s｜有效期至 %(expiry)s")
            % {
                "drug": f"{obj.drug.generic_name} {obj.drug.specification}".strip(),
                "batch": obj.batch_no,
                "qty": obj.quantity,
                "expiry": expiry,
            }
        )


class MovementForm(forms.Form):
    """A stock movement recorded by hand; fields follow the kind (MOVEMENT_FORM_FIELDS)."""

    batch = BatchChoiceField(label=_("批次"), queryset=StockBatch.objects.none())
    sale = forms.IntegerField(
        label=_("原销售记录号"),
        min_value=1,
        help_text=_("在进销存明细中打开该笔现金销售，点“登记退货”即自动填写。"),
    )
    insurance_code = forms.CharField(
        label=_("国家医保药品编码"),
        max_length=30,
        required=False,
        help_text=_("调入本店未有过的批次时填写，连同批号和日期。"),
    )
    batch_no = forms.CharField(label=_("批号"), max_length=40, required=False)
    production_date = forms.DateField(label=_("生产日期"), required=False, widget=DateInput())
    expiry_date = forms.DateField(label=_("有效期至"), required=False, widget=DateInput())
    quantity = forms.IntegerField(label=_("数量"), min_value=1)
    unit_price = forms.DecimalField(
        label=_("单价（元）"), max_digits=12, decimal_places=4, min_value=0, required=False
    )
    supplier = forms.CharField(label=_("供货单位（退货对象）"), max_length=100)
    counterparty_kind = forms.ChoiceField(
        label=_("对方类型"), choices=[("", "---------"), *CounterpartyKind.choices]
    )
    counterparty = forms.CharField(label=_("对方单位"), max_length=100)
    reference = forms.CharField(label=_("单据号"), max_length=60, required=False)
    occurred_at = forms.DateTimeField(
        label=_("发生时间"),
        widget=DateTimeInput(),
    )
    traceability_codes = forms.CharField(
        label=_("追溯码"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每件一个 20 位追溯码，可扫描输入，以换行、空格或逗号分隔。"),
    )
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)

    def __init__(self, *args: Any, kind: str, pharmacy: Pharmacy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.pharmacy = pharmacy
        wanted = MOVEMENT_FORM_FIELDS[kind]
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        self.order_fields(wanted)
        if "batch" in self.fields:
            batch_field = self.fields["batch"]
            assert isinstance(batch_field, forms.ModelChoiceField)
            if kind == MovementKind.TRANSFER_IN:
                batch_field.queryset = stock_batches(pharmacy, in_stock_only=False)
                batch_field.required = False
                batch_field.help_text = _("调入本店已有的批次时选择；新批次请填写下方编码和批号。")
            else:
                batch_field.queryset = stock_batches(pharmacy)
        self.fields["reference"].label = REFERENCE_LABELS[kind]
        if kind in (MovementKind.LOSS, MovementKind.DESTRUCTION):
            self.fields["reason"].required = True
            self.fields["reason"].label = (
                _("报损原因") if kind == MovementKind.LOSS else _("销毁原因")
            )
        if kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT):
            self.fields["reference"].required = True
        if kind == MovementKind.SALE:
            self.fields["unit_price"].required = True

    def clean_sale(self) -> Movement | None:
        pk = self.cleaned_data.get("sale")
        if pk is None:
            return None
        sale = Movement.objects.filter(
            pk=pk, pharmacy=self.pharmacy, kind=MovementKind.SALE
        ).first()
        if sale is None:
            raise forms.ValidationError(_("本店没有该销售记录。"))
        return sale

    def clean_insurance_code(self) -> Drug | None:
        try:
            return drug_for_code(self.cleaned_data.get("insurance_code"))
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_traceability_codes(self) -> list[str]:
        return split_codes(self.cleaned_data.get("traceability_codes", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            self.kind == MovementKind.TRANSFER_IN
            and not data.get("batch")
            and "insurance_code" not in self.errors
            and not data.get("insurance_code")
        ):
            self.add_error("batch", _("请选择本店已有批次，或填写国家医保药品编码和批号。"))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """Arguments for stock_movement_enter."""
        from inventory.services import NewBatch

        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "kind": self.kind,
            "quantity": data["quantity"],
            "occurred_at": data["occurred_at"],
            "traceability_codes": data.get("traceability_codes") or [],
        }
        for name in ("batch", "sale", "unit_price"):
            if data.get(name) is not None:
                kwargs[name] = data[name]
        for name in ("supplier", "counterparty_kind", "counterparty", "reason", "reference"):
            kwargs[name] = data.get(name) or ""
        drug = data.get("insurance_code")
        if self.kind == MovementKind.TRANSFER_IN and not data.get("batch") and drug:
            kwargs["new_batch"] = NewBatch(
                drug=drug,
                batch_no=data.get("batch_no") or "",
                production_date=data.get("production_date"),
                expiry_date=data.get("expiry_date"),
            )
        return kwargs
