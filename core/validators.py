"""Shared validators: identity and organisation numbers (python-stdnum: GB 11643, GB 32100),
and bad input (NUL, control characters, impossible dates)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
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


# --- Bad input: NUL bytes, nesting, control characters, impossible dates ---------------------

# The earliest date any record of the portal can carry (a birth date of the oldest insured).
EARLIEST_DATE = date(1900, 1, 1)


def nul_byte_message(where: str) -> str:
    return gettext("“%(field)s”含有不允许的空字符（NUL，0x00），请删除后重试。") % {"field": where}


def too_deep_message(limit: int) -> str:
    return gettext("JSON 嵌套层级过深（最多 %(limit)d 层）。") % {"limit": limit}


# C0 controls except tab, newline and carriage return; DEL; C1 controls.
_CONTROL_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def validate_single_line_text(value: str) -> None:
    """Names, codes, addresses: no control characters at all (not even tab or newline)."""
    if value and _CONTROL_SINGLE_LINE.search(value):
        raise ValidationError(
            _("不能含有控制字符（包括换行、制表符）。"), code="control_characters"
        )


def validate_multi_line_text(value: str) -> None:
    """Notes, reasons, descriptions: tab and newlines allowed, other control characters not."""
    if value and _CONTROL_MULTI_LINE.search(value):
        raise ValidationError(_("不能含有控制字符。"), code="control_characters")


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def validate_past_date(value: date | datetime) -> None:
    """Birth, hire, leave and admission dates: from 1900 up to today."""
    day = _as_date(value)
    today = timezone.localdate()
    if day < EARLIEST_DATE or day > today:
        raise ValidationError(
            _("日期须在 %(earliest)s 至今天（%(today)s）之间。"),
            code="date_out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "today": today.isoformat()},
        )


def validate_recent_date(value: date | datetime) -> None:
    """Ledger and movement dates: from 1900 up to one day ahead (a clock a little fast)."""
    day = _as_date(value)
    latest = timezone.localdate() + timedelta(days=1)
    if day < EARLIEST_DATE or day > latest:
        raise ValidationError(
            _("日期须在 %(earliest)s 至 %(latest)s 之间。"),
            code="date_out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": latest.isoformat()},
        )


def validate_plausible_date(value: date | datetime) -> None:
    """Expiry dates, validity ends, plans: from 1900 up to 50 years ahead."""
    day = _as_date(value)
    latest = timezone.localdate().replace(month=1, day=1) + timedelta(days=366 * 50)
    if day < EARLIEST_DATE or day > latest:
        raise ValidationError(
            _("日期须在 %(earliest)s 至 %(latest)s 之间。"),
            code="date_out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": latest.isoformat()},
        )


def validate_near_date(value: date | datetime) -> None:
    """Hire, filing and leave dates: from 1900 up to a year ahead (a contract signed early)."""
    day = _as_date(value)
    latest = timezone.localdate() + timedelta(days=366)
    if day < EARLIEST_DATE or day > latest:
        raise ValidationError(
            _("日期须在 %(earliest)s 至 %(latest)s 之间。"),
            code="date_out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": latest.isoformat()},
        )


def field_errors(
    instance: Any,
    *,
    single_line: tuple[str, ...] = (),
    multi_line: tuple[str, ...] = (),
    dates: dict[str, Callable[[Any], None]] | None = None,
) -> dict[str, list[ValidationError]]:
    """For a model's clean(): each named text and date field checked, the message led by the
    field's label so that it names the field wherever it is shown (form, API, import)."""
    errors: dict[str, list[ValidationError]] = {}
    checks: list[tuple[str, Callable[[Any], None]]] = [
        *((name, validate_single_line_text) for name in single_line),
        *((name, validate_multi_line_text) for name in multi_line),
        *((dates or {}).items()),
    ]
    for name, check in checks:
        value = getattr(instance, name)
        if value in (None, ""):
            continue
        try:
            check(value)
        except ValidationError as exc:
            label = instance._meta.get_field(name).verbose_name
            errors.setdefault(name, []).extend(
                ValidationError(f"{label}：{message}") for message in exc.messages
            )
    return errors
