from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import ApiKeyForm, LoginForm
from accounts.middleware import SESSION_KEY
from accounts.models import API_KEY_MANAGER_ROLES, Role, User
from accounts.permissions import access_api_key_for_principal, principal_of, require_role
from accounts.selectors import api_keys_for_principal
from accounts.services import api_key_create, api_key_revoke
from accounts.workspaces import WORKSPACES
from core.calendar import load_calendar, years_needing_arrangement
from core.models import Notification


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@require_role()
def workspace_home(request: HttpRequest) -> HttpResponse:
    """Each role lands in its own workspace."""
    principal = principal_of(request)
    return redirect("accounts:workspace_role", role=principal.role)


@require_role()
def workspace_role(request: HttpRequest, role: str) -> HttpResponse:
    principal = principal_of(request)
    if role != principal.role or role not in WORKSPACES:
        raise Http404
    today = timezone.localdate()
    context = {
        "ws": WORKSPACES[role],
        "recent": Notification.objects.filter(recipient=_user(request)).order_by("-created_at")[:5],
        "calendar_years": (
            years_needing_arrangement(
                today, calendar=load_calendar(region_id=principal.organisation.region_id)
            )
            if role == Role.BUREAU_ADMIN
            else []
        ),
    }
    return render(request, "accounts/workspace.html", context)


@require_POST
@require_role()
def switch_membership(request: HttpRequest) -> HttpResponse:
    """Act in another of the user's organisations/roles."""
    wanted = int(request.POST.get("membership", "0") or 0)
    memberships = getattr(request, "memberships", [])
    if not any(m.pk == wanted for m in memberships):
        raise Http404
    request.session[SESSION_KEY] = wanted
    return redirect("accounts:workspace")


@require_role(*API_KEY_MANAGER_ROLES)
def api_keys(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _key, new_key = api_key_create(
            organisation=principal.organisation,
            name=form.cleaned_data["name"],
            actor=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, _("密钥已创建。请立即复制，它只显示这一次。"))
        form = ApiKeyForm()
    keys = api_keys_for_principal(principal)
    return render(
        request, "accounts/api_keys.html", {"form": form, "keys": keys, "new_key": new_key}
    )


@require_POST
@require_role(*API_KEY_MANAGER_ROLES)
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    key = access_api_key_for_principal(principal, pk, write=True)
    api_key_revoke(api_key=key, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("密钥“%(name)s”已吊销。") % {"name": key.name})
    return redirect(reverse("accounts:api_keys"))


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:workspace")
    return redirect("accounts:login")


@require_role()
def notifications(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.filter(recipient=_user(request)).order_by("-created_at")[:200]
    return render(request, "accounts/notifications.html", {"items": items})


@require_POST
@require_role()
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(recipient=_user(request), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("core:notifications")
