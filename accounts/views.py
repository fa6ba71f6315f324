from __future__ import annotations

from base64 import b32encode
from typing import Any, cast

import django_otp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.forms import ApiKeyForm, LoginForm, OtpCodeForm, OtpSetupForm
from accounts.login_throttle import login_throttled
from accounts.middleware import SESSION_KEY, remember_enrolment
from accounts.models import API_KEY_MANAGER_ROLES, Role, User
from accounts.permissions import access_api_key_for_principal, principal_of, require_role
from accounts.selectors import (
    api_keys_for_principal,
    recovery_codes_left,
    user_has_totp,
    user_requires_second_factor,
)
from accounts.services import (
    api_key_create,
    api_key_revoke,
    password_change_done,
    recovery_codes_issue,
    second_factor_disable,
    second_factor_verify,
    totp_device_confirm,
    totp_device_start,
)
from accounts.workspaces import WORKSPACES, workspace_panels
from core.calendar import load_calendar, years_needing_arrangement
from core.models import Notification


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Per address and over all addresses: slows guessing, locks no account (axes locks
        # an account only at the address it was guessed from).
        if login_throttled(request):
            return render(request, "accounts/login_throttled.html", status=429)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_change_done(user=form.user)
        return response


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
        "panels": workspace_panels(request, principal),
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
    kind = principal.organisation.kind
    form = ApiKeyForm(request.POST or None, organisation_kind=kind)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _key, new_key = api_key_create(
            organisation=principal.organisation,
            name=form.cleaned_data["name"],
            actor=request.user,  # type: ignore[arg-type]
            scope=form.cleaned_data["scope"] or None,
            valid_days=form.cleaned_data["valid_days"],
        )
        messages.success(request, _("密钥已创建。请立即复制，它只显示这一次。"))
        form = ApiKeyForm(organisation_kind=kind)
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


# --- Second factor (issue 12) -----------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("accounts:workspace")


@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the authenticator, or a recovery code."""
    user = _user(request)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next_url(request))
    if not user_has_totp(user):
        return redirect("accounts:otp_setup")
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            django_otp.login(request, device)
            if device.name == "recovery":
                messages.warning(
                    request,
                    _("已使用一个恢复码，还剩 %(count)d 个。可在“账户安全”重新生成。")
                    % {"count": recovery_codes_left(user)},
                )
            return redirect(_next_url(request))
        form.add_error("code", _("验证码不正确或已使用。连续输错后须等待几秒再试。"))
    return render(
        request, "accounts/otp_verify.html", {"form": form, "next": request.GET.get("next", "")}
    )


@never_cache
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: scan the QR code (or type the secret), confirm with a code; the
    recovery codes are shown once. Replacing one needs a verified session."""
    user = _user(request)
    if user_has_totp(user) and not user.is_verified():  # type: ignore[attr-defined]
        return redirect("accounts:otp_verify")
    device = totp_device_start(user=user)
    form = OtpSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = totp_device_confirm(user=user, code=form.cleaned_data["code"])
        if confirmed is not None:
            device, codes = confirmed
            django_otp.login(request, device)
            remember_enrolment(request, user)
            return render(
                request,
                "accounts/otp_recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error("code", _("验证码不正确，请核对手机时间后重试。"))
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": request.GET.get("next", ""),
            "required": user_requires_second_factor(user, getattr(request, "memberships", [])),
        },
    )


@never_cache
@login_required
def otp_qr(request: HttpRequest) -> HttpResponse:
    """The pending authenticator's otpauth:// URI as an SVG QR code, drawn here (no CDN)."""
    import qrcode
    import qrcode.image.svg

    user = _user(request)
    if user_has_totp(user) and not user.is_verified():  # type: ignore[attr-defined]
        raise Http404  # replacing an authenticator needs the current one first
    device = totp_device_start(user=user)
    response = HttpResponse(content_type="image/svg+xml")
    # The path variant carries a viewBox, so the browser scales it to the <img> size.
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).save(response)
    return response


@never_cache
@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    """账户安全: the second factor's state; new recovery codes; optional users may turn it off."""
    user = _user(request)
    required = user_requires_second_factor(user, getattr(request, "memberships", []))
    codes = None
    if request.method == "POST":
        if not user.is_verified():  # type: ignore[attr-defined]
            return redirect("accounts:otp_verify")
        action = request.POST.get("action")
        if action == "recovery":
            codes = recovery_codes_issue(user=user)
        elif action == "disable" and not required:
            second_factor_disable(user=user)
            remember_enrolment(request, user)
            messages.success(request, _("已停用双因素认证。"))
            return redirect("accounts:security")
    return render(
        request,
        "accounts/security.html",
        {
            "has_totp": user_has_totp(user),
            "required": required,
            "recovery_left": recovery_codes_left(user),
            "codes": codes,
        },
    )
