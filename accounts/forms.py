from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。连续失败 5 次账户将锁定 30 分钟。"),
        "inactive": _("该账户已停用。"),
    }


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("密钥名称"), max_length=60, help_text=_("例如：收银台POS、医院HIS")
    )


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        help_text=_("验证器（身份验证器 App）显示的 6 位数字；手机不在身边时可输入一个恢复码。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
