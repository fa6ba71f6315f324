"""Identity and organisation number checks (python-stdnum: GB 11643, GB 32100)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError


def normalise_resident_id(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def validate_resident_id(value: str) -> None:
    """GB 11643 resident ID: 18 characters, birth date and check digit."""
    try:
        ric.validate(normalise_resident_id(value))
    except StdnumError as exc:
        raise ValidationError(
            _("居民身份证号“%(value)s”无效：请核对18位号码及末位校验码。"),
            code="invalid_resident_id",
            params={"value": value},
        ) from exc


def mask_resident_id(value: str) -> str:
    """Show the first 6 and last 4 characters only: 430421********1234."""
    value = normalise_resident_id(value)
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def validate_credit_code(value: str) -> None:
    """GB 32100 unified social credit code: 18 characters with check character."""
    try:
        uscc.validate((value or "").strip().upper())
    except StdnumError as exc:
        raise ValidationError(
            _("统一社会信用代码“%(value)s”无效：请核对18位代码及末位校验码。"),
            code="invalid_credit_code",
            params={"value": value},
        ) from exc
