"""Applications over the API: the pharmacy creates, uploads, submits and reads the status;
the agreement section performs the review actions. One service per action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import (
    ScopedSlugRelatedField,
    ScopedViewSetMixin,
    acting_user,
    principal_for_request,
)
from accounts.models import Role
from accounts.principal import Principal
from accreditation import services
from accreditation.models import (
    Application,
    ApplicationEvent,
    AssessmentResult,
    Designation,
    ViolationDecision,
)
from accreditation.selectors import applications_for_principal, designations_for_principal
from pharmacies.selectors import pharmacies_for_principal
from programmes.models import Programme
from programmes.selectors import programmes_for_principal


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default="")

    class Meta:
        model = ApplicationEvent
        fields = ["old_status", "new_status", "actor", "reason", "rule_id", "acknowledged", "at"]


class ApplicationSerializer(serializers.ModelSerializer):
    pharmacy_name = serializers.CharField(source="pharmacy.name", read_only=True)
    # A programme of another region and an unknown code get the same 400 (issue 12.5).
    programme = ScopedSlugRelatedField(
        slug_field="code", queryset=Programme.objects.none(), scope=programmes_for_principal
    )
    # Plain strings: two "status" enums would collide in the OpenAPI component names.
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "pharmacy",
            "pharmacy_name",
            "programme",
            "status",
            "status_display",
            "submitted_at",
            "accepted_on",
            "paused_days",
            "evaluation_due_on",
            "supplement_note",
            "decision_reason",
            "notice_starts_on",
            "notice_ends_on",
            "feedback_due_on",
            "feedback_sent_on",
            "signed_on",
        ]
        read_only_fields = [f for f in fields if f != "programme"]


class ApplicationDetailSerializer(ApplicationSerializer):
    events = EventSerializer(many=True, read_only=True)

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "events"]


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PassSerializer(NoteSerializer):
    # One rule ID per failing soft condition the reviewer acknowledges (accreditation.passing).
    acknowledged = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, default=list
    )


class InspectionSerializer(serializers.Serializer):
    items = serializers.DictField(child=serializers.BooleanField())
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class PledgeSerializer(serializers.Serializer):
    truthful = serializers.BooleanField()
    security = serializers.BooleanField()


class DocumentSerializer(serializers.Serializer):
    kind = serializers.CharField()
    file = serializers.FileField()


def _pharmacy_side(principal: Principal) -> bool:
    return not principal.is_bureau and (
        principal.api_key is not None or principal.has_role(Role.PHARMACY_MANAGER)
    )


class ApplicationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Designation applications: pharmacies see their own, the bureau its region's."""

    queryset = Application.objects.none()
    serializer_class = ApplicationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def scope_queryset(self, principal: Principal) -> QuerySet[Application]:
        qs = applications_for_principal(principal)
        if self.action == "retrieve":
            qs = qs.prefetch_related("events__actor")
        return qs

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "retrieve":
            return ApplicationDetailSerializer
        return ApplicationSerializer

    def _require(self, pharmacy_side: bool) -> Principal:
        principal = principal_for_request(self.request)
        allowed = (
            _pharmacy_side(principal) if pharmacy_side else principal.has_role(Role.BUREAU_REVIEWER)
        )
        if not allowed:
            raise NotFound
        return principal

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        principal = self._require(pharmacy_side=True)
        serializer = ApplicationSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        programme = serializer.validated_data["programme"]
        pharmacy = pharmacies_for_principal(principal).first()
        if pharmacy is None:
            raise NotFound
        application = services.application_create(
            pharmacy=pharmacy, programme=programme, actor=acting_user(request)
        )
        return Response(ApplicationSerializer(application).data, status=201)

    def _run(self, pharmacy_side: bool, call: Callable[[Application], Any]) -> Response:
        self._require(pharmacy_side)
        application = self.get_object()
        call(application)
        application.refresh_from_db()
        return Response(ApplicationSerializer(application).data)

    @extend_schema(request=DocumentSerializer, responses=ApplicationSerializer)
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[parsers.MultiPartParser, parsers.FormParser],
    )
    def documents(self, request: Request, pk: str | None = None) -> Response:
        data = DocumentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            True,
            lambda a: services.application_document_upload(
                application=a,
                kind=data.validated_data["kind"],
                upload=data.validated_data["file"],
                actor=acting_user(request),
            ),
        )

    @extend_schema(request=PledgeSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def pledges(self, request: Request, pk: str | None = None) -> Response:
        data = PledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            True,
            lambda a: services.application_set_pledges(
                application=a,
                truthful=data.validated_data["truthful"],
                security=data.validated_data["security"],
                actor=acting_user(request),
            ),
        )

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            True, lambda a: services.application_submit(application=a, actor=acting_user(request))
        )

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def supplemented(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            True,
            lambda a: services.application_supplement_done(
                application=a, actor=acting_user(request)
            ),
        )

    # --- Bureau side

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            False, lambda a: services.application_accept(application=a, actor=acting_user(request))
        )

    @extend_schema(request=NoteSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="request-supplement")
    def request_supplement(self, request: Request, pk: str | None = None) -> Response:
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        return self._run(
            False,
            lambda a: services.application_request_supplement(
                application=a, note=note.validated_data["note"], actor=acting_user(request)
            ),
        )

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="start-inspection")
    def start_inspection(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            False,
            lambda a: services.application_start_inspection(
                application=a, actor=acting_user(request)
            ),
        )

    @extend_schema(request=InspectionSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def inspection(self, request: Request, pk: str | None = None) -> Response:
        data = InspectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            False,
            lambda a: services.application_record_inspection(
                application=a,
                results=data.validated_data["items"],
                notes=data.validated_data["notes"],
                actor=acting_user(request),
            ),
        )

    @extend_schema(request=PassSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="pass")
    def pass_(self, request: Request, pk: str | None = None) -> Response:
        data = PassSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            False,
            lambda a: services.application_pass(
                application=a,
                reason=data.validated_data["note"],
                acknowledged=data.validated_data["acknowledged"],
                actor=acting_user(request),
            ),
        )

    @extend_schema(request=NoteSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def fail(self, request: Request, pk: str | None = None) -> Response:
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        return self._run(
            False,
            lambda a: services.application_fail(
                application=a, reason=note.validated_data["note"], actor=acting_user(request)
            ),
        )

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            False,
            lambda a: services.application_send_feedback(application=a, actor=acting_user(request)),
        )

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            False,
            lambda a: services.application_sign_agreement(
                application=a, actor=acting_user(request)
            ),
        )


