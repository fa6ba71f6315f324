"""Findings raised by rules over the ledgers (and by people), with their review pipeline."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
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
        return f"[{self.rule_id}] {self.summary}"


class FindingEvent(TransitionEvent):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")


# --- Inspection cases (issue 17.2) live in their own module; imported here for Django.
from supervision.case_models import (  # noqa: E402
    AdministrativePenalty as AdministrativePenalty,
)
from supervision.case_models import CaseCheck as CaseCheck  # noqa: E402
from supervision.case_models import CaseEvent as CaseEvent  # noqa: E402
from supervision.case_models import CaseEvidence as CaseEvidence  # noqa: E402
from supervision.case_models import InspectionCase as InspectionCase  # noqa: E402
from supervision.case_models import RandomDraw as RandomDraw  # noqa: E402
