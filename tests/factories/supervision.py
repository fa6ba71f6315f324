"""Inspection cases: a sale of the prescriptions world, a finding about its pharmacy, a case."""

from __future__ import annotations

from accounts.models import Role, User
from prescriptions.models import Dispensing, PrescriptionKind
from prescriptions.services import dispensing_submit
from supervision.case_models import InspectionCase
from supervision.case_services import case_open_from_findings
from supervision.models import Finding, FindingKind
from supervision.services import finding_raise
from tests.factories.accounts import member
from tests.factories.prescriptions import World


def sale(w: World, qty: int = 2) -> Dispensing:
    """A long-term sale of `qty` tablets at 9.50 (fund share 70 %)."""
    p = w.prescription(kind=PrescriptionKind.LONG_TERM)
    return dispensing_submit(
        pharmacy=w.pharmacy,
        prescription=p,
        lines=[w.line(p, qty)],
        actor=w.pharmacist,
        identity_confirmed=True,
        patient_signed=True,
    )


def finding_about(w: World, key: str = "case-1") -> Finding:
    finding, _ = finding_raise(
        rule_id="GY-E02",
        organisation=w.pharmacy.organisation,
        pharmacy=w.pharmacy,
        kind=FindingKind.DISPENSING,
        summary=f"{w.pharmacy.organisation.name} 追溯码重复销售",
        dedupe_key=key,
    )
    return finding


def bureau_reviewer() -> User:
    return member(Role.BUREAU_REVIEWER)


def case_on(w: World, owner: User | None = None, key: str = "case-1") -> InspectionCase:
    return case_open_from_findings(
        findings=[finding_about(w, key)], programme=w.hy, actor=owner or bureau_reviewer()
    )
