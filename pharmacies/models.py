"""Pharmacy: the profile of an organisation of kind "pharmacy", its staff and their evidence.

Licences, premises, systems and monitoring are declared here and checked by the eligibility
report (accreditation.eligibility) and on site.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Organisation, Region
from core.crypto import BlindIndexField, EncryptedTextField
from core.history import history_user
from core.models import TransitionEvent
from core.validators import (
    field_errors,
    mask_resident_id,
    validate_credit_code,
    validate_near_date,
    validate_past_date,
    validate_plausible_date,
    validate_resident_id,
)


class PremisesTenure(models.TextChoices):
    OWNED = "owned", _("自有产权")
    LEASED = "leased", _("租赁")


class Pharmacy(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="pharmacy", verbose_name=_("机构")
    )
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    address = models.CharField(_("经营地址"), max_length=200, blank=True)
    opened_on = models.DateField(_("正式经营日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Licences (HY-D02)
    business_licence_no = models.CharField(_("营业执照编号"), max_length=40, blank=True)
    business_licence_expires_on = models.DateField(_("营业执照有效期至"), null=True, blank=True)
    drug_licence_no = models.CharField(_("药品经营许可证编号"), max_length=40, blank=True)
    drug_licence_expires_on = models.DateField(_("药品经营许可证有效期至"), null=True, blank=True)
    administrative_penalty = models.BooleanField(
        _("受过药监或卫健部门行政处罚"), default=False, help_text="HY-A02"
    )
    quality_system = models.BooleanField(
        _("药品经营质量管理体系健全"), default=False, help_text="HY-A03"
    )
    management_rules = models.BooleanField(_("内部管理制度健全"), default=False, help_text="HY-A04")

    # Premises (HY-A08, GY-A02)
    premises_independent = models.BooleanField(_("独立经营场所"), default=False)
    area_billing = models.BooleanField(_("开票区"), default=False)
    area_rest = models.BooleanField(_("顾客休息区"), default=False)
    area_cashier = models.BooleanField(_("收银区"), default=False)
    area_storeroom = models.BooleanField(_("药房或库房"), default=False)
    insurance_drug_area = models.BooleanField(_("独立医保药品分区"), default=False)
    premises_tenure = models.CharField(
        _("场所性质"), max_length=10, choices=PremisesTenure.choices, blank=True
    )
    lease_ends_on = models.DateField(_("租赁合同到期日"), null=True, blank=True)

    # Systems (HY-A06, GY-A01)
    network_link = models.BooleanField(_("接入医保专网"), default=False)
    realtime_upload = models.BooleanField(_("实时上传结算和进销存数据"), default=False)
    e_voucher = models.BooleanField(_("开通医保电子凭证"), default=False)
    e_prescription = models.BooleanField(_("接入电子处方流转"), default=False)

    # Monitoring (HY-A07, HY-E05, GY-A03, GY-E03)
    video_24h = models.BooleanField(_("24小时视频监控"), default=False)
    face_recognition = models.BooleanField(_("人脸识别"), default=False)
    video_retention_days = models.PositiveIntegerField(_("视频保存天数"), null=True, blank=True)
    video_realtime_upload = models.BooleanField(_("视频实时上传"), default=False)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("药店")
        verbose_name_plural = _("药店")

    def __str__(self) -> str:
        return self.organisation.name

    def clean(self) -> None:
        errors = field_errors(
            self,
            single_line=("address", "business_licence_no", "drug_licence_no"),
            dates={
                "opened_on": validate_past_date,
                "business_licence_expires_on": validate_plausible_date,
                "drug_licence_expires_on": validate_plausible_date,
                "lease_ends_on": validate_plausible_date,
            },
        )
        if errors:
            raise ValidationError(errors)

    @property
    def name(self) -> str:
        return self.organisation.name

    @property
    def region(self) -> Region:
        return self.organisation.region


class StaffPost(models.TextChoices):
    MANAGER = "manager", _("管理人员")
    PHARMACIST = "pharmacist", _("药师")
    BILLER = "biller", _("开票员")
    DELIVERY = "delivery", _("送货员")


class FilingStatus(models.TextChoices):
    """HY-E01: a pharmacist's filing (备案) with the county insurance centre."""

    UNFILED = "unfiled", _("未报备案")
    SUBMITTED = "submitted", _("已报备案，待医保中心审核")
    FILED = "filed", _("已备案")
    REFUSED = "refused", _("备案未通过")


FILING_TRANSITIONS: dict[str, frozenset[str]] = {
    FilingStatus.UNFILED: frozenset({FilingStatus.SUBMITTED}),
    FilingStatus.SUBMITTED: frozenset({FilingStatus.FILED, FilingStatus.REFUSED}),
    FilingStatus.REFUSED: frozenset({FilingStatus.SUBMITTED}),
    # A filed pharmacist whose licence or post changes is filed again.
    FilingStatus.FILED: frozenset({FilingStatus.SUBMITTED}),
}

