"""HY-E01: a pharmacist's filing (备案) with the county insurance centre.

The pharmacy submits each licensed pharmacist; the centre's reviewer files (approves) or
refuses the filing. One service per move, each with an event row; `filing_status` is set
nowhere else.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import RuleViolation, TransitionNotAllowed
from pharmacies.models import FILING_TRANSITIONS, FilingStatus, StaffFilingEvent, StaffMember


def _move(*, staff: StaffMember, new: str, actor: User, reason: str = "") -> StaffMember:
    with transaction.atomic():
        locked = StaffMember.objects.select_for_update().get(pk=staff.pk)
        old = locked.filing_status
        if new not in FILING_TRANSITIONS.get(old, frozenset()):
            raise TransitionNotAllowed(
                _("备案状态为“%(old)s”，不能改为“%(new)s”。")
                % {"old": FilingStatus(old).label, "new": FilingStatus(new).label}
            )
        locked.filing_status = new
        fields = ["filing_status"]
        if new == FilingStatus.FILED:
            locked.filed_on = timezone.localdate()
            fields.append("filed_on")
        elif old == FilingStatus.FILED:
            locked.filed_on = None
            fields.append("filed_on")
        locked._history_user = actor  # type: ignore[attr-defined]
        locked.save(update_fields=fields)
        StaffFilingEvent.objects.create(
            staff=locked,
            old_status=old,
            new_status=new,
            actor=actor,
            reason=reason,
            rule_id="HY-E01",
        )
    return locked


def staff_filing_submit(*, staff: StaffMember, actor: User) -> StaffMember:
    """HY-E01: the pharmacy submits a licensed pharmacist's filing to the county centre."""
    if not staff.licensed_pharmacist or not staff.certificate_no.strip():
        raise RuleViolation(
            "HY-E01",
            _("只有填写了执业药师注册证编号的执业药师才能报医保中心备案。"),
            field="certificate_no",
        )
    if staff.left_on is not None and staff.left_on < timezone.localdate():
        raise RuleViolation("HY-E01", _("该人员已离职，不能报备案。"), field="left_on")
    return _move(staff=staff, new=FilingStatus.SUBMITTED, actor=actor)


def staff_filing_decide(
    *, staff: StaffMember, approve: bool, reason: str, actor: User
) -> StaffMember:
    """HY-E01: the centre's reviewer files (approves) or refuses a submitted filing; a refusal
    says why."""
    if not approve and not reason.strip():
        raise RuleViolation("HY-E01", _("不予备案须填写原因。"), field="reason")
    new = FilingStatus.FILED if approve else FilingStatus.REFUSED
    return _move(staff=staff, new=new, actor=actor, reason=reason.strip())
