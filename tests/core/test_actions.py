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


@pytest.mark.django_db
def test_confirm_page_re_posts_the_same_data_with_confirmed_and_names_the_consequence() -> None:
    """Issue 16.3: the confirmation step, in the portal's layout, without JavaScript."""
    from django.contrib.auth.models import AnonymousUser

    from core.actions import confirm_page

    request: Any = RequestFactory().post(
        "/x/do/fail/?next=1", {"note": "理由<b>", "items": ["a", "b"], "csrfmiddlewaretoken": "t"}
    )
    request.user = AnonymousUser()
    page = confirm_page(
        request, action="评估不合格", obj="某药房", consequence="将出具反馈意见书", back="/x/"
    )
    assert page is not None
    html = page.content.decode()
    assert "评估不合格" in html and "某药房" in html and "将出具反馈意见书" in html
    assert 'action="/x/do/fail/?next=1"' in html and 'href="/x/"' in html
    assert 'name="note" value="理由&lt;b&gt;"' in html  # escaped, re-posted as it came
    assert 'name="items" value="a"' in html and 'name="items" value="b"' in html
    assert html.count('name="confirmed" value="1"') == 1 and 'value="t"' not in html
    confirmed: Any = RequestFactory().post("/x/", {"confirmed": "1"})
    assert confirm_page(confirmed, action="a", obj="o", consequence="c", back="/") is None


def test_a_decision_field_preselects_nothing_and_requires_a_choice() -> None:
    from core.actions import decision_field

    class _Decision(forms.Form):
        approve = decision_field("评审结论", choices=[("1", "通过"), ("0", "不通过")])

    assert "checked" not in str(_Decision()["approve"])
    form = _Decision({})
    assert not form.is_valid() and "未选择" in form.errors["approve"][0]
