"""Inspection cases (HY-E10, GY-E02–GY-E04): the 双随机 draw reproducible from its seed, the
guardian grants of inspectors, the flow from a finding to a payment-refusal decision, and the
links finding ↔ case ↔ decision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Organisation, OrganisationKind, Role
from accreditation.models import Designation, ViolationDecision
from core.errors import DomainError, RuleViolation
from supervision.case_models import (
    CASE_EDIT_PERM,
    CaseOrigin,
    CaseOutcome,
    CaseStatus,
    CheckResult,
    InspectionCase,
)
from supervision.case_services import (
    case_assign,
    case_checks_record,
    case_conclude,
    case_evidence_upload,
    case_may_edit,
    case_schedule,
    case_unassign,
    draw_replay,
    random_draw_open,
)
from supervision.models import FindingStatus
from tests.factories.accounts import member, region
from tests.factories.accreditation import hy, pdf, pharmacy
from tests.factories.prescriptions import world
from tests.factories.supervision import bureau_reviewer, case_on, finding_about

pytestmark = pytest.mark.django_db
JUNE = "2027-06-10 10:00 +0800"


def _designated(n: int) -> list[int]:
    ids = []
    for _ in range(n):
        p = pharmacy()
        Designation.objects.create(
            pharmacy=p, programme=hy(), starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)
        )
        ids.append(p.pk)
    return ids


def test_random_draw_is_reproducible_from_its_seed_and_opens_one_case_per_pharmacy() -> None:
    ids = _designated(8)
    reviewer = bureau_reviewer()
    draw = random_draw_open(
        region=region(), programme=hy(), size=3, seed=20270610, actor=reviewer, on=date(2027, 6, 10)
    )
    assert draw.population == sorted(ids) and len(draw.chosen) == 3
    assert set(draw.chosen) <= set(ids)
    assert draw_replay(draw) == draw.chosen
    again = random_draw_open(
        region=region(), programme=hy(), size=3, seed=20270610, actor=reviewer, on=date(2027, 6, 10)
    )
    assert again.chosen == draw.chosen
    cases = InspectionCase.objects.filter(draw=draw)
    assert sorted(c.pharmacy_id for c in cases) == draw.chosen
    assert {c.origin for c in cases} == {CaseOrigin.RANDOM_DRAW}
    assert all(case_may_edit(c, reviewer) for c in cases)


def test_random_draw_refuses_more_pharmacies_than_designated() -> None:
    _designated(2)
    with pytest.raises(DomainError):
        random_draw_open(
            region=region(), programme=hy(), size=3, actor=bureau_reviewer(), on=date(2027, 6, 1)
        )


def test_guardian_grants_follow_assignment() -> None:
    w = world()
    owner = bureau_reviewer()
    case = case_on(w, owner)
    inspector = member(Role.BUREAU_ADMIN)
    colleague = member(Role.BUREAU_REVIEWER)
    assert case_may_edit(case, owner) and not case_may_edit(case, inspector)
    case_assign(case=case, inspector=inspector, actor=owner)
    assert inspector.has_perm(CASE_EDIT_PERM, case)
    assert not case_may_edit(case, colleague)
    with pytest.raises(DomainError):
        case_schedule(case=case, planned_on=date(2027, 6, 20), actor=colleague)
    case_unassign(case=case, inspector=inspector, actor=owner)
    inspector = type(inspector).objects.get(pk=inspector.pk)  # guardian caches per user object
    assert not case_may_edit(case, inspector)


def test_only_bureau_staff_of_the_region_may_be_named_inspectors() -> None:
    w = world()
    owner = bureau_reviewer()
    case = case_on(w, owner)
    bureau = Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="贵阳市医疗保障局", region=region("520100")
    )
    with pytest.raises(DomainError):
        case_assign(
            case=case, inspector=member(Role.BUREAU_ADMIN, organisation=bureau), actor=owner
        )
    with pytest.raises(DomainError):
        case_assign(case=case, inspector=w.pharmacist, actor=owner)


def test_hy_e10_case_from_finding_to_payment_refusal_links_both_ways() -> None:
    w = world()
    owner = bureau_reviewer()
    inspector = member(Role.BUREAU_ADMIN)
    finding = finding_about(w)
    with time_machine.travel(JUNE, tick=False):
        from supervision.case_services import case_open_from_findings

        case = case_open_from_findings(findings=[finding], programme=w.hy, actor=owner)
        finding.refresh_from_db()
        assert finding.status == FindingStatus.IN_REVIEW
        case_assign(case=case, inspector=inspector, actor=owner)
        case = case_schedule(case=case, planned_on=date(2027, 6, 15), actor=owner)
        assert case.status == CaseStatus.SCHEDULED
        case_checks_record(
            case=case,
            results={
                "traceability": (CheckResult.ISSUE, "同一追溯码两次销售"),
                "video": ("ok", ""),
            },
            actor=inspector,
        )
        case_evidence_upload(case=case, upload=pdf("现场照片.pdf"), actor=inspector)
        with pytest.raises(RuleViolation):  # HY-E10: a refusal names its amount
            case_conclude(
                case=case,
                outcome=CaseOutcome.VIOLATION,
                conclusion="重复销售追溯码",
                decision=ViolationDecision.REFUSE_PAYMENT,
                actor=inspector,
            )
        case = case_conclude(
            case=case,
            outcome=CaseOutcome.VIOLATION,
            conclusion="重复销售追溯码",
            decision=ViolationDecision.REFUSE_PAYMENT,
            rule_id="GY-E02",
            refused_amount=Decimal("123.45"),
            actor=inspector,
        )
    assert case.status == CaseStatus.CONCLUDED and case.outcome == CaseOutcome.VIOLATION
    violation = case.violation
    assert violation is not None and violation.refused_amount == Decimal("123.45")
    assert violation.inspection_case == case  # decision → case
    assert list(finding.inspection_cases.all()) == [case]  # finding → case
    assert list(case.findings.all()) == [finding]  # case → finding
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    assert [c.key for c in case.checks.all()] == ["traceability", "video"]
    assert case.evidence.count() == 1
    with pytest.raises(DomainError):  # concluded: closed for edits
        case_schedule(case=case, planned_on=date(2027, 7, 1), actor=owner)


def test_a_rectification_needs_a_deadline_and_no_issue_closes_the_findings() -> None:
    w = world()
    owner = bureau_reviewer()
    case = case_on(w, owner)
    case_assign(case=case, inspector=owner, actor=owner)
    with time_machine.travel(JUNE, tick=False):
        case = case_schedule(case=case, planned_on=date(2027, 6, 15), actor=owner)
        with pytest.raises(RuleViolation):
            case_conclude(case=case, outcome=CaseOutcome.RECTIFICATION, conclusion="x", actor=owner)
        case = case_conclude(
            case=case, outcome=CaseOutcome.NO_ISSUE, conclusion="账实相符", actor=owner
        )
    assert case.violation is None
    assert {f.status for f in case.findings.all()} == {FindingStatus.CLOSED}


def test_gy_e04_recovery_and_penalty_need_an_editor_and_an_inspected_case() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from supervision.case_services import case_penalty_record, case_recovery_record
    from tests.factories.supervision import sale

    w = world()
    owner = bureau_reviewer()
    case = case_on(w, owner)
    with time_machine.travel("2027-05-10 10:00 +0800", tick=False):
        d = sale(w, 2)
    with pytest.raises(DomainError):  # not inspected yet
        case_recovery_record(
            case=case, dispensings=[d], amount=Decimal("1.00"), reason="x", actor=owner
        )
    case_assign(case=case, inspector=owner, actor=owner)
    case_schedule(case=case, planned_on=date(2027, 6, 15), actor=owner)
    case.refresh_from_db()
    with pytest.raises(DomainError):  # a colleague without the grant
        case_penalty_record(
            case=case,
            kind="warning",
            basis="x",
            decided_on=date(2027, 6, 15),
            actor=member(Role.BUREAU_REVIEWER),
        )
    with pytest.raises(DomainError):  # a fine names its amount
        case_penalty_record(
            case=case, kind="fine", basis="罚款", decided_on=date(2027, 6, 15), actor=owner
        )
    recovery = case_recovery_record(
        case=case, dispensings=[d], amount=Decimal("13.30"), reason="虚假结算", actor=owner
    )
    assert recovery.reference == case.number and list(recovery.dispensings.all()) == [d]
    with pytest.raises(DomainError):  # evidence is sniffed from its content
        case_evidence_upload(
            case=case, upload=SimpleUploadedFile("a.pdf", b"not a pdf"), actor=owner
        )
