"""The on-site checklist of an inspection case, per programme (data: key, label, rule ID)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class CheckItem:
    key: str
    label: StrOrPromise
    rule_id: str


HY_CHECKS = (
    CheckItem("ledger_balance", _("进销存账实相符"), "HY-E06"),
    CheckItem("traceability", _("药品追溯码一药一码、未重复销售"), "GY-E02"),
    CheckItem("prescriptions", _("处方真实、审方药师在岗"), "HY-E01"),
    CheckItem("video", _("特门区录像完整可调阅"), "HY-E05"),
    CheckItem("staff", _("人员名单与实际在岗人员一致"), "GY-B02"),
    CheckItem("price", _("结算价格不高于限价"), "HY-B02"),
)
GY_CHECKS = (
    CheckItem("ledger_balance", _("进销存账实相符"), "GY-B02"),
    CheckItem("traceability", _("药品追溯码一药一码、未重复销售"), "GY-E02"),
    CheckItem("substitution", _("无串换药品、虚开票据"), "GY-E02"),
    CheckItem("video", _("购药全过程视频监控可调阅"), "GY-E03"),
    CheckItem("staff", _("未将门诊业务转包或委托第三方"), "GY-B02"),
    CheckItem("price", _("结算价格不高于限价"), "GY-C01"),
)
CHECKS: dict[str, tuple[CheckItem, ...]] = {"HY-TM": HY_CHECKS, "GY-PT": GY_CHECKS}


def case_checklist(programme_code: str) -> tuple[CheckItem, ...]:
    return CHECKS.get(programme_code, HY_CHECKS)
