"""Dates a form edits are rendered in ISO 8601, whatever the language: ``<input type="date">``
drops any other value (zh-hans renders 2026/12/04), and the field then posts back empty."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django import forms
from django.utils import translation

from core.widgets import DateInput, DateTimeInput


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_date_widgets_render_iso_in_every_language(language: str) -> None:
    class F(forms.Form):
        day = forms.DateField(widget=DateInput())
        at = forms.DateTimeField(widget=DateTimeInput())

    with translation.override(language):
        html = str(F(initial={"day": date(2026, 12, 4), "at": datetime(2026, 12, 4, 9, 30)}))
        bound = F({"day": "2026-12-04", "at": "2026-12-04T09:30"})
        assert bound.is_valid(), bound.errors
    assert 'type="date"' in html and 'value="2026-12-04"' in html
    assert 'type="datetime-local"' in html and 'value="2026-12-04T09:30"' in html


def test_a_plain_date_field_renders_iso_in_zh_hans_too() -> None:
    """The default beneath the widgets (core/formats): a form that forgot them, Django's admin,
    still renders ISO first and accepts the Chinese spellings."""

    class F(forms.Form):
        day = forms.DateField()
        at = forms.DateTimeField()

    with translation.override("zh-hans"):
        html = str(F(initial={"day": date(2026, 12, 4), "at": datetime(2026, 12, 4, 9, 30)}))
        bound = F({"day": "2026年12月4日", "at": "2026/12/04 09:30"})
        assert bound.is_valid(), bound.errors
    assert 'value="2026-12-04"' in html and 'value="2026-12-04 09:30"' in html
    assert bound.cleaned_data["day"] == date(2026, 12, 4)
