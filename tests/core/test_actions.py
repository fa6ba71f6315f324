"""core.actions.run_service: a refusal shown where the user looks, a success message otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from core.actions import run_service
from core.errors import RuleViolation


class _Form(forms.Form):
    quantity = forms.IntegerField()


def _request() -> Any:
    request: Any = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _refuse() -> None:
    raise RuleViolation("HY-G07", "超出限额", field="quantity")


def test_success_returns_the_result_and_says_what_happened() -> None:
    request = _request()
    assert run_service(request, lambda: 7, success="已保存") == 7
    assert [str(m) for m in get_messages(request)] == ["已保存"]


@pytest.mark.parametrize("with_form", [False, True])
def test_a_refusal_names_its_rule_on_the_field_or_the_page(with_form: bool) -> None:
    request = _request()
    form = _Form({"quantity": "3"}) if with_form else None
    if form is not None:
        assert form.is_valid()
    assert run_service(request, _refuse, success="已保存", form=form) is None
    shown = [str(m) for m in get_messages(request)]
    if form is None:
        assert shown == ["[HY-G07] 超出限额"]
    else:
        assert shown == []
        assert form.errors["quantity"] == ["[HY-G07] 超出限额"]
