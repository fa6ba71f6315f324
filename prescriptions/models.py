"""Prescriptions, dispensings at the counter, quota ledger, delivery register."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Organisation, User
from accreditation.models import Violation
from core.crypto import EncryptedTextField
from core.history import history_user
from core.models import EventReason
from inventory.models import Drug, Movement, StockBatch
from patients.models import Enrolment, Patient
from pharmacies.models import Pharmacy, StaffMember
from programmes.models import Disease, Programme


class PrescriptionSource(models.TextChoices):
    PORTAL = "portal", _("平台开具")
    PAPER = "paper", _("纸质外配处方")
    ELECTRONIC = "electronic", _("电子处方")


class PrescriptionKind(models.TextChoices):
    NORMAL = "normal", _("普通处方")
    LONG_TERM = "long_term", _("长期处方")


def seal_upload_to(instance: Prescription, filename: str) -> str:
    return f"prescriptions/seals/{instance.issued_on:%Y/%m}/{filename}"


class Prescription(models.Model):
    """A prescription issued in the portal or recorded at the pharmacy (HY-E02, GY-D02)."""

    number = models.CharField(_("处方编号"), max_length=40, unique=True)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prescriptions")
    disease = models.ForeignKey(
        Disease, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=12, choices=PrescriptionSource.choices)
    kind = models.CharField(
        _("类型"), max_length=12, choices=PrescriptionKind.choices, default=PrescriptionKind.NORMAL
    )
    institution = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    institution_name = models.CharField(_("开方机构"), max_length=100)
    physician = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    physician_name = models.CharField(_("处方医师"), max_length=50)
    seal_image = models.FileField(_("签名/盖章图片"), upload_to=seal_upload_to, blank=True)
    trace_code = models.CharField(_("电子处方追溯码"), max_length=60, blank=True)
    issued_on = models.DateField(_("开具日期"))
    valid_days = models.PositiveSmallIntegerField(_("有效天数"), validators=[MinValueValidator(1)])
    # HY-F04: 特门 prescriptions are issued free of charge; kept so the record shows it.
    fee = models.DecimalField(_("处方费（元）"), max_digits=8, decimal_places=2, default=Decimal(0))
    recorded_at_pharmacy = models.ForeignKey(
        Pharmacy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("处方")
        verbose_name_plural = _("处方")

    def __str__(self) -> str:
        return self.number

    @property
    def valid_until(self) -> date:
        """The last day of its validity (the issue day counts as the first, GY-D02)."""
        return self.issued_on + timedelta(days=self.valid_days - 1)


class PrescriptionItem(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="items")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    dosage_form = models.CharField(_("剂型"), max_length=30)
    dose = models.CharField(_("用法用量"), max_length=60)
    quantity = models.PositiveIntegerField(_("数量"), validators=[MinValueValidator(1)])
    days = models.PositiveSmallIntegerField(_("用药天数"), validators=[MinValueValidator(1)])
    # Partially dispensed prescriptions: what has been handed over so far (returns give back).
    dispensed_quantity = models.PositiveIntegerField(_("已配数量"), default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dispensed_quantity__lte=models.F("quantity")),
                name="prescription_item_not_overdispensed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.drug} × {self.quantity}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.dispensed_quantity


class DispensingStatus(models.TextChoices):
    SETTLED = "settled", _("已结算")
    RETURNED = "returned", _("已退药")


def purchase_list_upload_to(instance: Dispensing, filename: str) -> str:
    return f"prescriptions/purchase-lists/{instance.pharmacy_id}/{filename}"


class Dispensing(models.Model):
    """One purchase at the counter with its settlement split (HY-G10, GY-D02, GY-D03).

    Every sale writes each index of this table, so only the indexes something reads are
    kept: by pharmacy and time (lists, the GY-D03 statement), by pharmacy and idempotency key,
    by patient, prescription and enrolment. The number is unique by a constraint (unique=True
    would add a LIKE index nobody reads); programme, disease and pharmacist are never looked
    up from this side."""

    number = models.CharField(_("结算单号"), max_length=40)
    # Indexed by the (pharmacy, dispensed_at) index and the idempotency constraint.
    pharmacy = models.ForeignKey(
        Pharmacy, on_delete=models.PROTECT, related_name="dispensings", db_index=False
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="dispensings")
    disease = models.ForeignKey(
        Disease, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="dispensings"
    )
    pharmacist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", db_index=False)
    # 审方 (HY 一(三), GY 一(四), HY-E01): the licensed pharmacist of this pharmacy, filed where
    # the programme requires it, on duty, who reviewed the prescription (prescriptions.review).
    # Null only on sales recorded before the rule was enforced.
    reviewing_pharmacist = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("审方药师"),
    )
    # GY-B02: False when the account that recorded the sale is not on the pharmacy's staff list
    # that day (a finding is raised for the bureau); null on sales recorded before the check.
    recorder_on_staff = models.BooleanField(_("录入人在本店人员名单内"), null=True, blank=True)
    # GY-E03: the video the bureau can request — which camera, from when until when.
    video_camera = models.CharField(_("监控摄像头"), max_length=60, blank=True)
    video_from = models.DateTimeField(_("录像起"), null=True, blank=True)
    video_until = models.DateTimeField(_("录像止"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DispensingStatus.choices, default=DispensingStatus.SETTLED
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=80, null=True, blank=True)
    dispensed_at = models.DateTimeField(_("结算时间"))
    total = models.DecimalField(_("费用总额（元）"), max_digits=12, decimal_places=2)
    fund_share = models.DecimalField(_("统筹基金支付（元）"), max_digits=12, decimal_places=2)
    personal_share = models.DecimalField(_("个人负担（元）"), max_digits=12, decimal_places=2)
    quota_period_start = models.DateField(_("额度所属季度"), null=True, blank=True)
    # HY-E07 / GY-D01: a proxy purchase keeps the proxy's identity and the signed list.
    is_proxy = models.BooleanField(_("代购"), default=False)
    proxy_name = models.CharField(_("代购人姓名"), max_length=50, blank=True)
    proxy_resident_id = EncryptedTextField(_("代购人身份证号"), max_length=18, blank=True)
    purchase_list_photo = models.FileField(
        _("签字购药清单照片"), upload_to=purchase_list_upload_to, blank=True
    )
    patient_signed = models.BooleanField(_("患者已签字确认结算单"), default=False)
    returned_at = models.DateTimeField(_("退药时间"), null=True, blank=True)

    class Meta:
        ordering = ["-dispensed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="dispensing_number_once"),
            # A POS retry with the same key finds the first dispensing (never charges twice).
            models.UniqueConstraint(
                fields=["pharmacy", "idempotency_key"], name="dispensing_idempotency_once"
            ),
            models.CheckConstraint(
                condition=models.Q(personal_share__gte=0) & models.Q(fund_share__gte=0),
                name="dispensing_shares_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["pharmacy", "dispensed_at"], name="dispensing_ph_time")]
        verbose_name = _("购药结算")
        verbose_name_plural = _("购药结算")

    def __str__(self) -> str:
        return self.number


class DispensingLine(models.Model):
    # Read through its dispensing only: drug, batch and movement are not indexed (each sale
    # would write them; drugs, batches and ledger rows are never deleted).
    dispensing = models.ForeignKey(Dispensing, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(PrescriptionItem, on_delete=models.PROTECT, related_name="+")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+", db_index=False)
    batch = models.ForeignKey(
        StockBatch, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    quantity = models.PositiveIntegerField(_("数量"))
    unit_price = models.DecimalField(_("实际销售价（元）"), max_digits=12, decimal_places=4)
    price_cap = models.DecimalField(_("最高限价（元）"), max_digits=12, decimal_places=4)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    traceability_codes = models.JSONField(_("追溯码"), default=list)
    movement = models.ForeignKey(
        Movement, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.drug} × {self.quantity}"


class DispensingEvent(EventReason):
    """A status move of a dispensing. Append-only (core.immutability): deleting a dispensing
    after its retention period (dispensing_delete) leaves its events, which is why the key is
    neither cascaded nor checked by the database."""

    append_only = True

    dispensing = models.ForeignKey(
        Dispensing, on_delete=models.DO_NOTHING, db_constraint=False, related_name="events"
    )
    old_status = models.CharField(max_length=10, blank=True)
    new_status = models.CharField(max_length=10)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    rule_id = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.old_status} → {self.new_status}"


class QuotaAccount(models.Model):
    """HY-G07: one enrolment's quota for one quarter; the row is the lock counters share."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("季度起"))
    period_end = models.DateField(_("季度止"))
    quota = models.DecimalField(_("额度（元）"), max_digits=12, decimal_places=2)
    used = models.DecimalField(_("已用（元）"), max_digits=12, decimal_places=2, default=0)
    # The payment standard (reference version) the quota was computed from: a later version
    # does not change an account already opened.
    standard = models.ForeignKey(
        "programmes.DiseaseStandard",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("支付标准版本"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "period_start"], name="quota_account_once"
            ),
            models.CheckConstraint(
                condition=models.Q(used__lte=models.F("quota")) & models.Q(used__gte=0),
                name="quota_within_standard",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.period_start}: {self.used}/{self.quota}"

    @property
    def remaining(self) -> Decimal:
        return self.quota - self.used


