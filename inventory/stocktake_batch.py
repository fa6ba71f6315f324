"""Accepting several submitted stocktakes at once (issue 16.3, core.batch): the bureau reviewer
ticks them on the stocktakes list; each is re-read through the list's scoped selector and
accepted by the same service as on its own page (HY-E06), all or nothing, after a
confirmation naming how many, which, and the consequence."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import principal_of, require_role
from accounts.principal import Principal
from core.actions import confirm_page
from core.batch import describe, run_batch, select_column, selected
from core.tables import Column
from inventory.models import Stocktake, StocktakeStatus
from inventory.selectors import stocktakes_for_principal
from inventory.services import stocktake_accept

ACCEPT = "accept"


def label(s: Stocktake) -> str:
    return f"{s.pharmacy.name} {s.programme.code} {s.period_start:%Y-%m-%d}—{s.period_end:%Y-%m-%d}"


def batch_for(principal: Principal) -> list[dict[str, Any]]:
    if not principal.has_role(Role.BUREAU_REVIEWER):
        return []
    return [{"key": ACCEPT, "label": _("批量审核通过"), "form": None}]


def batch_column(principal: Principal) -> list[Column[Stocktake]]:
    """A box on each submitted stocktake, for the bureau reviewer."""
    if not principal.has_role(Role.BUREAU_REVIEWER):
        return []
    return [select_column(label, lambda s: s.status == StocktakeStatus.SUBMITTED)]


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def stocktake_batch(request: HttpRequest) -> HttpResponse:
    if request.POST.get("batch") != ACCEPT:
        raise Http404
    items = selected(request, stocktakes_for_principal(principal_of(request)))
    back = reverse("inventory:stocktakes")
    if items:
        asked = confirm_page(
            request,
            action=_("批量审核通过"),
            obj=describe(items, label),
            consequence=_(
                "审核通过后，每项盘点的差异记为盘盈盘亏，账面库存按实盘调整，本期盘点完成；"
                "不能撤销。"
            ),
            back=back,
        )
        if asked is not None:
            return asked
    actor: Any = request.user
    run_batch(
        request,
        items,
        lambda s: stocktake_accept(stocktake=s, actor=actor),
        label=label,
        success=_(
            "已审核通过 %(n)d 项盘点，差异已记为盘盈盘亏，账面库存已按实盘调整；"
            "这些药店本期盘点完成。"
        )
        % {"n": len(items)},
    )
    return redirect(back)
