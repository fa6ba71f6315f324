from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiKey, Membership, Organisation, Region, User
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
