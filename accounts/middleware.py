from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.principal import Principal
from accounts.selectors import memberships_for_user, user_has_totp, user_requires_second_factor

SESSION_KEY = "active_membership_id"
# Whether the user had an authenticator when they logged in (accounts.apps sets it on
# user_logged_in): pages of users without one (the pharmacy counter) ask the database nothing.
ENROLLED_SESSION_KEY = "second_factor_enrolled"


class ActiveMembershipMiddleware:
    """Sets request.membership and request.principal for a logged-in user (lazily chosen)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        request.principal = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = list(memberships_for_user(user))
            for m in memberships:
                m.user = user  # the logged-in user is already loaded: no query per membership
            chosen = request.session.get(SESSION_KEY)
            membership = next((m for m in memberships if m.pk == chosen), None) or (
                memberships[0] if memberships else None
            )
            request.memberships = memberships  # type: ignore[attr-defined]
            request.membership = membership  # type: ignore[attr-defined]
            if membership is not None:
                request.principal = Principal.from_membership(membership)  # type: ignore[attr-defined]
        return self.get_response(request)


# Pages a user may reach in the middle of logging in (besides the step's own page).
_ALWAYS_OPEN = ("accounts:logout", "accounts:otp_verify", "accounts:otp_setup", "accounts:otp_qr")


class LoginStepsMiddleware:
    """After the password, before anything else: the second factor (enrolment first when the
    user must have one and has none), then the first-login password change. Pages redirect to
    the step; session-authenticated API calls get 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open: frozenset[str] | None = None

    def _open_paths(self) -> frozenset[str]:
        if self._open is None:
            self._open = frozenset(reverse(name) for name in _ALWAYS_OPEN)
        return self._open

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = pending_login_step(request)
        if step is None:
            return self.get_response(request)
        path = request.path_info
        if path in self._open_paths() or path.startswith("/i18n/") or path == reverse(step):
            return self.get_response(request)
        if path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("请先完成登录验证（双因素认证或修改初始密码）。")}, status=403
            )
        target = reverse(step)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)


def pending_login_step(request: HttpRequest) -> str | None:
    """The URL name of what the logged-in user must do before anything else, or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    session = request.session
    if ENROLLED_SESSION_KEY not in session:
        session[ENROLLED_SESSION_KEY] = user_has_totp(user)
    enrolled = session[ENROLLED_SESSION_KEY]
    required = user_requires_second_factor(user, getattr(request, "memberships", []))
    if (required or enrolled) and not user.is_verified():
        # Optional for others: asked for when the user enrolled an authenticator.
        return "accounts:otp_verify" if enrolled else "accounts:otp_setup"
    if user.password_change_required:
        return "accounts:password_change"
    return None


def remember_enrolment(request: HttpRequest, user: Any) -> None:
    """At login (and when it changes): does this user have an authenticator?"""
    if request is not None and hasattr(request, "session"):
        request.session[ENROLLED_SESSION_KEY] = user_has_totp(user)
