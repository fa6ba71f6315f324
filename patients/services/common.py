"""What the patients services share: the hospital levels that review, the active members of
a role, and the one place a Django field check becomes a domain refusal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet

from accounts.models import HospitalLevel, Membership, Organisation, User
from core.errors import DomainError
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


def refusal(exc: ValidationError, *, field: str | None = None) -> DomainError:
    """A field check's ValidationError as the DomainError services raise: all its messages,
    on the one field it names (or `field`)."""
    if hasattr(exc, "error_dict"):
        fields = list(exc.message_dict)
        if len(fields) == 1 and field is None:
            field = fields[0] if fields[0] != "__all__" else None
    return DomainError("；".join(exc.messages), field=field)


def checked_resident_id(value: str, *, field: str = "resident_id") -> str:
    """The normalised resident ID (GB 11643), or a refusal on `field`."""
    value = normalise_resident_id(value)
    try:
        validate_resident_id(value)
    except ValidationError as exc:
        raise refusal(exc, field=field) from exc
    return value


def full_clean_or_refuse(obj: models.Model) -> None:
    """The model's own field checks, refused as a DomainError."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise refusal(exc) from exc
