from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.event_messages import render as render_reason
from core.notification_messages import render as render_message


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
    key = models.CharField(
        _("消息键"), max_length=200, help_text=_("防重复发送：同一消息键只发送一次")
    )
    # The message's name in core.notification_messages and its parameters: shown in the
    # reader's language. `subject`/`body` keep the Chinese text as sent (rows from before
    # the registry have only these, and are shown as stored).
    message = models.CharField(_("消息模板"), max_length=60, blank=True)
    params = models.JSONField(_("消息参数"), default=dict, blank=True)
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

    def _rendered(self) -> tuple[str, str]:
        return render_message(self.message, self.params) or (self.subject, self.body)

    @property
    def display_subject(self) -> str:
        """The subject in the active language (the stored text for an old row)."""
        return self._rendered()[0]

    @property
    def display_body(self) -> str:
        return self._rendered()[1]


class EventReason(models.Model):
    """An event row's reason: a person's text as written, or a system-written reason stored as
    a message name and parameters (core.event_messages) and shown in the reader's language."""

    reason = models.TextField(blank=True)
    # Database defaults too: rows inserted by SQL (a bulk insert, a test) need not name them.
    reason_key = models.CharField(max_length=40, blank=True, default="", db_default="")
    reason_params = models.JSONField(default=dict, blank=True, null=True)

    class Meta:
        abstract = True

    @property
    def reason_text(self) -> str:
        """The reason in the active language; a person's text (or an older row's) as stored."""
        if self.reason_key:
            rendered = render_reason(self.reason_key, self.reason_params)
            if rendered is not None:
                return rendered
        return self.reason


class TransitionEvent(EventReason):
    """One status move of a stateful object: old, new, who, why and under which rule.

    Each app's event model adds the foreign key to its object. Rows are append-only: the
    database refuses UPDATE and DELETE of them (`core.immutability`)."""

    append_only = True

    old_status = models.CharField(max_length=30, blank=True)
    new_status = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule_id = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.old_status}→{self.new_status}"

    def _state_label(self, value: str) -> str:
        from core.transitions import workflow_of_event

        workflow = workflow_of_event(type(self))
        return workflow.state_label(value) if workflow is not None else value

    @property
    def old_status_label(self) -> str:
        """The old state by its label in the active language ("" for the first event)."""
        return self._state_label(self.old_status) if self.old_status else ""

    @property
    def new_status_label(self) -> str:
        return self._state_label(self.new_status)

    @property
    def change_label(self) -> str:
        """ "已提交 → 已受理"; a note (no status change) names its state once."""
        new = self.new_status_label
        if self.old_status == self.new_status:
            return new
        return f"{self.old_status_label or '—'} → {new}"


class AuditAction(models.TextChoices):
    LOGIN = "login", _("登录成功")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出登录")
    RECORD_READ = "record_read", _("查看个人记录")
    RECORD_SEARCH = "record_search", _("按身份证号查询")
    ID_REVEAL = "id_reveal", _("查看完整身份证号")
    FILE_DOWNLOAD = "file_download", _("下载材料文件")
    DOCUMENT = "document", _("生成或下载文书")
    EXPORT = "export", _("导出数据")
    MEMBERSHIP_CREATED = "membership_created", _("授予岗位")
    MEMBERSHIP_CHANGED = "membership_changed", _("变更岗位")
    MEMBERSHIP_REMOVED = "membership_removed", _("撤销岗位")
    API_KEY_CREATED = "api_key_created", _("创建接口密钥")
    API_KEY_REVOKED = "api_key_revoked", _("吊销接口密钥")


class AuditEvent(models.Model):
    """One security-relevant act: who, what, when, from where (`core.audit.audit_record`).

    Append-only: a trigger refuses UPDATE and DELETE (migration core 0002). Who and where are
    plain values, not foreign keys: core imports no other app, and a row must outlive a
    renamed organisation or a deleted user. `region_id` is the region the act concerns (the
    patient's, the pharmacy's, else the actor's organisation's): the bureau's page is scoped by
    it. `detail` never holds a resident ID (masked by `audit_record`)."""

    append_only = True

    at = models.DateTimeField(_("时间"), default=timezone.now)
    action = models.CharField(_("操作"), max_length=30, choices=AuditAction.choices)
    user_id = models.BigIntegerField(_("用户编号"), null=True, blank=True)
    username = models.CharField(_("用户"), max_length=150, blank=True)
    organisation_id = models.BigIntegerField(_("机构编号"), null=True, blank=True)
    organisation_name = models.CharField(_("机构"), max_length=100, blank=True)
    role = models.CharField(_("岗位"), max_length=30, blank=True)
    api_key_id = models.BigIntegerField(_("接口密钥编号"), null=True, blank=True)
    api_key_prefix = models.CharField(_("接口密钥前缀"), max_length=12, blank=True)
    region_id = models.BigIntegerField(_("所涉区划"), null=True, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=40, blank=True)
    detail = models.CharField(_("摘要"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["region_id", "-at"], name="audit_region_at"),
            models.Index(fields=["user_id", "-at"], name="audit_user_at"),
        ]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action}"
