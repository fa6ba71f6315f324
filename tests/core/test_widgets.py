"""Dates a form edits are rendered in ISO 8601, whatever the language: ``<input type="date">``
drops any other value (zh-hans renders 2026/12/04), and the field then posts back empty."""

from __future__ import annotations

from datetime import date, datetime
from importlib import import_module
from typing import Any

import pytest
from django import forms
from django.conf import settings
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


def _form_classes() -> list[Any]:
    found = []
    for app in settings.DINGDIAN_APPS:
        try:
            module = import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        found += [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, forms.BaseForm)
            and obj.__module__ == module.__name__
        ]
    return found


@pytest.mark.django_db
def test_every_date_field_of_every_form_uses_the_shared_iso_widgets() -> None:
    forms_checked = _form_classes()
    assert len(forms_checked) > 10
    wrong = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in forms_checked
        for name, field in form.base_fields.items()
        if (isinstance(field, forms.DateTimeField) and not isinstance(field.widget, DateTimeInput))
        or (isinstance(field, forms.DateField) and not isinstance(field.widget, DateInput))
    ]
    assert wrong == []
