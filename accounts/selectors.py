from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.models import (
    BUREAU_ROLES,
    ApiKey,
    Membership,
    Organisation,
    PasswordHistory,
    Region,
    User,
)
from accounts.principal import Principal


def memberships_for_user(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)
        .select_related("organisation", "organisation__region")
        .order_by("id")
    )


def region_ids_for_principal(principal: Principal) -> list[int]:
    """Bureau staff see their region and everything below it."""
    region: Region = principal.organisation.region
    return region.subtree_ids()


def organisations_visible_to(principal: Principal) -> QuerySet[Organisation]:
    """Bureau staff: every organisation of their region; others: their own only."""
    qs = Organisation.objects.select_related("region")
    if principal.is_bureau:
        return qs.filter(region_id__in=region_ids_for_principal(principal))
    return qs.filter(pk=principal.organisation.pk)


def api_keys_for_principal(principal: Principal) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organisation=principal.organisation).select_related(
        "created_by", "revoked_by"
    )


def password_recently_used(user: User, password: str, *, count: int) -> bool:
    """Is `password` the user's current one or one of the `count` before it?"""
    from django.contrib.auth.hashers import check_password

    encoded = [user.password] if user.password else []
    encoded += list(
        PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[:count]
    )
    # check_password without a setter: validating must not rehash and save anything.
    return any(check_password(password, e) for e in dict.fromkeys(encoded))


def user_requires_second_factor(user: User, memberships: Iterable[Membership]) -> bool:
    """TOTP is required for Django admins and for anyone holding a bureau role."""
    return user.is_staff or user.is_superuser or any(m.role in BUREAU_ROLES for m in memberships)


def user_has_totp(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
