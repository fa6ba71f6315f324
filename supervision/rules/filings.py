"""SV-F12 duplicate or inconsistent filings (申报), two signals over new filings: one patient
(one resident ID: patients are unique by its blind index) lodged for one disease at
`windows` different windows in one round, none of them refused; and a filing lodged for a
patient × disease already enrolled (an active enrolment created before the lodging). The
lodging services refuse both, so a finding means the checks were bypassed (imports, direct
edits) or raced. The finding is about the window that lodged the newer filing, under the
bureau of its region."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from patients.oversight import (
    filings_in_round_new,
    filings_in_rounds_of,
    filings_while_enrolled_new,
)
from supervision.models import FindingKind
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


def _filing(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": row["number"],
        "window": row["window__name"],
        "lodged_on": row["lodged_on"],
        "round": row["round_label"],
        "status": row["status"],
    }


@register
class FiledTwiceInRound(Rule):
    rule_id = "SV-F12"
    description = _("重复申报：同一参保人同一病种在同一批次向多个窗口申报")
    summary = gettext_noop(
        "%(patient)s 在 %(round)s 批次于 %(n)s 个窗口申报 %(disease)s"
        "（最新：%(number)s，%(window)s）"
    )
    kind = FindingKind.OTHER
    defaults: ClassVar[dict[str, int]] = {"windows": 2}

    def scan(self, scope: Scope) -> list[Hit]:
        last, new = filings_in_round_new(after_id=scope.after_id("filing"), period=scope.period)
        scope.advance("filing", last)
        if not new:
            return []
        held = filings_in_rounds_of(
            patient_ids=sorted({r["patient_id"] for r in new}),
            round_labels=sorted({r["round_label"] for r in new}),
            before_id=max(r["id"] for r in new),
        )
        same: dict[tuple[int, int, str], list[dict[str, Any]]] = {}
        for row in held:
            same.setdefault((row["patient_id"], row["disease_id"], row["round_label"]), []).append(
                row
            )
        hits = []
        for row in new:
            # The filing and those before it: a later one raises its own finding.
            group = [
                r
                for r in same.get((row["patient_id"], row["disease_id"], row["round_label"]), [])
                if r["id"] <= row["id"]
            ]
            windows = {r["window_id"] for r in group}
            if len(windows) < int(scope.parameters(row["disease__programme_id"])["windows"]):
                continue
            if not [r for r in group if r["window_id"] != row["window_id"]]:
                continue
            hits.append(self._hit(row, group, len(windows)))
        return hits

    def _hit(self, row: dict[str, Any], group: list[dict[str, Any]], n: int) -> Hit:
        return Hit(
            key=row["number"],
            organisation_id=row["window_id"],
            pharmacy_id=None,
            params={
                "patient": row["patient__name"],
                "round": row["round_label"],
                "n": n,
                "disease": row["disease__name"],
                "number": row["number"],
                "window": row["window__name"],
            },
            evidence=json_safe({"filings": [_filing(r) for r in group]}),
        )


@register
class FiledWhileEnrolled(Rule):
    rule_id = "SV-F12"
    signal = "enrolled"
    description = _("重复申报：已享受某病种待遇的参保人又申报同一病种")
    summary = gettext_noop(
        "%(patient)s 已享受 %(disease)s 待遇（%(enrolled_by)s），%(window)s 又受理申报 %(number)s"
    )
    kind = FindingKind.OTHER

    def scan(self, scope: Scope) -> list[Hit]:
        source = f"{self.signal}:filing"
        last, found = filings_while_enrolled_new(
            after_id=scope.after_id(source), period=scope.period
        )
        scope.advance(source, last)
        return [
            Hit(
                key=f"{self.signal}:{filing['number']}",
                organisation_id=filing["window_id"],
                pharmacy_id=None,
                params={
                    "signal": self.signal,
                    "patient": filing["patient__name"],
                    "disease": filing["disease__name"],
                    "enrolled_by": enrolment["filing__number"],
                    "window": filing["window__name"],
                    "number": filing["number"],
                },
                evidence=json_safe(
                    {
                        "filing": _filing(filing),
                        "enrolment": {
                            "filing": enrolment["filing__number"],
                            "window": enrolment["filing__window__name"],
                            "starts_on": enrolment["starts_on"],
                            "created_at": enrolment["created_at"],
                            "status": enrolment["status"],
                        },
                    }
                ),
            )
            for filing, enrolment in found
        ]
