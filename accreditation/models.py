"""Designation of pharmacies: applications and their review, designations, assessments,
violations. Each stateful model has one transition table (accreditation.transitions)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from core.models import TransitionEvent
from pharmacies.models import Pharmacy
from programmes.models import Programme


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理，评估中")
    SUPPLEMENT = "supplement", _("补充材料中")
    INSPECTION = "inspection", _("现场查勘")
    PASSED = "passed", _("评估合格，公示中")
    FAILED = "failed", _("评估不合格")
    SIGNED = "signed", _("已签订协议")


class Application(models.Model):
    """A pharmacy's application for designation in a programme (HY-C01–C04, GY-B01)."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="applications")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(
        _("状态"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    pledge_truthful = models.BooleanField(_("承诺材料真实合法"), default=False)
    pledge_security = models.BooleanField(_("信息安全保密承诺"), default=False)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    supplement_since = models.DateField(_("补充材料起始日"), null=True, blank=True)
    supplement_note = models.TextField(_("补充材料要求"), blank=True)
    paused_days = models.PositiveIntegerField(_("补充材料天数（不计入评估期限）"), default=0)
    evaluation_due_on = models.DateField(_("评估截止日"), null=True, blank=True)
    inspection = models.JSONField(_("现场查勘记录"), default=dict, blank=True)
    decided_on = models.DateField(_("评估结论日期"), null=True, blank=True)
    decision_reason = models.TextField(_("评估意见"), blank=True)
    notice_starts_on = models.DateField(_("公示开始日"), null=True, blank=True)
    notice_ends_on = models.DateField(_("公示结束日"), null=True, blank=True)
    feedback_due_on = models.DateField(_("结果反馈截止日"), null=True, blank=True)
    feedback_sent_on = models.DateField(_("结果反馈日期"), null=True, blank=True)
    signed_on = models.DateField(_("协议签订日期"), null=True, blank=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("定点申请")
        verbose_name_plural = _("定点申请")

    def __str__(self) -> str:
        return f"{self.pharmacy} · {self.programme.code} · {self.get_status_display()}"


class ApplicationEvent(TransitionEvent):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    # The failing soft conditions the reviewer acknowledged when passing the evaluation:
    # [{"rule_id", "label", "data"}] as they stood at that moment (accreditation.passing).
    acknowledged = models.JSONField(_("已确认的不符合条件"), default=list, blank=True)


def _document_path(instance: ApplicationDocument, filename: str) -> str:
    return f"accreditation/{instance.application_id}/{filename}"


class ApplicationDocument(models.Model):
    """An uploaded document of the checklist (HY-D01–D05, GY-B01)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("材料"), max_length=40)
    file = models.FileField(_("文件"), upload_to=_document_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class DesignationStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    RECTIFICATION = "rectification", _("整改期")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("取消定点")
    TERMINATED = "terminated", _("解除协议")
    EXPIRED = "expired", _("期满未续签")


class Designation(models.Model):
    """A pharmacy × programme designation with its term.

    `settle_until`: after revocation, the last day patients may still settle here (HY-C06);
    `stops_on`: the day the designation stops (1 January next year, next working day; HY-G06);
    `ban_until`: the last day of the ban (HY-C05 revoked, HY-E10 terminated), inclusive: no new
    application or renewal up to and including this day; lifted the day after.
    """

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="designations")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="designations")
    application = models.OneToOneField(
        Application,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="designation",
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=DesignationStatus.choices,
        default=DesignationStatus.ACTIVE,
    )
    starts_on = models.DateField(_("定点起始日"))
    ends_on = models.DateField(_("协议到期日"))
    settle_until = models.DateField(_("过渡期结算截止日"), null=True, blank=True)
    stops_on = models.DateField(_("取消定点生效日"), null=True, blank=True)
    rectification_until = models.DateField(_("整改期截止日"), null=True, blank=True)
    suspended_until = models.DateField(_("暂停至"), null=True, blank=True)
    ban_until = models.DateField(_("不得再次申请至"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("定点资格")
        verbose_name_plural = _("定点资格")

    def __str__(self) -> str:
        return f"{self.pharmacy} · {self.programme.code}"


class DesignationEvent(TransitionEvent):
    designation = models.ForeignKey(Designation, on_delete=models.CASCADE, related_name="events")


class AssessmentResult(models.TextChoices):
    PASSED = "passed", _("合格")
    FAILED = "failed", _("不合格")
    NOT_RENEWED = "not_renewed", _("不予续签")


class Assessment(models.Model):
    """The yearly assessment of an agreement (HY-E09) or the re-check after rectification."""

    designation = models.ForeignKey(
        Designation, on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_on = models.DateField(_("考核日期"))
    result = models.CharField(_("考核结果"), max_length=20, choices=AssessmentResult.choices)
    after_rectification = models.BooleanField(_("整改后复查"), default=False)
    notes = models.TextField(_("考核意见"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["-assessed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.designation} · {self.assessed_on} · {self.get_result_display()}"


class ViolationDecision(models.TextChoices):
    REFUSE_PAYMENT = "refuse_payment", _("拒付相关费用")
    SUSPEND = "suspend", _("暂停服务协议")
    TERMINATE = "terminate", _("解除服务协议")
    JUDICIAL = "judicial", _("移送司法机关")


# The rules under which a violation is decided (HY-E10, GY-E04, GY-B02).
VIOLATION_RULES = ["HY-E10", "GY-E04", "GY-B02"]


class Violation(models.Model):
    """A violation finding and the decision on it (HY-E10, GY-E04, GY-B02)."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="violations")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    designation = models.ForeignKey(
        Designation, on_delete=models.PROTECT, null=True, blank=True, related_name="violations"
    )
    found_on = models.DateField(_("查实日期"))
    finding = models.TextField(_("违规事实"))
    rule_id = models.CharField(_("依据规则"), max_length=10)
    major = models.BooleanField(_("重大违规"), default=False, help_text="HY-A01")
    decision = models.CharField(_("处理决定"), max_length=20, choices=ViolationDecision.choices)
    refused_amount = models.DecimalField(
        _("拒付金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    suspended_until = models.DateField(_("暂停至"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-found_on", "-id"]
        verbose_name = _("违规处理")
        verbose_name_plural = _("违规处理")

    def __str__(self) -> str:
        return f"{self.pharmacy} · {self.get_decision_display()}"


# --- The yearly assessment as a scored sheet (HY-E09, HY 七)


class IndicatorMethod(models.TextChoices):
    AUTO = "auto", _("自动评分")
    MANUAL = "manual", _("人工评分")


class AssessmentOutcome(models.TextChoices):
    RENEWAL = "renewal", _("续签")
    RECTIFICATION = "rectification", _("限期整改")
    NON_RENEWAL = "non_renewal", _("不予续签")


class AssessmentScheme(models.Model):
    """A programme's assessment thresholds (HY-E09): a total at or above `renewal_min` renews,
    at or above `rectification_min` leads to rectification, below it to non-renewal.
    Programme data, edited by bureau admins with a reason; history keeps each version."""

    programme = models.OneToOneField(
        Programme, on_delete=models.PROTECT, related_name="assessment_scheme"
    )
    renewal_min = models.DecimalField(_("续签最低分"), max_digits=5, decimal_places=1)
    rectification_min = models.DecimalField(_("整改最低分"), max_digits=5, decimal_places=1)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("年度考核方案")
        verbose_name_plural = _("年度考核方案")

    def __str__(self) -> str:
        return str(self.programme)


class AssessmentIndicator(models.Model):
    """One indicator of a programme's yearly assessment: its weight in the total (of 100), the
    points a reviewer or a metric gives (0–max_points), and how it is scored: automatic (a
    named metric of accreditation.scoring.METRICS, with its parameters) or manual."""

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.PROTECT, related_name="indicators"
    )
    code = models.CharField(_("指标编号"), max_length=20)
    label = models.CharField(_("考核指标"), max_length=200)
    rule_id = models.CharField(_("依据规则"), max_length=10, blank=True)
    weight = models.DecimalField(_("权重（分）"), max_digits=5, decimal_places=1)
    max_points = models.DecimalField(_("满分"), max_digits=5, decimal_places=1)
    method = models.CharField(_("评分方式"), max_length=10, choices=IndicatorMethod.choices)
    metric = models.CharField(_("自动指标"), max_length=40, blank=True)
    params = models.JSONField(_("评分参数"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["scheme", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="uniq_indicator_code"),
        ]
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class AssessmentSheet(models.Model):
    """The scored sheet of one yearly assessment: open while lines are filled, concluded when
    `assessment` is set (the outcome applied to the designation)."""

    designation = models.ForeignKey(
        Designation, on_delete=models.PROTECT, related_name="assessment_sheets"
    )
    period_start = models.DateField(_("考核期起"))
    period_end = models.DateField(_("考核期止"))
    total = models.DecimalField(_("总分"), max_digits=5, decimal_places=1, null=True, blank=True)
    outcome = models.CharField(
        _("考核结论"), max_length=20, choices=AssessmentOutcome.choices, blank=True
    )
    renewal_min = models.DecimalField(
        _("续签最低分"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    rectification_min = models.DecimalField(
        _("整改最低分"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="sheet"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("年度考核评分表")
        verbose_name_plural = _("年度考核评分表")

    def __str__(self) -> str:
        return f"{self.designation} · {self.period_start}–{self.period_end}"


class AssessmentLine(models.Model):
    """One indicator on a sheet, with the weight and maximum it had when the sheet opened."""

    sheet = models.ForeignKey(AssessmentSheet, on_delete=models.CASCADE, related_name="lines")
    indicator = models.ForeignKey(AssessmentIndicator, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("考核指标"), max_length=200)
    method = models.CharField(_("评分方式"), max_length=10, choices=IndicatorMethod.choices)
    weight = models.DecimalField(_("权重（分）"), max_digits=5, decimal_places=1)
    max_points = models.DecimalField(_("满分"), max_digits=5, decimal_places=1)
    points = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    evidence = models.TextField(_("数据依据"), blank=True)
    note = models.TextField(_("评分说明"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sheet", "order", "id"]

    def __str__(self) -> str:
        return f"{self.sheet} · {self.label}"

    @property
    def weighted(self) -> Decimal | None:
        """The line's share of the total (of 100)."""
        if self.points is None or not self.max_points:
            return None
        return (self.points * self.weight / self.max_points).quantize(Decimal("0.1"))
