"""Inspection cases (HY-E10, GY-E02–GY-E04): opened from findings or a random draw (双随机),
worked by named inspectors (per-object django-guardian grants), concluded by no issue,
rectification or a violation decision (accreditation.Violation); administrative penalties."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from accreditation.models import Violation
from core.models import TransitionEvent
from pharmacies.models import Pharmacy
from programmes.models import Programme

# The per-object permission an inspector or the case owner holds (django-guardian).
CASE_EDIT_PERM = "supervision.change_inspectioncase"


class CaseStatus(models.TextChoices):
    OPEN = "open", _("已立案")
    SCHEDULED = "scheduled", _("已安排检查")
    CONCLUDED = "concluded", _("已办结")
    CANCELLED = "cancelled", _("已撤销")


class CaseOrigin(models.TextChoices):
    FINDINGS = "findings", _("核查线索")
    RANDOM_DRAW = "random_draw", _("双随机抽查")


class CaseOutcome(models.TextChoices):
    NO_ISSUE = "no_issue", _("未发现问题")
    RECTIFICATION = "rectification", _("责令整改")
    VIOLATION = "violation", _("违规处理")


class CheckResult(models.TextChoices):
    OK = "ok", _("符合")
    ISSUE = "issue", _("存在问题")
    NOT_APPLICABLE = "na", _("不适用")


class PenaltyKind(models.TextChoices):
    WARNING = "warning", _("警告")
    FINE = "fine", _("罚款")
    CONFISCATION = "confiscation", _("没收违法所得")


class RandomDraw(models.Model):
    """双随机: `size` pharmacies drawn from `population` (the sorted ids of those designated for
    the programme in the region on `drawn_on`) with `seed`; anyone can re-run the draw."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    drawn_on = models.DateField(_("抽取日期"))
    size = models.PositiveIntegerField(_("抽取数量"))
    seed = models.BigIntegerField(_("随机种子"))
    population = models.JSONField(_("抽取范围"), default=list)
    chosen = models.JSONField(_("抽中药店"), default=list)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-drawn_at", "-id"]
        verbose_name = _("双随机抽查")
        verbose_name_plural = _("双随机抽查")

    def __str__(self) -> str:
        return f"{self.programme} · {self.drawn_on} · {self.seed}"


class InspectionCase(models.Model):
    """One inspection of one pharmacy under one programme."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(_("来源"), max_length=20, choices=CaseOrigin.choices)
    draw = models.ForeignKey(
        RandomDraw, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    findings = models.ManyToManyField(
        "supervision.Finding", blank=True, related_name="inspection_cases"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("立案人"),
    )
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("检查人员")
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    planned_on = models.DateField(_("计划检查日期"), null=True, blank=True)
    outcome = models.CharField(_("结论"), max_length=20, choices=CaseOutcome.choices, blank=True)
    conclusion = models.TextField(_("检查结论"), blank=True)
    rectify_by = models.DateField(_("整改期限"), null=True, blank=True)
    violation = models.OneToOneField(
        Violation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_case",
        verbose_name=_("违规处理决定"),
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    concluded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("检查案件")
        verbose_name_plural = _("检查案件")

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"JC{self.pk:06d}"


class CaseEvent(TransitionEvent):
    case = models.ForeignKey(InspectionCase, on_delete=models.CASCADE, related_name="events")

    # The timeline names states by their labels, not their stored values (issue 16.5).
    @property
    def old_label(self) -> str:
        return str(CaseStatus(self.old_status).label) if self.old_status else "—"

    @property
    def new_label(self) -> str:
        return str(CaseStatus(self.new_status).label)


class CaseCheck(models.Model):
    """One item of the programme's checklist (supervision.case_checklists), as found."""

    case = models.ForeignKey(InspectionCase, on_delete=models.CASCADE, related_name="checks")
    key = models.CharField(max_length=40)
    label = models.CharField(_("检查事项"), max_length=200)
    rule_id = models.CharField(_("依据规则"), max_length=10)
    result = models.CharField(_("检查结果"), max_length=10, choices=CheckResult.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="case_check_once")]

    def __str__(self) -> str:
        return f"{self.label}: {self.get_result_display()}"


def _evidence_path(instance: CaseEvidence, filename: str) -> str:
    return f"supervision/cases/{instance.case_id}/{filename}"


class CaseEvidence(models.Model):
    """A photo or scanned document taken on site (PDF/JPEG/PNG sniffed, core.uploads)."""

    case = models.ForeignKey(InspectionCase, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("文件"), upload_to=_evidence_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class AdministrativePenalty(models.Model):
    """An administrative penalty decided on a case (HY-E10, GY-E04), recorded as decided."""

    case = models.ForeignKey(InspectionCase, on_delete=models.PROTECT, related_name="penalties")
    kind = models.CharField(_("处罚种类"), max_length=20, choices=PenaltyKind.choices)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    basis = models.TextField(_("处罚依据"))
    decided_on = models.DateField(_("决定日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount or ''}"
