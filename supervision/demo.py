"""Demo data of the fund supervision (issue 17.1): refused counter attempts at the county
pharmacy, kept as the counter keeps them, so that a scan raises findings of several SV rules;
then the scan itself (the worker's beat repeats it every 15 minutes). Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from pharmacies.models import Pharmacy
from prescriptions.models import CounterRefusal
from programmes.models import Programme
from supervision.engine import rules_scan

# (refused under, how many times, what the pharmacist tried): each repeated at least the
# starting threshold (2 a month) so the attempts rules fire.
ATTEMPTS = [
    ("HY-G10", 2, "所配药品与处方不一致（串换）"),  # SV-F02
    ("HY-G08", 2, "患者住院期间购药"),  # SV-F05
    ("HY-G07", 2, "超出本季度额度购药"),  # SV-F06
    ("HY-B02", 3, "售价高于限价"),  # SV-F13
]
RESOLD_CODE = "81234567890123456789"  # SV-F01: presented again after it was sold


def seed(ctx: dict[str, Any]) -> None:
    pharmacy = Pharmacy.objects.filter(organisation=ctx["organisations"]["hy_pharmacy"]).first()
    programme = Programme.objects.filter(code="HY-TM").first()
    if pharmacy is None or programme is None:
        return
    if not CounterRefusal.objects.filter(pharmacy=pharmacy, details__demo=True).exists():
        now = timezone.now()
        rows = [
            CounterRefusal(
                rule_id=rule_id,
                pharmacy=pharmacy,
                programme=programme,
                refused_at=now - timedelta(minutes=10 * i + n),
                details={"demo": True, "message": what},
            )
            for i, (rule_id, times, what) in enumerate(ATTEMPTS)
            for n in range(times)
        ]
        rows.append(
            CounterRefusal(
                rule_id="GY-E02",
                pharmacy=pharmacy,
                programme=programme,
                traceability_code=RESOLD_CODE,
                refused_at=now - timedelta(minutes=50),
                details={"demo": True, "kind": "resold"},
            )
        )
        CounterRefusal.objects.bulk_create(rows)
    raised = rules_scan()
    ctx.setdefault("notes", []).append(
        "基金监管：规则扫描已运行（SV-F01 回流药、SV-F02 串换、SV-F05 住院期间购药、"
        "SV-F06 超额度购药、SV-F13 超限价）；医保局审核员在“核查线索”查看，"
        f"管理员在“监管规则”试运行和调整参数（本次新增 {sum(raised.values())} 条）"
    )
