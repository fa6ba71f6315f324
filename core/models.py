from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HolidayOverride(models.Model):
    """A bureau-entered correction to the statutory calendar (e.g. next year's 调休) for one
    region and the regions below it. Statutory holidays stay national (the `holidays`
    package); a replaced or deleted entry is kept, marked with when and by whom."""

    region = models.ForeignKey(
        "accounts.Region",
        on_delete=models.PROTECT,
        related_name="holiday_overrides",
        verbose_name=_("行政区划"),
    )
    date = models.DateField(_("日期"))
    is_working_day = models.BooleanField(
        _("是否工作日"),
        help_text=_("勾选：该日上班（调休补班）；不勾选：该日放假。"),
    )
    name = models.CharField(_("说明"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "date"],
                condition=models.Q(deleted_at__isnull=True),
                name="holiday_override_once_per_region_day",
            )
        ]
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")

    def __str__(self) -> str:
        kind = _("上班") if self.is_working_day else _("放假")
        return f"{self.date:%Y-%m-%d} {kind} {self.name}".strip()


class Notification(models.Model):
    """An in-app message to a user; `key` makes a reminder idempotent (sent once)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=200, help_text="idempotency key: one message per key")
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    rule_id = models.CharField(_("规则编号"), max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key")
        ]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self) -> str:
        return self.subject


class TransitionEvent(models.Model):
    """One status move of a stateful object: old, new, who, why and under which rule.

    Each app's event model adds the foreign key to its object."""

    old_status = models.CharField(max_length=30, blank=True)
    new_status = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    rule_id = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.old_status}→{self.new_status}"
