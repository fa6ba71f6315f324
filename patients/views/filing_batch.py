"""Batch actions on the filings list (issue 16.3, core.batch): the hospital's preliminary
review (HY-F01), the benefits officer assigning an expert, the expert approving (HY-G04, a
uniform decision). Each ticked filing is re-read through the list's scoped selector and goes
through the same service as on its own page, all or nothing, after a confirmation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import principal_of, require_role
from accounts.principal import Principal
from core.actions import confirm_posted, run_posted
from core.batch import describe, run_batch, select_column, selected
from core.tables import Column
from patients import services
from patients.forms import AssignForm, BatchApproveForm, PreliminaryForm
from patients.models import Filing, FilingStatus
from patients.selectors import experts_for_principal, filings_for_principal
from patients.views.common import FILING_ROLES, user_of


@dataclass(frozen=True)
class BatchAction:
    key: str
    label: str
    role: str
    # Whether this principal (and user id) may take this action on the filing now.
    selectable: Callable[[Principal, int, Filing], bool]


def _may_review(p: Principal, _user: int, f: Filing) -> bool:
    return f.status == FilingStatus.LODGED and f.reviewing_hospital_id == p.organisation.pk


def _may_assign(_p: Principal, _user: int, f: Filing) -> bool:
    return f.status in (FilingStatus.ROSTERED, FilingStatus.ASSIGNED)


def _may_decide(_p: Principal, user: int, f: Filing) -> bool:
    return f.status == FilingStatus.ASSIGNED and f.expert_id == user


def _actions() -> list[BatchAction]:
    return [
        BatchAction("preliminary", _("批量初审"), Role.WINDOW_CLERK, _may_review),
        BatchAction("assign", _("批量分配评审专家"), Role.BENEFITS_OFFICER, _may_assign),
        BatchAction("approve", _("批量评审通过"), Role.EXPERT_REVIEWER, _may_decide),
    ]


def _form(key: str, principal: Principal, data: Any = None) -> forms.Form:
    if key == "preliminary":
        return PreliminaryForm(data, prefix=key)
    if key == "assign":
        return AssignForm(data, prefix=key, experts=experts_for_principal(principal))
    return BatchApproveForm(data, prefix=key, initial={"starts_on": timezone.localdate()})


def batch_for(request: HttpRequest, principal: Principal) -> list[dict[str, Any]]:
    """The batch bar's actions this user may take (each with its empty form)."""
    return [
        {"key": a.key, "label": a.label, "form": _form(a.key, principal)}
        for a in _actions()
        if principal.has_role(a.role)
    ]


def batch_column(request: HttpRequest, principal: Principal) -> list[Column[Filing]]:
    """The checkbox column (empty list when the user has no batch action): a box on the
    filings one of the user's batch actions applies to now."""
    mine = [a for a in _actions() if principal.has_role(a.role)]
    if not mine:
        return []
    user = user_of(request).pk
    return [
        select_column(
            lambda f: f.number, lambda f: any(a.selectable(principal, user, f) for a in mine)
        )
    ]


def _consequence(key: str, data: dict[str, Any]) -> str:
    if key == "preliminary":
        if data["passed"]:
            return _("初审通过后，这些申报将列入初审名册，报送医保局评审；结论不能撤销。")
        return _("初审不通过，这些申报随之终结，请告知患者不通过的意见；结论不能撤销。")
    if key == "assign":
        return _("分配后，评审专家 %(expert)s 将收到每项申报的评审通知，由其作出评审决定。") % {
            "expert": data["expert"].display_name
        }
    return _("评审通过后，这些患者自 %(date)s 起享受待遇，受理窗口将收到通知；结论不能撤销。") % {
        "date": data["starts_on"].isoformat()
    }


def _service(key: str, request: HttpRequest, principal: Principal, data: dict[str, Any]) -> Any:
    actor, org = user_of(request), principal.organisation
    if key == "preliminary":
        return lambda f: services.filing_preliminary_review(
            filing=f, passed=data["passed"], reason=data["reason"], actor=actor, organisation=org
        )
    if key == "assign":
        return lambda f: services.filing_assign(
            filing=f, expert=data["expert"], actor=actor, organisation=org
        )
    return lambda f: services.filing_decide(
        filing=f, approve=True, starts_on=data["starts_on"], actor=actor, organisation=org
    )


def _success(key: str, n: int, data: dict[str, Any]) -> str:
    if key == "preliminary":
        if data["passed"]:
            return _("已初审通过 %(n)d 项申报。请在“初审名册”中生成名册并报送医保局。") % {"n": n}
        return _("已初审不通过 %(n)d 项申报，申报已终结，请告知患者意见。") % {"n": n}
    if key == "assign":
        return _("已将 %(n)d 项申报分配给 %(expert)s，专家已收到评审通知。") % {
            "n": n,
            "expert": data["expert"].display_name,
        }
    return _("已评审通过 %(n)d 项申报，受理窗口已收到通知，可打印结论告知患者。") % {"n": n}


@require_POST
@require_role(*FILING_ROLES)
def filing_batch(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    key = request.POST.get("batch", "")
    action = next((a for a in _actions() if a.key == key), None)
    if action is None:
        raise Http404
    if not principal.has_role(action.role):
        raise PermissionDenied
    items = selected(request, filings_for_principal(principal))
    back = reverse("patients:filing_list")
    form = _form(key, principal, request.POST)
    if items:
        asked = confirm_posted(
            request,
            form,
            action=action.label,
            obj=describe(items, lambda f: f.number),
            consequence=lambda d: _consequence(key, d),
            back=back,
        )
        if asked is not None:
            return asked
    run_posted(
        request,
        form,
        lambda d: run_batch(
            request,
            items,
            _service(key, request, principal, d),
            label=lambda f: f.number,
            success=_success(key, len(items), d),
        ),
        success=None,
    )
    return redirect(back)
