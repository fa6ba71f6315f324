"""Returning a whole sale: the status move (prescriptions.transitions), then the quota of its
period, the stock, the traceability codes and the prescription's remaining quantities, all
reversed exactly in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from core.transitions import transition
from inventory.services import stock_sale_reverse
from prescriptions.models import Dispensing, DispensingStatus, PrescriptionItem
from prescriptions.services.quota import quota_give_back
from prescriptions.transitions import DISPENSING


def dispensing_return(*, dispensing: Dispensing, actor: User, reason: str) -> Dispensing:
    """Return a whole dispensing: the quota of its quarter, the stock, the traceability codes,
    the prescription's remaining quantities and the settlement are reversed exactly."""
    if not reason.strip():
        raise DomainError(_("请填写退药原因后再退药。"), field="reason")
    now = timezone.now()
    with transaction.atomic():
        # The dispensing first (locked, checked against the table, moved, event row), then
        # items by id, quota account, stock batches: the sale's lock order after its own row.
        locked = transition(
            DISPENSING,
            dispensing,
            DispensingStatus.RETURNED,
            actor=actor,
            reason=reason,
            fields={"returned_at": now},
        )
        lines = list(
            locked.lines.select_related("movement", "movement__pharmacy", "movement__batch")
        )
        item_ids = sorted({line.item_id for line in lines})
        list(PrescriptionItem.objects.select_for_update().filter(pk__in=item_ids).order_by("pk"))
        quota_give_back(dispensing=locked, actor=actor)
        for line in lines:
            stock_sale_reverse(sale=line.movement, actor=actor, returned_at=now)
            PrescriptionItem.objects.filter(pk=line.item_id).update(
                dispensed_quantity=F("dispensed_quantity") - line.quantity
            )
    return locked
