"""List pages: search, filters, sort, pagination and an Excel export of what is filtered, in
one call (`list_page`) built on `core.tables`.

A view scopes its queryset first (the export is the page's own queryset, so it is scoped
exactly like the page), then describes what may be searched and filtered:

    result = list_page(request, rows, columns, empty=_("暂无记录。"),
                       search=Search(fields=("name__icontains", "number")),
                       filters=[Filter("status", _("状态"), Status.choices, "status")],
                       export_name=_("申请"))
    if isinstance(result, HttpResponse):   # ?export=xlsx
        return result
    return render(request, "x.html", {"list": result, "table": result.table})

Text search (`?q=`) ORs the given lookups. A value that must never appear in a URL (a resident
ID) is found by its full value through its blind index: the page POSTs it (`blind_q`), and
`on_blind_search` lets the view write its audit row. Every cell is computed from the row by
the view's columns: the view `select_related`s what they read, so the query count does not
grow with the number of rows (each list has a test pinning it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import blind_index
from core.exports import xlsx_response
from core.tables import PER_PAGE, Cell, Column, Table, build_table

EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class Search:
    """`fields`: ORM lookups ORed for `?q=` (e.g. "name__icontains", "number").
    `blind`: BlindIndexField names matched by a full value POSTed as `blind_q`."""

    fields: Sequence[str] = ()
    placeholder: Any = ""
    blind: Sequence[str] = ()
    blind_label: Any = ""


@dataclass(frozen=True)
class Filter:
    """A select of `choices` (value, label); the chosen value filters `lookup`."""

    key: str
    label: Any
    choices: Sequence[tuple[Any, Any]]
    lookup: str

    def allowed(self, value: str) -> bool:
        return value in {str(v) for v, _label in self.choices}


@dataclass
class ListPage:
    table: Table
    query: str = ""
    blind_query: str = ""
    search: Search | None = None
    filters: list[dict[str, Any]] = field(default_factory=list)
    export: bool = False
    total: int = 0


def _text_search(rows: QuerySet[Any], search: Search, query: str) -> QuerySet[Any]:
    condition = Q()
    for lookup in search.fields:
        condition |= Q(**{lookup: query})
    return rows.filter(condition)


def _blind_search(rows: QuerySet[Any], search: Search, value: str) -> QuerySet[Any]:
    token = blind_index(value.strip().upper())
    condition = Q()
    for name in search.blind:
        condition |= Q(**{name: token})
    return rows.filter(condition)


def export_value(cell: Cell) -> Any:
    """A cell as a spreadsheet value: numbers and dates stay typed, everything else text."""
    value = cell.text
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal, date)):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    return "" if value is None else str(value)


def list_page(
    request: HttpRequest,
    rows: QuerySet[Any],
    columns: Sequence[Column[Any]],
    *,
    empty: Any,
    search: Search | None = None,
    filters: Sequence[Filter] = (),
    default_sort: str = "",
    per_page: int = PER_PAGE,
    table_id: str = "",
    caption: Any = "",
    export_name: Any = "",
    on_blind_search: Callable[[str], None] | None = None,
) -> ListPage | HttpResponse:
    """The page's table (or, with `?export=xlsx` and an `export_name`, the xlsx of every
    filtered row in the page's sort order)."""
    query = request.GET.get("q", "").strip()[:100]
    if search and search.fields and query:
        rows = _text_search(rows, search, query)
    blind_query = ""
    if search and search.blind and request.method == "POST":
        blind_query = request.POST.get("blind_q", "").strip()[:30]
        if blind_query:
            rows = _blind_search(rows, search, blind_query)
            if on_blind_search:
                on_blind_search(blind_query)
    chosen: list[dict[str, Any]] = []
    for f in filters:
        value = request.GET.get(f.key, "")
        if value and f.allowed(value):
            rows = rows.filter(**{f.lookup: value})
        else:
            value = ""
        chosen.append({"key": f.key, "label": f.label, "choices": f.choices, "value": value})
    if export_name and request.GET.get("export") == "xlsx":
        columns = [c for c in columns if c.key != "select"]  # no batch checkboxes in a file
        table = build_table(
            request, rows, columns, empty=empty, default_sort=default_sort, per_page=None,
            limit=EXPORT_LIMIT,
        )  # fmt: skip
        headers = [str(c.label) for c in columns]
        data = ([export_value(cell) for cell in row] for row in table.rows)
        stamp = timezone.localdate().isoformat()
        return xlsx_response(f"{export_name}-{stamp}.xlsx", headers, data, title=str(export_name))
    if query or blind_query or any(f["value"] for f in chosen):
        empty = _("没有符合条件的记录，请修改搜索或筛选条件。")
    table = build_table(
        request,
        rows,
        columns,
        empty=empty,
        default_sort=default_sort,
        per_page=per_page,
        table_id=table_id,
        caption=caption,
    )
    total = table.page.paginator.count if table.page else len(table.rows)
    return ListPage(
        table=table,
        query=query,
        blind_query=blind_query,
        search=search,
        filters=chosen,
        export=bool(export_name),
        total=total,
    )
