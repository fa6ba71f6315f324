"""Run one service from a page: the one place a view turns a domain refusal into what the user
sees. (The API's counterpart is core.api's exception handler.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

T = TypeVar("T")


def run_service(
    request: HttpRequest,
    action: Callable[[], T],
    *,
    success: str | Promise | None = None,
    form: forms.BaseForm | None = None,
) -> T | None:
    """Call `action`; on success add the `success` message and return its result. A
    DomainError (with its rule ID) is shown as it is — on the form's field it names, else on
    the form, else as a page message — and None is returned: the service's transaction has
    rolled back, nothing changed."""
    try:
        result = action()
    except DomainError as exc:
        if form is None:
            messages.error(request, str(exc))
        elif len(exc.errors) > 1:
            for name, errors in exc.errors.items():
                form.add_error(name if name in form.fields else None, errors)
        elif exc.field and exc.field in form.fields:
            form.add_error(exc.field, str(exc))
        else:
            form.add_error(None, str(exc))
        return None
    if success:
        messages.success(request, str(success))
    return result


def run_posted(
    request: HttpRequest,
    form: forms.BaseForm,
    action: Callable[[dict[str, Any]], T],
    *,
    success: str | Promise | None,
) -> T | None:
    """Run `action(cleaned_data)` for a form posted from a page the view then redirects to:
    an invalid form and a refusal are both shown as page messages (nothing is ignored)."""
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else str(error))
        return None
    data = form.cleaned_data
    return run_service(request, lambda: action(data), success=success)


CONFIRMED = "confirmed"


def confirmed(request: HttpRequest) -> bool:
    """The post carries the user's confirmation (the confirmation page's 确认 button, or the
    browser's dialog: static/js/dingdian.js adds confirmed=1 to a data-confirm form)."""
    return request.POST.get(CONFIRMED) == "1"


def confirm_page(
    request: HttpRequest,
    *,
    action: str | Promise,
    obj: str | Promise | object,
    consequence: str | Promise,
    back: str,
) -> HttpResponse | None:
    """The confirmation step of an irreversible or outward-facing action (issue 16.3): None when
    the post is confirmed (the view goes on), else a page in the portal's layout that names the
    action, its object and its consequence, with a 确认 button re-posting the same data plus
    confirmed=1 and a link back. Nothing has changed when this page is shown."""
    if confirmed(request):
        return None
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in {"csrfmiddlewaretoken", CONFIRMED}
        for value in values
    ]
    return render(
        request,
        "includes/confirm.html",
        {
            "action": action,
            "object": obj,
            "consequence": consequence,
            "back": back,
            "post_to": request.get_full_path(),
            "fields": fields,
        },
    )


def decision_field(label: Any, choices: Any, **kwargs: Any) -> forms.TypedChoiceField:
    """A decision (radio buttons, no outcome pre-selected): the user must choose; a post
    without a choice gets a field error (shown after the decision's label)."""
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("未选择：请选择一项，系统不预设结论。")},
        **kwargs,
    )


def confirm_posted(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    action: str | Promise,
    obj: str | Promise | object,
    consequence: Callable[[dict[str, Any]], str | Promise],
    back: str,
) -> HttpResponse | None:
    """confirm_page for a posted form, once it is valid (its consequence may depend on the
    decision chosen); an invalid form goes on to run_posted, which reports it."""
    if not form.is_valid():
        return None
    return confirm_page(
        request,
        action=action,
        obj=obj,
        consequence=consequence(form.cleaned_data),
        back=back,
    )


def confirm_and_run(
    request: HttpRequest,
    form: forms.BaseForm,
    run: Callable[[dict[str, Any]], object],
    *,
    action: str | Promise,
    obj: str | Promise | object,
    consequence: Callable[[dict[str, Any]], str | Promise],
    back: str,
    success: str | Promise,
) -> HttpResponse | None:
    """An irreversible decision posted from a form: the confirmation page naming its
    consequence (confirm_posted) until confirmed, then `run(cleaned_data)` with its message
    (run_posted); None once it has run (or the form was invalid): the view redirects."""
    asked = confirm_posted(
        request, form, action=action, obj=obj, consequence=consequence, back=back
    )
    if asked is None:
        run_posted(request, form, run, success=success)
    return asked
