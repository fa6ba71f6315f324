"""Pages of inspection cases: list, random draw, case page with its forms (each POST runs one
service through core.actions); access through supervision.case_access (read: bureau of the
region; edit: owner and assigned inspectors, else 403; others 404)."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import BUREAU_ROLES, Role, User
from accounts.permissions import principal_of, require_role
from core.actions import confirm_posted, run_posted, run_service
from core.models import AuditAction
from core.tables import Cell, Column, build_table
from core.uploads import private_file_response
from prescriptions.models import Dispensing
from supervision import case_forms as f
from supervision import case_services as s
from supervision.case_access import (
    access_case,
    access_draw,
    cases_for_principal,
    inspector_candidates,
)
from supervision.case_checklists import case_checklist
from supervision.case_models import (
    CaseEvidence,
    CaseOutcome,
    CheckResult,
    InspectionCase,
    PenaltyKind,
)
from supervision.selectors import findings_for_principal
from supervision.transitions import CASE_TRANSITIONS


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _columns() -> list[Column[InspectionCase]]:
    return [
        Column(
            "number",
            _("案件编号"),
            lambda c: Cell(c.number, url=reverse("supervision:case", args=[c.pk])),
            "id",
        ),
        Column(
            "pharmacy",
            _("药店"),
            lambda c: c.pharmacy.organisation.name,
            "pharmacy__organisation__name",
        ),
        Column("origin", _("来源"), lambda c: c.get_origin_display(), "origin"),
        Column("planned", _("计划检查日期"), lambda c: str(c.planned_on or "—"), "planned_on"),
        Column("status", _("状态"), lambda c: c.get_status_display(), "status"),
        Column(
            "opened",
            _("立案时间"),
            lambda c: localtime(c.opened_at).strftime("%Y-%m-%d"),
            "opened_at",
        ),
    ]


@require_role(*BUREAU_ROLES)
def case_list(request: HttpRequest) -> HttpResponse:
    table = build_table(
        request,
        cases_for_principal(principal_of(request)),
        _columns(),
        empty=_("暂无检查案件。"),
        default_sort="-opened",
        table_id="cases",
    )
    return render(request, "supervision/cases.html", {"table": table, "form": f.DrawForm()})


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def case_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a case on a finding (its page's button)."""
    finding = get_object_or_404(findings_for_principal(principal_of(request)), pk=pk)
    case = run_posted(
        request,
        f.OpenCaseForm(request.POST),
        lambda d: s.case_open_from_findings(
            findings=[finding], programme=d["programme"], actor=_user(request)
        ),
        success=_("已立案，请指派检查人员并安排检查日期。"),
    )
    if case is None:
        return redirect("supervision:detail", pk=pk)
    return redirect("supervision:case", pk=case.pk)


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def draw_new(request: HttpRequest) -> HttpResponse:
    """双随机: draw N designated pharmacies of the reviewer's region, one case each."""
    principal = principal_of(request)
    draw = run_posted(
        request,
        f.DrawForm(request.POST),
        lambda d: s.random_draw_open(
            region=principal.organisation.region,
            programme=d["programme"],
            size=d["size"],
            seed=d["seed"],
            actor=_user(request),
        ),
        success=_("已完成抽取并为每家抽中的药店立案。"),
    )
    if draw is None:
        return redirect("supervision:cases")
    return redirect("supervision:draw", pk=draw.pk)


@require_role(*BUREAU_ROLES)
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    draw = access_draw(principal_of(request), pk)
    replay = s.draw_replay(draw)
    return render(
        request,
        "supervision/draw_detail.html",
        {"draw": draw, "replay_matches": replay == draw.chosen, "cases": draw.cases.all()},
    )


@require_role(*BUREAU_ROLES)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case(principal_of(request), pk)
    checks = {c.key: c for c in case.checks.all()}
    may_edit = s.case_may_edit(case, _user(request))
    editable = may_edit and case.status in CASE_TRANSITIONS
    context: dict[str, Any] = {
        "case": case,
        "editable": editable,
        # Recoveries and penalties may follow the conclusion (GY-E04).
        "can_record_money": may_edit,
        "findings": case.findings.all(),
        "inspectors": case.inspectors.all(),
        "candidates": inspector_candidates(principal_of(request)) if editable else [],
        "checklist": [(i, checks.get(i.key)) for i in case_checklist(case.programme.code)],
        "results": CheckResult.choices,
        "events": case.events.select_related("actor"),
        "recoveries": case.violation.recoveries.all() if case.violation else [],
        "penalties": case.penalties.all(),
        "forms": {
            "schedule": f.ScheduleForm(initial={"planned_on": case.planned_on}),
            "evidence": f.EvidenceForm(),
            "conclude": f.ConcludeForm(),
            # Both have an `amount`: distinct ids, so each label names its own input.
            "recovery": f.RecoveryForm(auto_id="id_recovery_%s"),
            "penalty": f.PenaltyForm(auto_id="id_penalty_%s"),
        },
    }
    return render(request, "supervision/case_detail.html", context)


def _dispensings(case: InspectionCase, numbers: str) -> list[Dispensing]:
    wanted = [n for n in re.split(r"[\s,，、]+", numbers) if n]
    return list(Dispensing.objects.filter(pharmacy=case.pharmacy, number__in=wanted))


