from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.principal import Principal
from accounts.selectors import memberships_for_user

SESSION_KEY = "active_membership_id"


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
