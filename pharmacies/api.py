"""Pharmacy-side API: profile, staff and staff evidence (scoped to the caller)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, parsers, permissions, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import (
    ScopedPrimaryKeyRelatedField,
    ScopedViewSetMixin,
    acting_user,
    principal_for_request,
)
from accounts.models import Membership, Role, User
from accounts.principal import Principal
from pharmacies import services
from pharmacies.models import EvidenceKind, Pharmacy, StaffEvidence, StaffMember
from pharmacies.selectors import evidence_for_principal, pharmacies_for_principal


class PharmacyWrite(permissions.BasePermission):
    """Writes: the pharmacy's manager (logged in) or the pharmacy's own API key."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        principal = principal_for_request(request)
        if principal.is_bureau:
            return False
        return principal.api_key is not None or principal.has_role(Role.PHARMACY_MANAGER)


class PharmacySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Pharmacy
        fields = ["id", "name", "credit_code", *services.PROFILE_FIELDS]
        read_only_fields = ["id", "name", "credit_code"]


class PharmacyViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Pharmacy profile: licences, premises, systems, monitoring."""

    queryset = Pharmacy.objects.none()
    serializer_class = PharmacySerializer
    permission_classes = [permissions.IsAuthenticated, PharmacyWrite]

    def scope_queryset(self, principal: Principal) -> QuerySet[Pharmacy]:
        return pharmacies_for_principal(principal)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pharmacy = self.get_object()
        serializer = PharmacySerializer(
            pharmacy, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        updated = services.pharmacy_update_profile(
            pharmacy=pharmacy, data=dict(serializer.validated_data), actor=acting_user(request)
        )
        return Response(PharmacySerializer(updated).data)


def _staff_accounts(principal: Principal) -> QuerySet[User]:
    """The portal accounts a staff record may be linked to: members of the caller's pharmacies."""
    return User.objects.filter(
        pk__in=Membership.objects.filter(
            is_active=True,
            organisation__pharmacy__in=pharmacies_for_principal(principal),
        ).values("user_id")
    )


class StaffSerializer(serializers.ModelSerializer):
    resident_id = serializers.CharField(write_only=True, max_length=18)
    user = ScopedPrimaryKeyRelatedField(
        scope=_staff_accounts,
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        label=StaffMember._meta.get_field("user").verbose_name,
    )
    masked_resident_id = serializers.CharField(read_only=True)

    class Meta:
        model = StaffMember
        fields = ["id", "pharmacy", "masked_resident_id", *services.STAFF_FIELDS]
        read_only_fields = ["id", "pharmacy", "masked_resident_id"]


class StaffViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Staff with posts; the resident ID is write-only and shown masked."""

    queryset = StaffMember.objects.none()
    serializer_class = StaffSerializer
    permission_classes = [permissions.IsAuthenticated, PharmacyWrite]

    def scope_queryset(self, principal: Principal) -> QuerySet[StaffMember]:
        return StaffMember.objects.filter(pharmacy__in=pharmacies_for_principal(principal))

    def _own_pharmacy(self) -> Pharmacy:
        pharmacy = pharmacies_for_principal(self.principal).first()
        if pharmacy is None:
            raise NotFound
        return pharmacy

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = StaffSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        staff = services.staff_member_save(
            pharmacy=self._own_pharmacy(),
            data=dict(serializer.validated_data),
            actor=acting_user(request),
        )
        return Response(StaffSerializer(staff).data, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        staff = self.get_object()
        serializer = StaffSerializer(staff, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        saved = services.staff_member_save(
            pharmacy=staff.pharmacy,
            staff=staff,
            data=dict(serializer.validated_data),
            actor=acting_user(request),
        )
        return Response(StaffSerializer(saved).data)


def _own_staff(principal: Principal) -> QuerySet[StaffMember]:
    return StaffMember.objects.filter(pharmacy__in=pharmacies_for_principal(principal))


class EvidenceSerializer(serializers.ModelSerializer):
    # Another pharmacy's staff id and an unknown one get the same 400 (issue 12.5).
    staff = ScopedPrimaryKeyRelatedField(queryset=StaffMember.objects.none(), scope=_own_staff)
    file = serializers.FileField(write_only=True)
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)

    class Meta:
        model = StaffEvidence
        fields = ["id", "staff", "kind", "month", "file", "original_name", "content_type", "size"]
        read_only_fields = ["id", "original_name", "content_type", "size"]


class EvidenceViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Labour contracts, payroll sheets and bank statements per person (and month)."""

    queryset = StaffEvidence.objects.none()
    serializer_class = EvidenceSerializer
    permission_classes = [permissions.IsAuthenticated, PharmacyWrite]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def scope_queryset(self, principal: Principal) -> QuerySet[StaffEvidence]:
        return evidence_for_principal(principal)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = EvidenceSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        staff = serializer.validated_data["staff"]
        evidence = services.staff_evidence_upload(
            staff=staff,
            kind=serializer.validated_data["kind"],
            month=serializer.validated_data.get("month"),
            upload=serializer.validated_data["file"],
            actor=acting_user(request),
        )
        return Response(EvidenceSerializer(evidence).data, status=201)
