"""Form widgets shared by every app.

The browser's ``<input type="date">`` accepts only ISO 8601 (``2026-12-04``). Django renders a
date with the active language's first input format, which in zh-hans is ``2026/12/04``: the
browser throws such a value away, so a pre-filled date (the expert's benefit start date) went
back empty. Every date and date-time a form edits uses these widgets, which always render ISO.
"""

from __future__ import annotations

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """``<input type="date">`` whose value is always ISO (``YYYY-MM-DD``), in every language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs=attrs, format=format or ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">`` whose value is always ``YYYY-MM-DDTHH:MM``."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs=attrs, format=format or ISO_DATETIME_LOCAL)