class QuotaEventKind(models.TextChoices):
    USE = "use", _("使用")
    REVERSE = "reverse", _("退药冲回")


class QuotaEvent(models.Model):
    """An explicit ledger row per quota change (F() updates leave no history otherwise)."""

    append_only = True  # the database refuses UPDATE and DELETE (core.immutability)

    account = models.ForeignKey(QuotaAccount, on_delete=models.PROTECT, related_name="events")
    # Outlives the dispensing: deleting one after its retention period leaves the quota's
    # ledger whole (the rows are append-only), so the key is neither cascaded nor checked.
    dispensing = models.ForeignKey(
        Dispensing, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=QuotaEventKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("到店自取")
    COURIER = "courier", _("快递配送")
    PHARMACY = "pharmacy", _("药店送药上门")


def voucher_upload_to(instance: Delivery, filename: str) -> str:
    return f"prescriptions/delivery-vouchers/{instance.dispensing_id}/{filename}"


class Delivery(models.Model):
    """GY-A09: the delivery register row of a sale — method, packaging, list, voucher, time."""

    dispensing = models.OneToOneField(Dispensing, on_delete=models.CASCADE, related_name="delivery")
    method = models.CharField(_("配送方式"), max_length=10, choices=DeliveryMethod.choices)
    packaging = models.CharField(_("包装"), max_length=100)
    item_list = models.TextField(_("配送清单"))
    voucher_no = models.CharField(_("配送凭证号"), max_length=60)
    voucher = models.FileField(_("配送凭证"), upload_to=voucher_upload_to, blank=True)
    shipped_at = models.DateTimeField(_("配送时间"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-shipped_at"]
        verbose_name = _("配送登记")
        verbose_name_plural = _("配送登记")

    def __str__(self) -> str:
        return self.voucher_no


class FundRecovery(models.Model):
    """追回 (GY-E04): fund paid out for misused dispensings, taken back from the pharmacy in the
    statement of the month it is booked; names the decision (a violation) or the case."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="fund_recoveries")
    dispensings = models.ManyToManyField(Dispensing, related_name="recoveries")
    amount = models.DecimalField(_("追回金额（元）"), max_digits=12, decimal_places=2)
    booked_on = models.DateField(_("记账日期"))
    reason = models.TextField(_("追回事由"))
    reference = models.CharField(_("依据文书"), max_length=60, blank=True)
    violation = models.ForeignKey(
        Violation, on_delete=models.PROTECT, null=True, blank=True, related_name="recoveries"
    )
    rule_id = models.CharField(_("依据规则"), max_length=10, default="GY-E04")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["booked_on", "id"]
        verbose_name = _("基金追回")
        verbose_name_plural = _("基金追回")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="recovery_positive")
        ]

    def __str__(self) -> str:
        return f"{self.pharmacy} · {self.amount}"


class CounterRefusal(models.Model):
    """A refused counter attempt that must outlive the refused sale (HY-G08, HY-G10, HY-B02 /
    GY-C01, GY-E02 resold code): written on its own (core.autonomous), so the sale's rollback
    keeps it; supervision counts these through prescriptions.selectors."""

    rule_id = models.CharField(_("规则编号"), max_length=10, db_index=True)
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    traceability_code = models.CharField(_("追溯码"), max_length=40, blank=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refused_at = models.DateTimeField(_("拒绝时间"))
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("柜台拒绝记录")
        verbose_name_plural = _("柜台拒绝记录")

    def __str__(self) -> str:
        return f"[{self.rule_id}] {self.refused_at:%Y-%m-%d %H:%M}"