# What each POST does: form, service (case, data, actor) and the message on success.
ACTIONS: dict[str, tuple[type[Any], Any, Any]] = {
    "assign": (
        f.AssignForm,
        lambda c, d, u: s.case_assign(
            case=c, inspector=get_object_or_404(User, pk=d["inspector"]), actor=u
        ),
        _("已指派检查人员。"),
    ),
    "unassign": (
        f.AssignForm,
        lambda c, d, u: s.case_unassign(
            case=c, inspector=get_object_or_404(User, pk=d["inspector"]), actor=u
        ),
        _("已撤回检查人员。"),
    ),
    "schedule": (
        f.ScheduleForm,
        lambda c, d, u: s.case_schedule(case=c, planned_on=d["planned_on"], actor=u),
        _("检查日期已安排。"),
    ),
    "conclude": (
        f.ConcludeForm,
        lambda c, d, u: s.case_conclude(case=c, actor=u, **d),
        _(
            "案件已办结，所涉核查线索已随之关闭。如需追回基金或行政处罚，"
            "请在本页“基金追回”“行政处罚”中登记。"
        ),
    ),
    "recovery": (
        f.RecoveryForm,
        lambda c, d, u: s.case_recovery_record(
            case=c,
            dispensings=_dispensings(c, d["dispensings"]),
            amount=d["amount"],
            reason=d["reason"],
            actor=u,
        ),
        _("已登记基金追回，将在当月结算单中扣减。"),
    ),
    "penalty": (
        f.PenaltyForm,
        lambda c, d, u: s.case_penalty_record(case=c, actor=u, **d),
        _("已登记行政处罚，列在本页“行政处罚”中；请将处罚决定书送达药店。"),
    ),
}


def _conclude_consequence(d: dict[str, Any]) -> str:
    if d["outcome"] == CaseOutcome.NO_ISSUE:
        return str(_("办结后案件关闭，所涉核查线索随之关闭；结论不能撤销。"))
    if d["outcome"] == CaseOutcome.RECTIFICATION:
        by = d["rectify_by"].isoformat() if d["rectify_by"] else "—"
        return str(
            _("办结后药店须在 %(date)s 前完成整改，所涉核查线索随之关闭；结论不能撤销。")
            % {"date": by}
        )
    return str(
        _(
            "办结后将记录违规处理决定，记入药店定点资格的违规记录（拒付的费用在决定当月的"
            "统筹基金结算单中扣减），所涉核查线索随之关闭；结论不能撤销。"
        )
    )


# The irreversible POSTs of a case: what the confirmation names (issue 16.3).
CONFIRM: dict[str, tuple[Any, Any]] = {
    "conclude": (_("办结案件"), _conclude_consequence),
    "recovery": (
        _("登记基金追回"),
        lambda d: (
            _("登记后，追回金额 %(amount)s 元将在当月统筹基金结算单中扣减；不能撤销。")
            % {"amount": d["amount"]}
        ),
    ),
    "penalty": (
        _("登记行政处罚"),
        lambda d: (
            _("登记后，行政处罚（%(kind)s）记入本案件和药店的违规记录；不能撤销。")
            % {"kind": PenaltyKind(d["kind"]).label}
        ),
    ),
}


@require_POST
@require_role(*BUREAU_ROLES)
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = access_case(principal_of(request), pk, write=True)
    if action == "checks":
        results = {
            item.key: (request.POST[f"result_{item.key}"], request.POST.get(f"note_{item.key}", ""))
            for item in case_checklist(case.programme.code)
            if request.POST.get(f"result_{item.key}")
        }
        run_service(
            request,
            lambda: s.case_checks_record(case=case, results=results, actor=_user(request)),
            success=_("检查记录已保存。"),
        )
    elif action == "evidence":
        run_posted(
            request,
            f.EvidenceForm(request.POST, request.FILES),
            lambda d: s.case_evidence_upload(
                case=case, upload=d["file"], note_text=d["note"], actor=_user(request)
            ),
            success=_("证据材料已上传。"),
        )
    elif action in ACTIONS:
        form_class, service, success = ACTIONS[action]
        form = form_class(request.POST)
        if action in CONFIRM:
            label, consequence = CONFIRM[action]
            asked = confirm_posted(
                request,
                form,
                action=label,
                obj=f"{case.number} · {case.pharmacy.organisation.name}",
                consequence=consequence,
                back=reverse("supervision:case", args=[case.pk]),
            )
            if asked is not None:
                return asked
        run_posted(
            request,
            form,
            lambda d: service(case, d, _user(request)),
            success=success,
        )
    else:
        return HttpResponse(status=404)
    return redirect("supervision:case", pk=case.pk)


@require_role(*BUREAU_ROLES)
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    case = access_case(principal_of(request), pk)
    evidence = get_object_or_404(CaseEvidence, pk=evidence_pk, case=case)
    audit(
        request,
        action=AuditAction.FILE_DOWNLOAD,
        obj=evidence,
        region_id=case.pharmacy.organisation.region_id,
        detail=f"case {case.pk} {evidence.original_name}",
    )
    return private_file_response(evidence.file, evidence.content_type, evidence.original_name)
