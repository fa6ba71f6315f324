"""Record keeping of prescriptions and sales: deletion only after the retention period
(HY-E03 / GY-A08) and the delivery register (GY-A09)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.calendar import period_applies, period_last_day
from core.errors import DomainError, RuleViolation
from core.uploads import sniff_upload
from prescriptions.models import Delivery, Dispensing, Prescription
from programmes.models import Programme


def _retention_rule(programme: Programme) -> str:
    return "GY-A08" if programme.code.startswith("GY") else "HY-E03"


def _assert_retention_over(programme: Programme, kept_since: date, today: date) -> None:
    years = programme.record_retention_years
    last_day = period_last_day(kept_since, years=years)
    if period_applies(today, last_day):
        until = last_day + timedelta(days=1)
        raise RuleViolation(
            _retention_rule(programme),
            _("处方、购药清单和代购记录须保存 %(years)s 年，%(until)s 之前不能删除。")
            % {"years": years, "until": until.isoformat()},
        )


def prescription_delete(*, prescription: Prescription, actor: User) -> None:
    """HY-E03 / GY-A08: prescriptions are kept for the programme's retention years."""
    today = timezone.localdate()
    _assert_retention_over(prescription.programme, prescription.issued_on, today)
    if prescription.dispensings.exists():
        raise DomainError(_("该处方有购药记录，请先删除到期的购药记录，再删除处方。"))
    prescription.seal_image.delete(save=False)
    prescription._history_user = actor  # type: ignore[attr-defined]
    prescription.delete()


def dispensing_delete(*, dispensing: Dispensing, actor: User) -> None:
    """HY-E03 / GY-A08: purchase lists and proxy records are kept for the retention years."""
    today = timezone.localdate()
    _assert_retention_over(dispensing.programme, timezone.localdate(dispensing.dispensed_at), today)
    dispensing.purchase_list_photo.delete(save=False)
    dispensing.delete()


def delivery_record(
    *,
    dispensing: Dispensing,
    method: str,
    packaging: str,
    item_list: str,
    voucher_no: str,
    shipped_at: datetime,
    actor: User,
    voucher: UploadedFile | None = None,
) -> Delivery:
    """GY-A09: register the delivery of a sale — method, packaging, list, voucher, time."""
    if not (packaging.strip() and item_list.strip() and voucher_no.strip()):
        raise RuleViolation("GY-A09", _("配送登记须填写包装、配送清单和凭证号。"))
    if voucher is not None:
        sniff_upload(voucher)
    with transaction.atomic():
        Dispensing.objects.select_for_update().get(pk=dispensing.pk)
        if Delivery.objects.filter(dispensing=dispensing).exists():
            raise DomainError(_("该结算已登记配送，不能重复登记；已登记的配送见本页“配送登记”。"))
        delivery = Delivery(
            dispensing=dispensing,
            method=method,
            packaging=packaging.strip(),
            item_list=item_list.strip(),
            voucher_no=voucher_no.strip(),
            shipped_at=shipped_at,
            recorded_by=actor,
        )
        if voucher is not None:
            delivery.voucher.save(f"{uuid.uuid4().hex}.bin", voucher, save=False)
        delivery.save()
    return delivery
