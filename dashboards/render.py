"""Charts drawn as SVG on the server with pygal (a maintained package, no dependency of its
own beyond the standard library). The SVG carries no script: pygal's interactive scripts are
off (`js=[]`) and the inline configuration script it always writes is dropped, so the image
needs nothing from a CDN and runs nothing in the browser. It is shown with <img alt="…">."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

from dashboards.charts import ChartTable

# The house palette (static/css/dingdian.css) and font stack.
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#101828",
    foreground_strong="#101828",
    foreground_subtle="#667085",
    colors=("#1d4f91", "#b42318", "#b54708", "#067647", "#667085", "#6941c6", "#0e7090"),
    font_family='"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",'
    "sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    value_font_size=12,
    no_data_font_size=20,
)

KINDS: dict[str, Any] = {
    "bar": pygal.Bar,
    "stacked": pygal.StackedBar,
    "line": pygal.Line,
    "hbar": pygal.HorizontalBar,
}


def _number(value: Any) -> float | int | None:
    """pygal plots floats; the table and the export keep the exact Decimal."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _without_scripts(root: Any) -> Any:
    for parent in root.iter():
        for child in list(parent):
            if str(child.tag).endswith("script"):
                parent.remove(child)
    return root


def chart_svg(table: ChartTable) -> bytes:
    """The chart of `table` as a standalone SVG document."""
    many = len(table.x_labels) > 6
    chart = KINDS[table.kind](
        js=[],
        style=STYLE,
        width=760,
        height=380 if table.kind != "hbar" else max(260, 60 + 26 * len(table.x_labels)),
        show_legend=len(table.series) > 1,
        legend_at_bottom=True,
        x_label_rotation=30 if many and table.kind != "hbar" else 0,
        truncate_label=24,
        no_data_text=_("暂无数据"),
        print_values=False,
        explicit_size=False,
        include_x_axis=True,  # amounts and counts start from 0
    )
    # pygal draws a horizontal bar chart's first category at the bottom: the largest first
    # reads from the top.
    flip = table.kind == "hbar"
    chart.x_labels = list(reversed(table.x_labels)) if flip else table.x_labels
    for name, values in table.series:
        numbers = [_number(v) for v in values]
        chart.add(str(name), list(reversed(numbers)) if flip else numbers)
    chart.add_xml_filter(_without_scripts)
    svg: bytes = chart.render()
    return svg
