"""Access helpers: a page is reachable only by the roles it names; others get 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.models import API_KEY_MANAGER_ROLES, ApiKey
from accounts.principal import Principal

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def principal_of(request: HttpRequest) -> Principal:
    """The acting principal; 404 when the user has no active membership."""
    principal = getattr(request, "principal", None)
    if principal is None:
        raise Http404
    return cast(Principal, principal)


def require_role(*roles: str) -> Callable[[ViewFunc], ViewFunc]:
    """Login required; then only members holding one of `roles` (any role when empty)."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            principal = principal_of(request)
            if roles and not principal.has_role(*roles):
                raise Http404
            return view(request, *args, **kwargs)

        return cast(ViewFunc, wrapper)

    return decorator


def access_api_key_for_principal(principal: Principal, pk: int, *, write: bool = False) -> ApiKey:
    """The organisation's own key; 404 for absent and for another organisation's."""
    if write and not principal.has_role(*API_KEY_MANAGER_ROLES):
        raise Http404
    return get_object_or_404(ApiKey, pk=pk, organisation=principal.organisation)
