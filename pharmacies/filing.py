"""HY-E01: a pharmacist's filing (备案) with the county insurance centre.

The pharmacy submits each licensed pharmacist; the centre's reviewer files (approves) or
refuses the filing. One service per move, each through core.transitions (STAFF_FILING), which
writes the event row; `filing_status` is set nowhere else.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import RuleViolation
from core.transitions import transition
from pharmacies.models import FilingStatus, StaffMember
from pharmacies.transitions import STAFF_FILING


def _move(*, staff: StaffMember, new: str, actor: User, reason: str = "") -> StaffMember:
    # The filing date is the centre's decision day; any other move (a refusal, a filing
    # submitted again) leaves the pharmacist unfiled until the centre files anew.
    filed_on = timezone.localdate() if new == FilingStatus.FILED else None
    return transition(
        STAFF_FILING,
        staff,
        new,
        actor=actor,
        reason=reason,
        fields={"filed_on": filed_on},
        history_user=True,
    )


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
