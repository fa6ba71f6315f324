"""Batch actions on a list page (issue 16.3): the rows ticked in the table's checkbox column
are posted (`ids`) with the action; the view re-reads them through the page's own scoped
selector (`selected`: an id the user may not see → 404, nothing changes), asks for the
confirmation naming how many and which rows (core.actions.confirm_page) and runs the SAME
service as the single action for each row, all or nothing (`run_batch`): the first row
refused rolls every row back and is named with its position, its number and the rule ID."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.contrib import messages
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import DomainError
from core.tables import Cell, Column

M = TypeVar("M", bound=Model)
FIELD = "ids"
# At most one page of rows (core.tables.PER_PAGE) and some: a batch is what one sees.
LIMIT = 200


def select_column(label: Callable[[Any], str], selectable: Callable[[Any], bool]) -> Column[Any]:
    """The checkbox column: a row the user may act on gets a box named `ids` (its label names
    the row for screen readers); the others an empty cell."""
    return Column(
        "select",
        _("选择"),
        lambda obj: Cell(check=str(obj.pk), text=label(obj)) if selectable(obj) else Cell(""),
    )


def posted_ids(request: HttpRequest) -> list[int]:
    """The ticked ids in the order posted (the table's order), without repeats."""
    ids: list[int] = []
    for value in request.POST.getlist(FIELD)[:LIMIT]:
        try:
            pk = int(value)
        except ValueError:
            raise Http404 from None
        if pk not in ids:
            ids.append(pk)
    return ids


def selected(request: HttpRequest, rows: QuerySet[M]) -> list[M]:
    """The posted rows re-read through `rows` (the page's scoped selector), in the posted
    order; an id outside it is a 404 and nothing is done."""
    ids = posted_ids(request)
    found = {obj.pk: obj for obj in rows.filter(pk__in=ids)}
    if len(found) != len(ids):
        raise Http404
    return [found[pk] for pk in ids]


def describe(items: Sequence[Any], label: Callable[[Any], str]) -> str:
    """ "3 项：A、B、C" — how many and which, for the confirmation."""
    names = "、".join(label(obj) for obj in items)
    return ngettext("%(n)d 项：%(names)s", "%(n)d 项：%(names)s", len(items)) % {
        "n": len(items),
        "names": names,
    }


class _Refused(Exception):
    def __init__(self, position: int, name: str, error: DomainError) -> None:
        super().__init__(str(error))
        self.position, self.name, self.error = position, name, error


def run_batch(
    request: HttpRequest,
    items: Sequence[M],
    each: Callable[[M], object],
    *,
    label: Callable[[M], str],
    success: str,
) -> bool:
    """Run `each` (the single action's service) for every item in one transaction. All done:
    the `success` message; one refused: everything rolls back and the message names that row
    (position, number, rule ID and reason). Returns whether the batch was done."""
    if not items:
        messages.error(request, _("未勾选任何记录：请先在表格中勾选要办理的记录。"))
        return False
    try:
        with transaction.atomic():
            for position, obj in enumerate(items, start=1):
                try:
                    each(obj)
                except DomainError as exc:
                    raise _Refused(position, label(obj), exc) from exc
    except _Refused as refused:
        messages.error(
            request,
            _(
                "第 %(position)d 项（%(name)s）未能办理：%(reason)s。全部 %(n)d 项均未办理，"
                "请取消勾选该项或处理后重试。"
            )
            % {
                "position": refused.position,
                "name": refused.name,
                "reason": str(refused.error).rstrip("。"),
                "n": len(items),
            },
        )
        return False
    messages.success(request, success)
    return True
