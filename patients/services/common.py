"""What the patients services share: the hospital levels that review, the transition check,
the active members of a role."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import HospitalLevel, Membership, Organisation, User
from core.errors import TransitionNotAllowed

LEVEL_II_PLUS = {HospitalLevel.LEVEL_2, HospitalLevel.LEVEL_3}


def check_move(table: dict[str, frozenset[str]], old: str, new: str) -> None:
    if new not in table.get(old, frozenset()):
        raise TransitionNotAllowed(_("当前状态不允许此操作。"))


def active_members(
    role: str, *, region_id: int | None = None, organisation: Organisation | None = None
) -> QuerySet[User]:
    memberships = Membership.objects.filter(role=role, is_active=True)
    if region_id is not None:
        memberships = memberships.filter(organisation__region_id=region_id)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return User.objects.filter(pk__in=memberships.values("user_id"), is_active=True)
