from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import API_KEY_SCOPES_BY_KIND, ApiKeyScope


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。连续失败 5 次账户将锁定 30 分钟。"),
        "inactive": _("该账户已停用。"),
    }


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("密钥名称"), max_length=60, help_text=_("例如：收银台POS、医院HIS")
    )
    scope = forms.ChoiceField(
        label=_("权限范围"),
        required=False,
        help_text=_(
            "POS 可查询资格和配药结算；HIS 可上传申报和住院记录；只读密钥不能提交任何数据。"
        ),
    )
    valid_days = forms.IntegerField(
        label=_("有效期（天）"),
        required=False,
        min_value=1,
        help_text=_("到期后密钥自动失效，须新建。"),
    )

    def __init__(self, *args: Any, organisation_kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scopes = API_KEY_SCOPES_BY_KIND.get(organisation_kind, (ApiKeyScope.READ_ONLY,))
        scope = cast(forms.ChoiceField, self.fields["scope"])
        scope.choices = [(s, ApiKeyScope(s).label) for s in scopes]
        scope.initial = scopes[0]
        valid_days = cast(forms.IntegerField, self.fields["valid_days"])
        valid_days.initial = settings.API_KEY_VALID_DAYS
        valid_days.max_value = settings.API_KEY_MAX_VALID_DAYS
        valid_days.widget.attrs["max"] = settings.API_KEY_MAX_VALID_DAYS
        valid_days.validators.append(MaxValueValidator(settings.API_KEY_MAX_VALID_DAYS))


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        help_text=_("验证器（身份验证器 App）显示的 6 位数字；手机不在身边时可输入一个恢复码。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class OtpSetupForm(OtpCodeForm):
    """Confirming a new authenticator: only its code (recovery codes do not exist yet)."""

    code = forms.CharField(
        label=_("验证码"),
        max_length=6,
        help_text=_("绑定后验证器显示的 6 位数字。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
