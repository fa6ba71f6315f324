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
