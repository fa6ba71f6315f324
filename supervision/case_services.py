"""Writes of inspection cases (HY-E10, GY-E02–GY-E04): the random draw (双随机), opening from
findings, assigning inspectors (django-guardian per-object grants), schedule, checklist,
evidence, conclusion (accreditation's violation services), recoveries and penalties."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import BUREAU_KINDS, Membership, Region, User
from accreditation.models import ViolationDecision
from accreditation.selectors import designated_pharmacies
from accreditation.services import violation_record
from core.errors import DomainError, RuleViolation
from core.event_messages import reason as named_reason
from core.transitions import note, transition
from core.uploads import sniff_upload
from pharmacies.models import Pharmacy
from prescriptions.models import Dispensing, FundRecovery
from prescriptions.services import fund_recovery_record
from programmes.models import Programme
from supervision.case_checklists import case_checklist
from supervision.case_models import (
    CASE_EDIT_PERM,
    AdministrativePenalty,
    CaseCheck,
    CaseEvidence,
    CaseOrigin,
    CaseOutcome,
    CaseStatus,
    CheckResult,
    InspectionCase,
    PenaltyKind,
    RandomDraw,
)
from supervision.models import Finding, FindingStatus
from supervision.services import finding_transition
from supervision.transitions import CASE

# --- 双随机: a reproducible draw


def draw_sample(population: Sequence[int], size: int, seed: int) -> list[int]:
    """The draw itself: `size` ids of the sorted population, by Python's Mersenne Twister seeded
    with `seed` — the same seed and population always give the same pharmacies."""
    # Reproducibility, not secrecy, is wanted here; the seed itself comes from `secrets`.
    return sorted(random.Random(seed).sample(sorted(population), size))  # noqa: S311


def draw_replay(draw: RandomDraw) -> list[int]:
    """Re-run a recorded draw from its seed and population (to check it)."""
    return draw_sample(draw.population, draw.size, draw.seed)


def random_draw_open(
    *,
    region: Region,
    programme: Programme,
    size: int,
    actor: User,
    seed: int | None = None,
    on: date | None = None,
) -> RandomDraw:
    """Draw `size` of the pharmacies designated for the programme in the region on `on`, record
    the draw (seed, population, result) and open one case per pharmacy drawn."""
    on = on or timezone.localdate()
    population = sorted(
        designated_pharmacies(programme=programme, on=on)
        .filter(organisation__region_id__in=region.subtree_ids())
        .values_list("pk", flat=True)
    )
    if size < 1 or size > len(population):
        raise DomainError(
            _("抽取数量须在 1 至 %(n)s 之间（本辖区该方案定点药店数）。") % {"n": len(population)},
            field="size",
        )
    seed = secrets.randbits(48) if seed is None else seed
    with transaction.atomic():
        draw = RandomDraw.objects.create(
            region=region,
            programme=programme,
            drawn_on=on,
            size=size,
            seed=seed,
            population=population,
            chosen=draw_sample(population, size, seed),
            drawn_by=actor,
        )
        for pharmacy in Pharmacy.objects.filter(pk__in=draw.chosen).order_by("pk"):
            _open(pharmacy, programme, CaseOrigin.RANDOM_DRAW, actor, draw=draw)
    return draw


def _open(
    pharmacy: Pharmacy,
    programme: Programme,
    origin: str,
    actor: User,
    *,
    draw: RandomDraw | None = None,
    findings: Iterable[Finding] = (),
) -> InspectionCase:
    case = InspectionCase.objects.create(
        pharmacy=pharmacy, programme=programme, origin=origin, draw=draw, owner=actor
    )
    case.findings.set(list(findings))
    assign_perm(CASE_EDIT_PERM, actor, case)
    note(CASE, case, actor=actor, reason=named_reason("case_opened"), rule_id="HY-E10")
    return case


def case_open_from_findings(
    *, findings: Sequence[Finding], programme: Programme, actor: User
) -> InspectionCase:
    """Open a case on one or more open findings about one pharmacy; the findings go under
    review and link to the case."""
    if not findings:
        raise DomainError(_("请选择至少一条核查线索。"), field="findings")
    pharmacies = {f.pharmacy_id for f in findings}
    if len(pharmacies) != 1 or None in pharmacies:
        raise DomainError(_("一个案件只能针对同一家药店的线索。"), field="findings")
    if any(f.status == FindingStatus.CLOSED for f in findings):
        raise DomainError(_("已办结的线索不能再立案。"), field="findings")
    with transaction.atomic():
        pharmacy = findings[0].pharmacy
        assert pharmacy is not None
        case = _open(pharmacy, programme, CaseOrigin.FINDINGS, actor, findings=findings)
        for f in findings:
            if f.status == FindingStatus.OPEN:
                finding_transition(
                    finding=f, to=FindingStatus.IN_REVIEW, actor=actor, reason=case.number
                )
    return case


# --- Who may edit: the owner and the assigned inspectors (django-guardian grants)


def case_may_edit(case: InspectionCase, user: User) -> bool:
    return bool(user.is_active and user.has_perm(CASE_EDIT_PERM, case))


def _require_editor(case: InspectionCase, actor: User) -> None:
    if not case_may_edit(case, actor):
        raise DomainError(_("只有本案的立案人和指派的检查人员可以修改本案。"))
    if case.status in (CaseStatus.CONCLUDED, CaseStatus.CANCELLED):
        raise DomainError(_("案件已办结或撤销，不能再修改。"))


def _is_bureau_of(user: User, pharmacy: Pharmacy) -> bool:
    region_id = pharmacy.organisation.region_id
    for m in Membership.objects.filter(user=user, is_active=True).select_related(
        "organisation__region"
    ):
        if m.organisation.kind in BUREAU_KINDS and region_id in m.organisation.region.subtree_ids():
            return True
    return False


def case_assign(*, case: InspectionCase, inspector: User, actor: User) -> InspectionCase:
    """Name an inspector (a bureau user of the pharmacy's region): grants the edit permission."""
    _require_editor(case, actor)
    if not inspector.is_active or not _is_bureau_of(inspector, case.pharmacy):
        raise DomainError(_("检查人员须为本辖区医保部门的工作人员。"), field="inspector")
    with transaction.atomic():
        case.inspectors.add(inspector)
        assign_perm(CASE_EDIT_PERM, inspector, case)
        note(CASE, case, actor=actor, reason=named_reason("inspector_assigned", n=str(inspector)))
    return case


def case_unassign(*, case: InspectionCase, inspector: User, actor: User) -> InspectionCase:
    """Take an inspector off the case: revokes the edit permission (the owner keeps theirs)."""
    _require_editor(case, actor)
    with transaction.atomic():
        case.inspectors.remove(inspector)
        if inspector.pk != case.owner_id:
            remove_perm(CASE_EDIT_PERM, inspector, case)
        note(CASE, case, actor=actor, reason=named_reason("inspector_withdrawn", n=str(inspector)))
    return case


def case_schedule(*, case: InspectionCase, planned_on: date, actor: User) -> InspectionCase:
    """Plan the on-site date (at least one inspector named); moves an open case to scheduled."""
    _require_editor(case, actor)
    if not case.inspectors.exists():
        raise DomainError(_("请先指派检查人员。"), field="planned_on")
    if case.status == CaseStatus.SCHEDULED:
        InspectionCase.objects.filter(pk=case.pk).update(planned_on=planned_on)
        note(CASE, case, actor=actor, reason=named_reason("inspection_rescheduled", d=planned_on))
        case.refresh_from_db()
        return case
    return transition(
        CASE,
        case,
        CaseStatus.SCHEDULED,
        actor=actor,
        reason=str(planned_on),
        fields={"planned_on": planned_on},
    )


def case_checks_record(
    *, case: InspectionCase, results: dict[str, tuple[str, str]], actor: User
) -> list[CaseCheck]:
    """Record what was checked: per item of the programme's checklist, a result and a note."""
    _require_editor(case, actor)
    items = {i.key: i for i in case_checklist(case.programme.code)}
    unknown = set(results) - set(items)
    if unknown:
        raise DomainError(_("检查清单中没有此项。"), field="results")
    saved = []
    with transaction.atomic():
        for key, (result, text) in results.items():
            if result not in CheckResult.values:
                raise DomainError(_("请选择检查结果。"), field=key)
            item = items[key]
            check, _created = CaseCheck.objects.update_or_create(
                case=case,
                key=key,
                defaults={
                    "label": str(item.label),
                    "rule_id": item.rule_id,
                    "result": result,
                    "note": text[:500],
                    "recorded_by": actor,
                },
            )
            saved.append(check)
    return saved


def case_evidence_upload(
    *, case: InspectionCase, upload: UploadedFile, actor: User, note_text: str = ""
) -> CaseEvidence:
    """Attach on-site evidence; PDF/JPEG/PNG sniffed from the content (core.uploads)."""
    _require_editor(case, actor)
    content_type = sniff_upload(upload)
    return CaseEvidence.objects.create(
        case=case,
        file=upload,
        original_name=(upload.name or "file")[:200],
        content_type=content_type,
        size=upload.size or 0,
        note=note_text[:200],
        uploaded_by=actor,
    )


# --- Conclusion and what reaches the money


def case_conclude(
    *,
    case: InspectionCase,
    outcome: str,
    conclusion: str,
    actor: User,
    rectify_by: date | None = None,
    decision: str = "",
    rule_id: str = "HY-E10",
    major: bool = False,
    refused_amount: Decimal | None = None,
    suspended_until: date | None = None,
) -> InspectionCase:
    """Conclude a scheduled case: no issue, rectification by a date, or a violation decision
    recorded through accreditation.services.violation_record (refusal, suspension, ...);
    the case's findings close, naming the case."""
    _require_editor(case, actor)
    if outcome not in CaseOutcome.values:
        raise DomainError(_("请选择检查结论。"), field="outcome")
    if not conclusion.strip():
        raise DomainError(_("请写明检查结论。"), field="conclusion")
    today = timezone.localdate()
    if outcome == CaseOutcome.RECTIFICATION and not (rectify_by and rectify_by > today):
        raise RuleViolation("HY-E10", _("责令整改须填写晚于今天的整改期限。"), field="rectify_by")
    with transaction.atomic():
        violation = None
        if outcome == CaseOutcome.VIOLATION:
            violation = violation_record(
                pharmacy=case.pharmacy,
                programme=case.programme,
                found_on=case.planned_on or today,
                finding=conclusion,
                rule_id=rule_id,
                major=major,
                decision=decision,
                actor=actor,
                refused_amount=refused_amount,
                suspended_until=suspended_until,
            )
        concluded = transition(
            CASE,
            case,
            CaseStatus.CONCLUDED,
            actor=actor,
            reason=conclusion,
            rule_id=rule_id if violation else "HY-E10",
            fields={
                "outcome": outcome,
                "conclusion": conclusion,
                "rectify_by": rectify_by if outcome == CaseOutcome.RECTIFICATION else None,
                "violation": violation,
                "concluded_at": timezone.now(),
            },
        )
        for f in case.findings.exclude(status=FindingStatus.CLOSED):
            finding_transition(
                finding=f, to=FindingStatus.CLOSED, actor=actor, reason=concluded.number
            )
    return concluded


def case_cancel(*, case: InspectionCase, reason: str, actor: User) -> InspectionCase:
    _require_editor(case, actor)
    if not reason.strip():
        raise DomainError(_("请写明撤销理由。"), field="reason")
    return transition(CASE, case, CaseStatus.CANCELLED, actor=actor, reason=reason)


def _require_money_editor(case: InspectionCase, actor: User) -> None:
    """Recoveries and penalties follow the inspection: a scheduled or concluded case."""
    if not case_may_edit(case, actor):
        raise DomainError(_("只有本案的立案人和指派的检查人员可以修改本案。"))
    if case.status not in (CaseStatus.SCHEDULED, CaseStatus.CONCLUDED):
        raise DomainError(_("案件尚未检查或已撤销。"))


def case_recovery_record(
    *,
    case: InspectionCase,
    dispensings: Sequence[Dispensing],
    amount: Decimal,
    reason: str,
    actor: User,
    booked_on: date | None = None,
) -> FundRecovery:
    """追回 (GY-E04) against the dispensings concerned, naming the case and its decision; the
    pharmacy's statement of the booking month deducts it."""
    _require_money_editor(case, actor)
    return fund_recovery_record(
        pharmacy=case.pharmacy,
        dispensings=dispensings,
        amount=amount,
        reason=reason,
        booked_on=booked_on or timezone.localdate(),
        actor=actor,
        reference=case.number,
        violation=case.violation,
    )


def case_penalty_record(
    *,
    case: InspectionCase,
    kind: str,
    basis: str,
    decided_on: date,
    actor: User,
    amount: Decimal | None = None,
) -> AdministrativePenalty:
    """An administrative penalty decided on the case (warning, fine, confiscation)."""
    _require_money_editor(case, actor)
    if kind not in PenaltyKind.values:
        raise DomainError(_("请选择处罚种类。"), field="kind")
    if not basis.strip():
        raise DomainError(_("请写明处罚依据。"), field="basis")
    if kind != PenaltyKind.WARNING and not (amount and amount > 0):
        raise DomainError(_("罚款或没收须填写金额。"), field="amount")
    if amount is not None and amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("金额精确到分。"), field="amount")
    return AdministrativePenalty.objects.create(
        case=case,
        kind=kind,
        amount=amount if kind != PenaltyKind.WARNING else None,
        basis=basis,
        decided_on=decided_on,
        recorded_by=actor,
    )


# Decision kinds a case may conclude with (accreditation's violation decisions).
DECISIONS = ViolationDecision
