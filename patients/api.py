"""API for hospital systems: lodge a filing, read its status, record hospital stays."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedViewSetMixin
from accounts.audit import audit
from accounts.models import ApiKeyScope, Organisation, OrganisationKind, Role
from accounts.principal import Principal
from accounts.selectors import organisations_visible_to
from core.errors import DomainError
from core.models import AuditAction
from core.validators import validate_single_line_text
from patients import services
from patients.models import Filing, HospitalStay, MaterialKind
from patients.permissions import access_stay_for_principal, assert_may_record_stays
from patients.selectors import expert_hospitals, filing_programme_for, filings_for_principal
from programmes.models import Disease, InsuredType


def _actor(principal: Principal) -> Any:
    """The acting user: the member, or for an API key the key's creator."""
    if principal.user is not None:
        return principal.user
    if principal.api_key is not None and principal.api_key.created_by is not None:
        return principal.api_key.created_by
    raise DomainError("接口密钥缺少创建人，无法记录经办人。")


def _require_window(principal: Principal) -> None:
    if principal.user is not None and not principal.has_role(Role.WINDOW_CLERK):
        raise NotFound
    if principal.organisation.kind not in (
        OrganisationKind.HOSPITAL,
        OrganisationKind.TOWNSHIP_WINDOW,
        OrganisationKind.COUNTY_WINDOW,
    ):
        raise NotFound


class FilingSerializer(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.name", read_only=True)
    resident_id_masked = serializers.CharField(source="patient.masked_id", read_only=True)
    disease_code = serializers.CharField(source="disease.code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Filing
        fields = [
            "id",
            "number",
            "patient_name",
            "resident_id_masked",
            "disease_code",
            "path",
            "round_label",
            "status",
            "status_display",
            "lodged_on",
            "benefit_starts_on",
            "decision_reason",
        ]
        read_only_fields = fields


class FilingLodgeSerializer(serializers.Serializer):
    resident_id = serializers.CharField(max_length=18)
    name = serializers.CharField(max_length=50, validators=[validate_single_line_text])
    insured_type = serializers.ChoiceField(choices=InsuredType.choices)
    social_security_card_no = serializers.CharField(
        max_length=30, required=False, default="", validators=[validate_single_line_text]
    )
    phone = serializers.CharField(
        max_length=30, required=False, default="", validators=[validate_single_line_text]
    )
    disease_code = serializers.CharField(max_length=20)
    reviewing_hospital_id = serializers.IntegerField(required=False, allow_null=True)
    records_hospital = serializers.CharField(max_length=100)
    # A plain string (1/2/3): the service refuses below Level II (HY-G02); a second enum of
    # the same choices would clash in the OpenAPI schema with Organisation.hospital_level.
    records_hospital_level = serializers.CharField(max_length=1, help_text="医院等级 1/2/3")
    materials_received = serializers.ListField(
        child=serializers.ChoiceField(choices=MaterialKind.choices)
    )


class FilingViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """特门申报: a window's (or reviewing hospital's) filings and their status."""

    queryset = Filing.objects.none()
    serializer_class = FilingSerializer
    api_key_scope = ApiKeyScope.HIS  # a POS key gets 403 (accounts.api_auth)

    def scope_queryset(self, principal: Principal) -> QuerySet[Filing]:
        if principal.user is None and principal.organisation.kind == OrganisationKind.PHARMACY:
            return Filing.objects.none()
        return filings_for_principal(principal).order_by("-id")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filing = self.get_object()
        audit(
            request,
            action=AuditAction.RECORD_READ,
            obj=filing,
            region_id=filing.patient.region_id,
            detail=f"filing {filing.number} (api)",
        )
        return Response(self.get_serializer(filing).data)

    @extend_schema(request=FilingLodgeSerializer, responses={201: FilingSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        principal = self.principal
        _require_window(principal)
        data = FilingLodgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        # The programme filed under is the caller's region's, not a code written here.
        disease = Disease.objects.filter(
            programme=filing_programme_for(principal), code=v["disease_code"], is_active=True
        ).first()
        if disease is None:
            raise serializers.ValidationError({"disease_code": "未知病种"})
        reviewing: Organisation | None = None
        if v.get("reviewing_hospital_id"):
            reviewing = expert_hospitals().filter(pk=v["reviewing_hospital_id"]).first()
        filing = services.filing_lodge(
            patient=services.PatientDetails.of(v),
            disease=disease,
            window=principal.organisation,
            reviewing_hospital=reviewing,
            records_hospital=v["records_hospital"],
            records_hospital_level=v["records_hospital_level"],
            materials_received=v["materials_received"],
            actor=_actor(principal),
        )
        return Response(FilingSerializer(filing).data, status=201)


class HospitalStaySerializer(serializers.ModelSerializer):
    # The answer never names the patient: the HIS knows whom it admitted, and a name in the
    # answer would turn recording a stay into a lookup of who is enrolled.
    resident_id = serializers.CharField(max_length=18, write_only=True)
    resident_id_masked = serializers.CharField(source="patient.masked_id", read_only=True)

    class Meta:
        model = HospitalStay
        fields = [
            "id",
            "resident_id",
            "resident_id_masked",
            "admitted_on",
            "discharged_on",
            "source",
        ]
        read_only_fields = ["id", "resident_id_masked", "source"]


class DischargeSerializer(serializers.Serializer):
    discharged_on = serializers.DateField()


class HospitalStayViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """住院记录 (HY-G08): admissions and discharges recorded by the hospital's system."""

    queryset = HospitalStay.objects.none()
    serializer_class = HospitalStaySerializer
    api_key_scope = ApiKeyScope.HIS  # a POS key gets 403 (accounts.api_auth)

    def scope_queryset(self, principal: Principal) -> QuerySet[HospitalStay]:
        hospitals = organisations_visible_to(principal).filter(kind=OrganisationKind.HOSPITAL)
        return HospitalStay.objects.filter(hospital__in=hospitals).select_related("patient")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        principal = self.principal
        assert_may_record_stays(principal)
        data = HospitalStaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stay = services.stay_record_by_resident_id(
            resident_id=data.validated_data["resident_id"],
            hospital=principal.organisation,
            admitted_on=data.validated_data["admitted_on"],
            discharged_on=data.validated_data.get("discharged_on"),
            source="api",
            actor=_actor(principal),
        )
        return Response(HospitalStaySerializer(stay).data, status=201)

    @extend_schema(request=DischargeSerializer, responses=HospitalStaySerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Only the recording hospital discharges: bureau staff, bureau keys and other
        # hospitals get 404 even for a stay they may read.
        stay = access_stay_for_principal(self.principal, int(kwargs["pk"]), write=True)
        data = DischargeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stay = services.stay_discharge(
            stay=stay,
            hospital=self.principal.organisation,
            discharged_on=data.validated_data["discharged_on"],
            actor=_actor(self.principal),
        )
        return Response(HospitalStaySerializer(stay).data)
