"""Designation of a pharmacy for a programme (the designation work builds the workflow)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pharmacies.models import Pharmacy
from programmes.models import Programme


class DesignationStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("取消定点")
    TERMINATED = "terminated", _("解除协议")
    EXPIRED = "expired", _("期满未续签")


class Designation(models.Model):
    """A pharmacy × programme designation with its term.

    `settle_until`: after revocation, the last day patients may still settle here (HY-C06).
    """

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="designations")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="designations")
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=DesignationStatus.choices,
        default=DesignationStatus.ACTIVE,
    )
    starts_on = models.DateField(_("定点起始日"))
    ends_on = models.DateField(_("协议到期日"))
    settle_until = models.DateField(_("过渡期结算截止日"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("定点资格")
        verbose_name_plural = _("定点资格")

    def __str__(self) -> str:
        return f"{self.pharmacy} · {self.programme.code}"
