"""API base: every viewset scopes its queryset to the calling organisation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import API_KEY_MANAGER_ROLES, ApiKey, ApiKeyScope, Organisation, User
from accounts.principal import ApiKeyUser, Principal
from accounts.selectors import api_keys_for_principal
from accounts.services import api_key_create, api_key_revoke
from core.errors import DomainError


def principal_for_request(request: Request) -> Principal:
    user = request.user
    if isinstance(user, ApiKeyUser):
        return user.principal
    principal = getattr(request._request, "principal", None)
    if principal is None:
        raise NotFound
    return principal


def acting_user(request: Request) -> User:
    """The user events and history name: the member, or the person who issued the API key."""
    user = request.user
    if isinstance(user, ApiKeyUser):
        return user.api_key.created_by
    assert isinstance(user, User)
    return user


class ScopedViewSetMixin:
    """get_queryset always goes through scope_queryset(principal): no unscoped list or detail.
    Detail routes match whole numbers only: `/stays/false/` is a 404 from the router, never an
    id a view must parse (a viewset looked up by another field sets its own regex)."""

    lookup_value_regex = "[0-9]+"

    @property
    def principal(self) -> Principal:
        return principal_for_request(self.request)  # type: ignore[attr-defined]

    def scope_queryset(self, principal: Principal) -> QuerySet[Any]:
        raise NotImplementedError("each scoped viewset says what its principal may see")

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return self.queryset.none()  # type: ignore[attr-defined]
        return self.scope_queryset(self.principal)


class _ScopedRelatedMixin:
    """A related field whose choices are what the caller may see: an id of another
    organisation's (or region's) object and an id that does not exist get the same 400, so a
    request body cannot probe what exists elsewhere. `queryset` names the model (for the schema
    and for calls without a request); `scope(principal)` gives the choices."""

    def __init__(self, *, scope: Callable[[Principal], QuerySet[Any]], **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(**kwargs)
        # Not DRF's 'Invalid pk "7" - object does not exist.': one neutral message for both.
        self.error_messages["does_not_exist"] = gettext_lazy("未找到。")  # type: ignore[attr-defined]

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")  # type: ignore[attr-defined]
        if request is None:  # no caller, no choices
            return self.queryset.none()  # type: ignore[attr-defined]
        return self.scope(principal_for_request(request))


class ScopedPrimaryKeyRelatedField(_ScopedRelatedMixin, serializers.PrimaryKeyRelatedField):
    pass


class ScopedSlugRelatedField(_ScopedRelatedMixin, serializers.SlugRelatedField):
    pass


class IsSessionApiKeyManager(permissions.BasePermission):
    """Managing keys needs a logged-in manager of the organisation, never a key itself."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.user, ApiKeyUser) or not request.user.is_authenticated:
            return False
        principal = getattr(request._request, "principal", None)
        return bool(principal and principal.has_role(*API_KEY_MANAGER_ROLES))


class OrganisationSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name")
    kind_display = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "kind_display", "region", "hospital_level"]


class WhoAmISerializer(serializers.Serializer):
    organisation = OrganisationSerializer()
    role = serializers.CharField(allow_null=True, help_text="the member's role; null for a key")
    via = serializers.ChoiceField(choices=["api_key", "session"])


class WhoAmIView(APIView):
    """The organisation (and role, for a session) this call acts for."""

    @extend_schema(responses=WhoAmISerializer)
    def get(self, request: Request) -> Response:
        principal = principal_for_request(request)
        data = {
            "organisation": principal.organisation,
            "role": principal.role,
            "via": "api_key" if principal.api_key else "session",
        }
        return Response(WhoAmISerializer(data).data)


class ApiKeySerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)
    scope = serializers.ChoiceField(
        choices=ApiKeyScope.choices,
        required=False,
        help_text="pos, his or read_only; default: the organisation's system",
    )
    valid_days = serializers.IntegerField(
        write_only=True, required=False, min_value=1, help_text="default 365"
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scope",
            "valid_days",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "is_active",
        ]
        read_only_fields = [
            "id",
            "prefix",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="shown once; store it in the POS/HIS")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class ApiKeyViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The organisation's API keys (managers, logged in)."""

    queryset = ApiKey.objects.none()
    serializer_class = ApiKeySerializer
    permission_classes = [IsSessionApiKeyManager]

    def scope_queryset(self, principal: Principal) -> QuerySet[ApiKey]:
        return api_keys_for_principal(principal)

    @extend_schema(responses=ApiKeyCreatedSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            key, raw = api_key_create(
                organisation=self.principal.organisation,
                name=serializer.validated_data["name"],
                actor=request.user,  # type: ignore[arg-type]
                scope=serializer.validated_data.get("scope"),
                valid_days=serializer.validated_data.get("valid_days"),
            )
        except DomainError as error:
            raise serializers.ValidationError({error.field or "detail": [str(error)]}) from error
        out = ApiKeyCreatedSerializer(key).data
        out["key"] = raw
        return Response(out, status=201)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        key: Model = self.get_object()
        revoked = api_key_revoke(api_key=key, actor=request.user)  # type: ignore[arg-type]
        return Response(ApiKeySerializer(revoked).data)
