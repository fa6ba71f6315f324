"""What the patients pages share: the roles and the acting user (posted forms whose page
redirects run through core.actions.run_posted)."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest

from accounts.models import Role, User
from core.actions import run_posted

FILING_ROLES = (Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.EXPERT_REVIEWER, Role.BUREAU_ADMIN)
PATIENT_ROLES = (*FILING_ROLES, Role.PHARMACY_MANAGER, Role.PHARMACIST, Role.PHYSICIAN)


def user_of(request: HttpRequest) -> User:
    return cast(User, request.user)


__all__ = ["FILING_ROLES", "PATIENT_ROLES", "run_posted", "user_of"]
