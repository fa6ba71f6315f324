"""What the patients pages share: the roles, the acting user, and the one way a posted form
whose page redirects shows what went wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.functional import Promise

from accounts.models import Role, User
from core.actions import run_service

T = TypeVar("T")
FILING_ROLES = (Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.EXPERT_REVIEWER, Role.BUREAU_ADMIN)
PATIENT_ROLES = (*FILING_ROLES, Role.PHARMACY_MANAGER, Role.PHARMACIST, Role.PHYSICIAN)


def user_of(request: HttpRequest) -> User:
    return cast(User, request.user)


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
