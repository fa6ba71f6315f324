"""Who acted, for the audit trail (`core.audit`), and the audit of logins and permissions.

`audit(request, action=…, …)` is what views of every app call; `actor_for_user` serves
services that know the acting user but not the request. Logins are heard through Django's
`user_logged_in` / `user_login_failed` / `user_logged_out` signals (the login views stay as
they are); membership changes through the model's save and delete, whichever path makes them
(admin, shell, seed), with the acting person from the request being served."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from accounts.models import ApiKey, Membership, Organisation, User
from accounts.principal import ApiKeyUser, Principal
from core.audit import AuditActor, audit_record, current_request
from core.models import AuditAction, AuditEvent


def actor_for_principal(principal: Principal) -> AuditActor:
    organisation = principal.organisation
    user = principal.user
    key = principal.api_key
    return AuditActor(
        user_id=user.pk if user is not None else None,
        username=user.username if user is not None else "",
        organisation_id=organisation.pk,
        organisation_name=organisation.name,
        role=principal.role or "",
        api_key_id=key.pk if key is not None else None,
        api_key_prefix=key.prefix if key is not None else "",
        region_id=organisation.region_id,
    )


def _principal_of(request: Any) -> Principal | None:
    user = getattr(request, "user", None)
    if isinstance(user, ApiKeyUser):
        return user.principal
    django_request = getattr(request, "_request", request)
    return getattr(django_request, "principal", None)


def actor_for_request(request: Any) -> AuditActor:
    """The acting member or API key of a request (a Django or a DRF request)."""
    principal = _principal_of(request)
    if principal is not None:
        return actor_for_principal(principal)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return actor_for_user(user)
    return AuditActor()


def actor_for_user(user: User, organisation: Organisation | None = None) -> AuditActor:
    """The user, in the role the request being served acts in when it is theirs."""
    principal = _principal_of(current_request())
    if (
        principal is not None
        and principal.user is not None
        and principal.user.pk == user.pk
        and (organisation is None or principal.organisation.pk == organisation.pk)
    ):
        return actor_for_principal(principal)
    # Else the membership a fresh session starts in (accounts.middleware: the first active).
    memberships = Membership.objects.filter(user=user, is_active=True).select_related(
        "organisation"
    )
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    membership = memberships.order_by("id").first()
    if membership is not None:
        organisation = membership.organisation
    return AuditActor(
        user_id=user.pk,
        username=user.username,
        organisation_id=organisation.pk if organisation is not None else None,
        organisation_name=organisation.name if organisation is not None else "",
        role=membership.role if membership is not None else "",
        region_id=organisation.region_id if organisation is not None else None,
    )


def object_label(obj: Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def audit(
    request: HttpRequest | Any,
    *,
    action: str,
    obj: Model | None = None,
    region_id: int | None = None,
    detail: str = "",
) -> AuditEvent:
    """Record what the request's actor did to `obj` (scoped to `region_id`, else the actor's)."""
    return audit_record(
        action=action,
        actor=actor_for_request(request),
        request=request,
        object_type=object_label(obj) if obj is not None else "",
        object_id=obj.pk if obj is not None else "",
        region_id=region_id,
        detail=detail,
    )


# --- Logins (signal receivers, connected in accounts.apps) --------------------------------------


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(action=AuditAction.LOGIN, actor=actor_for_user(user), request=request)


def on_user_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is None:
        return
    audit_record(action=AuditAction.LOGOUT, actor=actor_for_user(user), request=request)


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    user = User.objects.filter(username=username).first() if username else None
    actor = actor_for_user(user) if user is not None else AuditActor(username=username)
    audit_record(action=AuditAction.LOGIN_FAILED, actor=actor, request=request)


# --- Permissions ---------------------------------------------------------------------------------


def _request_actor() -> AuditActor:
    request = current_request()
    return actor_for_request(request) if request is not None else AuditActor()


def _membership_detail(membership: Membership) -> str:
    state = "active" if membership.is_active else "inactive"
    return (
        f"user={membership.user.username} organisation={membership.organisation_id} "
        f"role={membership.role} {state}"
    )


def on_membership_saved(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures
    audit_record(
        action=AuditAction.MEMBERSHIP_CREATED if created else AuditAction.MEMBERSHIP_CHANGED,
        actor=_request_actor(),
        object_type=object_label(instance),
        object_id=instance.pk,
        region_id=instance.organisation.region_id,
        detail=_membership_detail(instance),
    )


def on_membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    audit_record(
        action=AuditAction.MEMBERSHIP_REMOVED,
        actor=_request_actor(),
        object_type=object_label(instance),
        object_id=instance.pk,
        region_id=instance.organisation.region_id,
        detail=_membership_detail(instance),
    )


def api_key_audit(*, api_key: ApiKey, action: str, actor: User) -> None:
    audit_record(
        action=action,
        actor=actor_for_user(actor, api_key.organisation),
        object_type=object_label(api_key),
        object_id=api_key.pk,
        region_id=api_key.organisation.region_id,
        detail=f"{api_key.name} ({api_key.prefix}…)",
    )
