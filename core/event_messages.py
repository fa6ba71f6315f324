"""What a system-written event reason says, by name (issue 16.5): a gettext_lazy template with
%(name)s placeholders. An event row (core.models.TransitionEvent) stores the name and its JSON
parameters next to the text in the source language, and a timeline renders it in the reader's
language. A person's own words (a reviewer's note, a cancellation reason) stay plain text, or
travel as the `note` parameter of a message that adds system text to them.

Parameters are made JSON-safe as for notifications (core.notification_messages.plain): a lazy
string is stored as its Chinese source and translated when rendered, a date as its ISO form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.notification_messages import SOURCE_LANGUAGE, _param, plain

REASONS: dict[str, Any] = {
    # accreditation
    "supplement_paused": _("补充材料用时 %(n)s 天，不计入评估期限"),
    "inspection_recorded": _("记录现场查勘结果"),
    "feedback_sent": _("发出评估结果反馈函"),
    "conditions_acknowledged": _("%(note)s\n已确认不符合的条件：%(list)s"),
    "designation_expired": _("期满未续签"),
    "designation_renewed": _("年度考核合格，续签协议"),
    "designation_revoked": _("整改期满仍不合格，取消定点"),
    "patients_notified": _("已通知参保患者重新选择定点机构：过渡期至 %(s)s，%(e)s 起停止"),
    "date_recomputed": _("%(year)s 年节假日安排已录入，%(what)s由 %(old)s 重算为 %(new)s。"),
    "demo_agreement_signed": _("演示数据：已签订定点服务协议"),
    "demo_supplement_signed": _("演示数据：已签订门诊保障补充协议"),
    # inventory
    "due_recomputed": _("%(year)s 年节假日安排已录入，报送截止日由 %(old)s 重算为 %(new)s。"),
    "stocktake_blind": _("改为盲盘（盘底表不显示账面数量） %(note)s"),
    "stocktake_not_blind": _("改为显示账面数量 %(note)s"),
    # patients
    "choice_rechosen": _("患者重新选择定点机构"),
    "institution_revoked": _("机构取消定点"),
    "filing_assigned": _("分配给 %(name)s"),
    "demo_data": _("演示数据"),
    "demo_filing_passed": _("演示数据：2026年4月批次评审通过"),
    # supervision
    "case_opened": _("立案"),
    "inspector_assigned": _("指派检查人员：%(n)s"),
    "inspector_withdrawn": _("撤回检查人员：%(n)s"),
    "inspection_rescheduled": _("检查日期改为 %(d)s"),
}


@dataclass(frozen=True)
class Reason:
    """A system-written reason: its message name and JSON-safe parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def source_text(self) -> str:
        """The reason in the source language (stored in the row's `reason` as well)."""
        return render_in(SOURCE_LANGUAGE, self.key, self.params) or ""


def reason(key: str, **params: Any) -> Reason:
    """The reason `key` with `params` (an unknown name is a programming error)."""
    if key not in REASONS:
        raise KeyError(f"unknown event reason {key!r}")
    return Reason(key, plain(params))


def render(key: str, params: dict[str, Any] | None) -> str | None:
    """Reason `key` in the active language (None: an unknown name or unfit parameters)."""
    template = REASONS.get(key)
    if template is None:
        return None
    values = {name: _param(value) for name, value in (params or {}).items()}
    try:
        return (str(template) % values).strip()
    except (KeyError, TypeError, ValueError):
        return None


def render_in(language: str, key: str, params: dict[str, Any] | None) -> str | None:
    with translation.override(language):
        return render(key, params)


def event_fields(value: str | Reason) -> dict[str, Any]:
    """The reason columns of an event row: a person's text as written, or a named reason with
    its parameters and its source-language text."""
    if isinstance(value, Reason):
        return {
            "reason": value.source_text(),
            "reason_key": value.key,
            "reason_params": value.params,
        }
    return {"reason": value}