class DesignationSerializer(serializers.ModelSerializer):
    pharmacy_name = serializers.CharField(source="pharmacy.name", read_only=True)
    programme = serializers.CharField(source="programme.code", read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Designation
        fields = [
            "id",
            "pharmacy",
            "pharmacy_name",
            "programme",
            "status",
            "status_display",
            "starts_on",
            "ends_on",
            "rectification_until",
            "suspended_until",
            "settle_until",
            "stops_on",
            "ban_until",
        ]
        read_only_fields = fields


class AssessmentSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=AssessmentResult.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    rectification_until = serializers.DateField(required=False, allow_null=True, default=None)


class ViolationSerializer(serializers.Serializer):
    found_on = serializers.DateField()
    finding = serializers.CharField()
    rule_id = serializers.ChoiceField(choices=["HY-E10", "GY-E04", "GY-B02"])
    major = serializers.BooleanField(default=False)
    decision = serializers.ChoiceField(choices=ViolationDecision.choices)
    refused_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    suspended_until = serializers.DateField(required=False, allow_null=True, default=None)


class DesignationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Designations: read by the pharmacy and the bureau; assessed and sanctioned by the
    agreement section (HY-E09, HY-C05, HY-C06, HY-E10, GY-E04, GY-B02)."""

    queryset = Designation.objects.none()
    serializer_class = DesignationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def scope_queryset(self, principal: Principal) -> QuerySet[Designation]:
        return designations_for_principal(principal)

    def _reviewer(self) -> None:
        if not principal_for_request(self.request).has_role(Role.BUREAU_REVIEWER):
            raise NotFound

    @extend_schema(request=AssessmentSerializer, responses=DesignationSerializer)
    @action(detail=True, methods=["post"])
    def assess(self, request: Request, pk: str | None = None) -> Response:
        self._reviewer()
        designation = self.get_object()
        data = AssessmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.designation_assess(
            designation=designation, actor=acting_user(request), **data.validated_data
        )
        return Response(DesignationSerializer(updated).data)

    @extend_schema(request=ViolationSerializer, responses=DesignationSerializer)
    @action(detail=True, methods=["post"])
    def violations(self, request: Request, pk: str | None = None) -> Response:
        self._reviewer()
        designation = self.get_object()
        data = ViolationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.violation_record(
            pharmacy=designation.pharmacy,
            programme=designation.programme,
            actor=acting_user(request),
            **data.validated_data,
        )
        designation.refresh_from_db()
        return Response(DesignationSerializer(designation).data)
