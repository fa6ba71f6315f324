"""Findings raised by rules over the ledgers (and by people), with their review pipeline."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Organisation
from core.history import history_user
from core.models import TransitionEvent
from pharmacies.models import Pharmacy


class FindingKind(models.TextChoices):
    STOCK_IMBALANCE = "stock_imbalance", _("进销存不平衡")
    STOCKTAKE_OVERDUE = "stocktake_overdue", _("逾期未报送盘点表")
    DISPENSING = "dispensing", _("购药结算异常")
    OTHER = "other", _("其他")


class FindingPriority(models.TextChoices):
    NORMAL = "normal", _("一般")
    PRIORITY_INSPECTION = "priority_inspection", _("重点核查")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    IN_REVIEW = "in_review", _("核查中")
    CLOSED = "closed", _("已办结")


# --- Rules engine (issue 17.1): one row per rule of supervision.rules ----------------------


class SupervisionRule(models.Model):
    """The data of one fund-supervision rule (the code is its module under supervision.rules):
    whether it runs, its severity, how far the scan has read (watermark per source) and
    what it found. Its thresholds are programme data (Programme.supervision_parameters)."""

    rule_id = models.CharField(_("规则编号"), max_length=10, unique=True)
    description = models.CharField(_("说明"), max_length=200)
    severity = models.CharField(
        _("严重程度"),
        max_length=30,
        choices=FindingPriority.choices,
        default=FindingPriority.NORMAL,
    )
    enabled = models.BooleanField(_("启用"), default=True)
    watermark = models.JSONField(_("已扫描至"), default=dict, blank=True)
    last_run_at = models.DateTimeField(_("上次扫描"), null=True, blank=True)
    last_run_hits = models.PositiveIntegerField(_("上次新增线索"), default=0)
    hits_total = models.PositiveIntegerField(_("累计线索"), default=0)
    # Who switched it on or off, when and why; a scan's bookkeeping writes no history row.
    history = HistoricalRecords(
        excluded_fields=["watermark", "last_run_at", "last_run_hits", "hits_total"],
        get_user=history_user,
    )

    class Meta:
        ordering = ["rule_id"]
        verbose_name = _("监管规则")
        verbose_name_plural = _("监管规则")

    def __str__(self) -> str:
        return self.rule_id


class Finding(models.Model):
    """Something a rule found that the bureau must look at; raised once per dedupe key."""

    rule_id = models.CharField(_("规则编号"), max_length=10)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="findings", verbose_name=_("机构")
    )
    pharmacy = models.ForeignKey(
        Pharmacy, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    kind = models.CharField(_("类型"), max_length=30, choices=FindingKind.choices)
    priority = models.CharField(
        _("优先级"), max_length=30, choices=FindingPriority.choices, default=FindingPriority.NORMAL
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    summary = models.CharField(_("摘要"), max_length=200)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    raised_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("核查线索")
        verbose_name_plural = _("核查线索")

    def __str__(self) -> str:
        return f"[{self.rule_id}] {self.display_summary()}"

    def display_summary(self) -> str:
        """The summary in the reader's language: an engine rule's finding keeps its params and
        is rendered from the rule's template now (issue 16.5); older findings keep their text."""
        from supervision.rules import RULES  # the rules read this module: import at use

        rule = RULES.get(self.rule_id)
        params = (self.details or {}).get("params")
        if rule is None or not isinstance(params, dict):
            return self.summary
        return rule.render(params)


class FindingEvent(TransitionEvent):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")

    @property
    def reason_text(self) -> str:
        """A finding's first event repeats its summary: shown in the reader's language too."""
        if not self.old_status and not self.reason_key and self.reason == self.finding.summary:
            return self.finding.display_summary()
        return super().reason_text


# --- Inspection cases (issue 17.2) live in their own module; imported here for Django.
from supervision.case_models import (  # noqa: E402
    AdministrativePenalty as AdministrativePenalty,
)
from supervision.case_models import CaseCheck as CaseCheck  # noqa: E402
from supervision.case_models import CaseEvent as CaseEvent  # noqa: E402
from supervision.case_models import CaseEvidence as CaseEvidence  # noqa: E402
from supervision.case_models import InspectionCase as InspectionCase  # noqa: E402
from supervision.case_models import RandomDraw as RandomDraw  # noqa: E402
