"""Tables computed in the view, rendered by one partial (templates/includes/table.html).

A view builds a `Table` of `Column`s and rows of `Cell`s; the template only includes the
partial. Sorting is by a whitelisted column (`?sort=key` / `?sort=-key`), pagination by
Django's Paginator (`?page=`), both keeping the page's other query parameters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

T = TypeVar("T")
PER_PAGE = 50


@dataclass(frozen=True)
class Cell:
    """One cell: text, optionally a link, a badge tone (ok / warn / bad / "") or muted."""

    text: Any = ""
    url: str = ""
    badge: str | None = None
    muted: bool = False
    # A badge's data-testid, for the tests and the browser journeys.
    testid: str = ""
    # A batch checkbox (core.batch.select_column): the row's id; `text` names the row.
    check: str = ""


@dataclass(frozen=True)
class Column(Generic[T]):
    key: str
    label: Any
    cell: Callable[[T], Cell | Any]
    # The ORM ordering this column sorts by; empty: not sortable.
    order_by: str = ""


@dataclass
class Table:
    columns: Sequence[Column[Any]]
    rows: list[list[Cell]]
    empty: Any = ""
    page: Page[Any] | None = None
    sort: str = ""
    table_id: str = ""
    caption: Any = ""
    headers: list[dict[str, Any]] = field(default_factory=list)


def _as_cell(value: Cell | Any) -> Cell:
    return value if isinstance(value, Cell) else Cell(text=value)


def sort_key(request: HttpRequest, columns: Sequence[Column[Any]], default: str = "") -> str:
    """The requested sort if a column allows it (`key` or `-key`), else `default`."""
    wanted = request.GET.get("sort", "") or default
    allowed = {c.key for c in columns if c.order_by}
    return wanted if wanted.lstrip("-") in allowed else default


def build_table(
    request: HttpRequest,
    rows: QuerySet[Any] | Iterable[Any],
    columns: Sequence[Column[Any]],
    *,
    empty: Any,
    default_sort: str = "",
    per_page: int | None = PER_PAGE,
    table_id: str = "",
    caption: Any = "",
    limit: int | None = None,
) -> Table:
    """Sort (querysets only), paginate and compute every cell in the view."""
    sort = sort_key(request, columns, default_sort)
    if sort and isinstance(rows, QuerySet):
        column = next(c for c in columns if c.key == sort.lstrip("-"))
        prefix = "-" if sort.startswith("-") else ""
        rows = rows.order_by(f"{prefix}{column.order_by}", "pk")
    if limit and isinstance(rows, QuerySet):
        rows = rows[:limit]
    page: Page[Any] | None = None
    objects: Iterable[Any] = rows
    if per_page:
        page = Paginator(rows, per_page).get_page(request.GET.get("page"))  # type: ignore[arg-type]
        objects = page.object_list
    headers = [
        {
            "label": c.label,
            "key": c.key,
            "sortable": bool(c.order_by),
            "next": f"-{c.key}" if sort == c.key else c.key,
            "current": "ascending"
            if sort == c.key
            else "descending"
            if sort == f"-{c.key}"
            else "",
        }
        for c in columns
    ]
    return Table(
        columns=columns,
        rows=[[_as_cell(c.cell(obj)) for c in columns] for obj in objects],
        empty=empty,
        page=page,
        sort=sort,
        table_id=table_id,
        caption=caption,
        headers=headers,
    )


@dataclass(frozen=True)
class Action:
    """One entry of an action bar (templates/includes/actions.html): a link, or a POST button
    whose `confirm` text (the consequence) the browser asks the user to accept first."""

    label: Any
    url: str
    method: str = "get"
    tone: str = ""
    confirm: Any = ""