ALL_WEEKDAYS = "1234567"


def validate_duty_weekdays(value: str) -> None:
    """ISO weekdays (1 = Monday … 7 = Sunday), each at most once."""
    if any(c not in ALL_WEEKDAYS for c in value) or len(set(value)) != len(value):
        raise ValidationError(
            _("在岗日只能填写 1–7 的数字（1 为周一，7 为周日），每个数字最多一次。"),
            code="duty_weekdays",
        )


class StaffMember(models.Model):
    """A person working at the pharmacy (HY-A04, HY-A05, GY-A04, HY-E01)."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="staff")
    name = models.CharField(_("姓名"), max_length=40)
    post = models.CharField(_("岗位"), max_length=20, choices=StaffPost.choices)
    resident_id = EncryptedTextField(
        _("居民身份证号"), max_length=18, validators=[validate_resident_id]
    )
    resident_id_index = BlindIndexField(_("身份证号索引"), source="resident_id", db_index=True)
    licensed_pharmacist = models.BooleanField(_("执业药师"), default=False)
    certificate_no = models.CharField(_("执业药师注册证编号"), max_length=40, blank=True)
    registered_here = models.BooleanField(_("注册地在本店"), default=False, help_text="GY-A04")
    # HY-E01: set by the centre's reviewer when the filing is approved (pharmacies.filing).
    filed_on = models.DateField(_("医保中心备案日期"), null=True, blank=True, help_text="HY-E01")
    filing_status = models.CharField(
        _("备案状态"), max_length=10, choices=FilingStatus.choices, default=FilingStatus.UNFILED
    )
    # The staff member's portal account: the counter names the logged-in pharmacist as the
    # reviewing pharmacist by default (审方, HY 一(三), GY 一(四)).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("平台账号"),
    )
    # HY-E01 / GY-A04 "营业时间内药师应当在岗在位": the weekly roster of the days this person
    # works (ISO weekdays). The counter accepts a reviewing pharmacist on these days only.
    duty_weekdays = models.CharField(
        _("在岗日（1=周一 … 7=周日）"),
        max_length=7,
        default=ALL_WEEKDAYS,
        blank=True,
        validators=[validate_duty_weekdays],
    )
    hired_on = models.DateField(_("入职日期"))
    left_on = models.DateField(_("离职日期"), null=True, blank=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["pharmacy_id", "post", "name"]
        verbose_name = _("药店人员")
        verbose_name_plural = _("药店人员")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_post_display()}）"

    def clean(self) -> None:
        errors = field_errors(
            self,
            single_line=("name", "certificate_no"),
            dates={
                "hired_on": validate_near_date,
                "left_on": validate_near_date,
                "filed_on": validate_near_date,
            },
        )
        if self.hired_on and self.left_on and self.left_on < self.hired_on:
            errors.setdefault("left_on", []).append(
                ValidationError(
                    _("离职日期（%(left)s）不能早于入职日期（%(hired)s）。"),
                    params={"left": self.left_on, "hired": self.hired_on},
                    code="left_before_hired",
                )
            )
        if errors:
            raise ValidationError(errors)

    @property
    def masked_resident_id(self) -> str:
        return mask_resident_id(self.resident_id)

    def employed_on(self, day: date) -> bool:
        return self.hired_on <= day and (self.left_on is None or self.left_on >= day)

    def on_duty(self, day: date) -> bool:
        """Employed that day and the roster has that weekday."""
        return self.employed_on(day) and str(day.isoweekday()) in self.duty_weekdays


class StaffFilingEvent(TransitionEvent):
    """A move of a pharmacist's filing (HY-E01): submitted, filed or refused, by whom, why."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="filing_events")

    class Meta(TransitionEvent.Meta):
        verbose_name = _("药师备案记录")
        verbose_name_plural = _("药师备案记录")

    @property
    def old_label(self) -> str:
        return str(FilingStatus(self.old_status).label) if self.old_status else "—"

    @property
    def new_label(self) -> str:
        return str(FilingStatus(self.new_status).label)


class EvidenceKind(models.TextChoices):
    LABOUR_CONTRACT = "labour_contract", _("劳动合同")
    PAYROLL_SHEET = "payroll_sheet", _("工资发放表")
    BANK_STATEMENT = "bank_statement", _("银行流水")


def _evidence_path(instance: StaffEvidence, filename: str) -> str:
    return f"pharmacies/{instance.staff.pharmacy_id}/staff/{instance.staff_id}/{filename}"


class StaffEvidence(models.Model):
    """A labour contract, payroll sheet or bank statement for one person (and month) (HY-D05)."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("材料类型"), max_length=20, choices=EvidenceKind.choices)
    month = models.DateField(_("所属月份"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to=_evidence_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["staff_id", "kind", "month"]
        verbose_name = _("人员证明材料")
        verbose_name_plural = _("人员证明材料")

    def __str__(self) -> str:
        return f"{self.staff.name} · {self.get_kind_display()}"
