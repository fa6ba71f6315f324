"""What a notification says, by name: each message is a pair of gettext_lazy templates with
%(name)s placeholders. A notification row stores the name and its JSON parameters and is
rendered in the reader's language when shown (or e-mailed in the recipient's language).

A parameter that is itself a translatable label (a status, a licence kind) is stored as
`label(text)`: its Chinese source, translated when the message is rendered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

SOURCE_LANGUAGE = "zh-hans"


@dataclass(frozen=True)
class MessageTemplate:
    subject: Any  # a lazy string
    body: Any = ""


MESSAGES: dict[str, MessageTemplate] = {
    # accreditation
    "application_submitted": MessageTemplate(_("新的定点申请：%(p)s（%(c)s）")),
    "application_supplemented": MessageTemplate(_("%(p)s 已补充材料，评估截止日 %(d)s")),
    "application_status": MessageTemplate(_("定点申请（%(c)s）状态：%(s)s"), "%(note)s"),
    "designation_status": MessageTemplate(_("定点资格（%(c)s）状态：%(s)s")),
    "evaluation_overdue": MessageTemplate(_("评估已逾期：%(p)s（截止 %(d)s）")),
    "evaluation_due": MessageTemplate(_("评估截止日 %(d)s 还剩 %(n)s 天：%(p)s")),
    "notice_over": MessageTemplate(_("公示期已结束，请签订协议：%(p)s")),
    "feedback_due": MessageTemplate(_("请于 %(d)s 前发出评估结果反馈函：%(p)s")),
    "payroll_missing": MessageTemplate(_("%(p)s 职工 %(s)s %(m)s 工资银行流水未提供")),
    "licence_expiring": MessageTemplate(_("%(l)s 将于 %(d)s 到期，请及时换证并更新资料")),
    "designation_renewal": MessageTemplate(_("协议将于 %(d)s 到期，请进行年度考核：%(p)s")),
    "rectification_over": MessageTemplate(_("整改期已结束，请复查：%(p)s")),
    # inventory
    "stocktake_overdue": MessageTemplate(
        _("季度盘点表已逾期未报送（截止日 %(due)s），已报医保部门核查"),
        _("盘点期 %(start)s 至 %(end)s。请尽快完成盘点并上传实盘表。"),
    ),
    "stocktake_reminder": MessageTemplate(
        _("请于 %(due)s 前报送季度盘点表"), _("盘点期 %(start)s 至 %(end)s。")
    ),
    "stocktake_blind_changed": MessageTemplate(
        _("季度盘点的盘底表已%(what)s，请重新下载"), "%(stocktake)s"
    ),
    # patients
    "roster_submitted": MessageTemplate(_("%(hospital)s 报送了初审名册 %(number)s")),
    "filing_assigned": MessageTemplate(_("请评审特门申报 %(number)s")),
    "filing_decided": MessageTemplate(_("特门申报 %(number)s：%(status)s")),
    "institution_revoked": MessageTemplate(
        _("%(name)s 取消定点：%(count)s 名特门患者需重新选择定点机构"),
        _(
            "%(until)s 前未转出的患者仍在原机构结算，"
            "自 %(from)s 起只能在新选择的机构结算。患者：%(names)s"
        ),
    ),
    # programmes
    "calendar_arrangement": MessageTemplate(
        _("请录入 %(year)s 年法定节假日调休安排"),
        _("节假日数据包尚未收录 %(year)s 年的调休安排，工作日期限暂按法定节日和周末计算。"),
    ),
    # supervision
    "finding_raised": MessageTemplate(_("新的核查线索：%(summary)s"), "%(organisation)s"),
}


def label(text: Any) -> dict[str, str]:
    """A translatable parameter: stored as its Chinese source, translated when rendered."""
    with translation.override(SOURCE_LANGUAGE):
        return {"label": str(text)}


def _param(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"label"}:
        return gettext(str(value["label"]))
    return value


def plain(params: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe parameters: lazy strings become their source, dates their ISO form."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, Promise):
            out[name] = label(value)
        elif isinstance(value, (str, int, float, bool, dict)) or value is None:
            out[name] = value
        elif hasattr(value, "isoformat"):
            out[name] = value.isoformat()
        else:
            out[name] = str(value)
    return out


def render(name: str, params: dict[str, Any]) -> tuple[str, str] | None:
    """Subject and body of message `name` in the active language (None: unknown name)."""
    template = MESSAGES.get(name)
    if template is None:
        return None
    values = {key: _param(value) for key, value in (params or {}).items()}
    try:
        subject = str(template.subject) % values
        body = str(template.body) % values if template.body else ""
    except (KeyError, TypeError, ValueError):
        return None
    return subject, body


def render_in(language: str, name: str, params: dict[str, Any]) -> tuple[str, str] | None:
    with translation.override(language):
        return render(name, params)
