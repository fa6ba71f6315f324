from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class LettersAndDigitsValidator:
    """A password must mix letters and digits."""

    def validate(self, password: str, user: Any = None) -> None:
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError(_("密码须同时包含字母和数字。"), code="password_letters_digits")

    def get_help_text(self) -> str:
        return _("密码须同时包含字母和数字。")


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule with a Chinese message (Django 5.2's zh_Hans lacks this msgid)."""

    def get_error_message(self) -> str:
        return _("密码长度太短：至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return _("密码至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}


class PasswordHistoryValidator:
    """A new password must differ from the current one and the ones before it, up to
    `settings.PASSWORD_HISTORY_COUNT` (等保 2.0 身份鉴别; the hashes are kept in
    accounts.PasswordHistory, written when a password is saved)."""

    def __init__(self, count: int | None = None) -> None:
        self._count = count

    @property
    def count(self) -> int:
        from django.conf import settings

        return self._count if self._count is not None else settings.PASSWORD_HISTORY_COUNT

    def validate(self, password: str, user: Any = None) -> None:
        from accounts.selectors import password_recently_used

        if (
            user is not None
            and user.pk is not None
            and password_recently_used(user, password, count=self.count)
        ):
            raise ValidationError(
                _("新密码不能与最近 %(count)d 次使用过的密码相同。") % {"count": self.count},
                code="password_reused",
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        from accounts.services import password_history_record

        if user is not None and user.pk is not None:
            password_history_record(user=user, keep=self.count)

    def get_help_text(self) -> str:
        return _("新密码不能与最近 %(count)d 次使用过的密码相同。") % {"count": self.count}
