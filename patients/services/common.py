"""What the patients services share: the hospital levels that review, the active members of
a role, and the one place a Django field check becomes a domain refusal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import HospitalLevel, Membership, Organisation, User
from core.errors import refusal
from core.validators import normalise_resident_id, validate_resident_id

LEVEL_II_PLUS = {HospitalLevel.LEVEL_2, HospitalLevel.LEVEL_3}


def active_members(
    role: str, *, region_id: int | None = None, organisation: Organisation | None = None
) -> QuerySet[User]:
    memberships = Membership.objects.filter(role=role, is_active=True)
    if region_id is not None:
        memberships = memberships.filter(organisation__region_id=region_id)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return User.objects.filter(pk__in=memberships.values("user_id"), is_active=True)


def checked_resident_id(value: str, *, field: str = "resident_id") -> str:
    """The normalised resident ID (GB 11643), or a refusal on `field`."""
    value = normalise_resident_id(value)
    try:
        validate_resident_id(value)
    except ValidationError as exc:
        raise refusal(exc, field=field) from exc
    return value
