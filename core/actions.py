"""Run one service from a page: the one place a view turns a domain refusal into what the user
sees. (The API's counterpart is core.api's exception handler.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.functional import Promise

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
