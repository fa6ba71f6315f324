"""The evidence behind the declared systems (HY-A06, HY-A07, HY-E05; GY-A01, GY-A03).

A tick-box on the profile ("network link", "monitoring", "video kept N days") is only a
declaration. The pharmacy uploads the document behind each — the interface acceptance letter
(接口验收), the monitoring contract (监控合同), the video retention settings (录像保存设置) —
with the application (private media, `ApplicationDocument`), and the assessment team records a
verdict on each at the on-site inspection. The evaluation passes only when each evidence
document is there and its verdict holds; otherwise it is refused under the rule it evidences.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accreditation.checklists import EVIDENCE_PREFIX, evidence_documents
from accreditation.models import Application
from core.errors import RuleViolation


def evidence_status(application: Application) -> list[tuple[object, list[object], bool | None]]:
    """Per evidence document: (checklist item, uploaded documents, on-site verdict or None)."""
    items = (application.inspection or {}).get("items", {})
    uploaded = list(application.documents.all())
    return [
        (
            d,
            [u for u in uploaded if u.kind == d.kind],
            items.get(EVIDENCE_PREFIX + d.kind) if application.inspection else None,
        )
        for d in evidence_documents(application.programme.code)
    ]


def check_evidence_for_pass(application: Application) -> None:
    """Refuse the pass while an evidence document is missing or failed its on-site check."""
    checked = (application.inspection or {}).get("items", {})
    have = set(application.documents.values_list("kind", flat=True))
    for item in evidence_documents(application.programme.code):
        if item.kind not in have:
            raise RuleViolation(
                item.rule_id,
                _("缺少证明材料：%(label)s，现场查勘条件不符合。") % {"label": item.label},
                field=item.kind,
            )
        if not checked.get(EVIDENCE_PREFIX + item.kind):
            raise RuleViolation(
                item.rule_id,
                _("证明材料未通过现场核对：%(label)s") % {"label": item.label},
                field=item.kind,
            )
