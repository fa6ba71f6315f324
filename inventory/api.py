"""REST API for POS systems: stock per batch, movements recorded by hand, purchase-ledger
uploads, stocktakes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedViewSetMixin, acting_user
from accounts.principal import Principal
from core.errors import DomainError
from inventory.models import (
    MANUAL_KINDS,
    PLATFORM_INTERFACE,
    CounterpartyKind,
    Drug,
    Movement,
    MovementKind,
    PurchaseImport,
    StockBatch,
    Stocktake,
)
from inventory.selectors import (
    drug_for_code,
    imports_for_principal,
    movements_filter,
    movements_for_principal,
    pharmacies_for_principal,
    pharmacy_of_principal,
    stocktakes_for_principal,
)
from inventory.services import NewBatch, purchase_import_create, stock_movement_enter


class StockBatchSerializer(serializers.ModelSerializer):
    insurance_code = serializers.CharField(source="drug.insurance_code")
    generic_name = serializers.CharField(source="drug.generic_name")

    class Meta:
        model = StockBatch
        fields = [
            "id",
            "pharmacy",
            "insurance_code",
            "generic_name",
            "batch_no",
            "production_date",
            "expiry_date",
            "quantity",
        ]
        read_only_fields = fields  # output only: no writable relation


class StockBatchViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Stock on hand per batch: a pharmacy its own, bureau staff their region's."""

    queryset = StockBatch.objects.none()
    serializer_class = StockBatchSerializer

    def scope_queryset(self, principal: Principal) -> QuerySet[StockBatch]:
        return (
            StockBatch.objects.filter(pharmacy__in=pharmacies_for_principal(principal))
            .select_related("drug")
            .order_by("pk")
        )


class PurchaseImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchaseImport
        fields = [
            "id",
            "original_name",
            "file_format",
            "status",
            "progress",
            "row_count",
            "errors",
            "created_at",
            "finished_at",
        ]


class PurchaseImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="purchase ledger, .xlsx or .csv, import columns")


class PurchaseImportViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Upload a purchase ledger (validated whole, imported in the background); poll its
    status and progress."""

    queryset = PurchaseImport.objects.none()
    serializer_class = PurchaseImportSerializer
    parser_classes = [MultiPartParser]

    def scope_queryset(self, principal: Principal) -> QuerySet[PurchaseImport]:
        return imports_for_principal(principal)

    @extend_schema(request=PurchaseImportUploadSerializer, responses=PurchaseImportSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = PurchaseImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        user = request.user if getattr(request.user, "pk", None) else None
        record = purchase_import_create(
            pharmacy=pharmacy_of_principal(self.principal),
            name=file.name,
            data=file.read(),
            actor=user,  # type: ignore[arg-type]
        )
        return Response(PurchaseImportSerializer(record).data, status=201)


class StocktakeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stocktake
        fields = [
            "id",
            "pharmacy",
            "period_start",
            "period_end",
            "due_on",
            "status",
            "counted_at",
            "is_imbalanced",
            "submitted_at",
            "reviewed_at",
        ]
        read_only_fields = fields  # output only: no writable relation


class StocktakeViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Quarterly stocktakes (HY-E06) of the caller's pharmacy or region."""

    queryset = Stocktake.objects.none()
    serializer_class = StocktakeSerializer

    def scope_queryset(self, principal: Principal) -> QuerySet[Stocktake]:
        return stocktakes_for_principal(principal).order_by("-period_start", "pk")


class MovementSerializer(serializers.ModelSerializer):
    insurance_code = serializers.CharField(source="drug.insurance_code")
    generic_name = serializers.CharField(source="drug.generic_name")
    batch_no = serializers.CharField(source="batch.batch_no")
    platform_interface = serializers.SerializerMethodField(
        help_text="national platform inventory interface (3501–3506)"
    )

    class Meta:
        model = Movement
        fields = [
            "id",
            "pharmacy",
            "kind",
            "platform_interface",
            "insurance_code",
            "generic_name",
            "batch",
            "batch_no",
            "quantity",
            "unit_price",
            "occurred_at",
            "supplier",
            "invoice_no",
            "delivery_note_no",
            "reference",
            "counterparty_kind",
            "counterparty",
            "reason",
            "returns_of",
            "traceability_codes",
            "entered_by_hand",
            "created_at",
        ]
        read_only_fields = fields  # output only: no writable relation

    def get_platform_interface(self, obj: Movement) -> str:
        return PLATFORM_INTERFACE[obj.kind]


class MovementCreateSerializer(serializers.Serializer):
    """A movement recorded by hand; which fields a kind needs is checked by the service and
    reported by field name."""

    kind = serializers.ChoiceField(
        choices=[(k, MovementKind(k).label) for k in MANUAL_KINDS],
        help_text="purchase_return, sale (cash, no insurance), sale_return, transfer_in, "
        "transfer_out, loss, destruction",
    )
    batch = serializers.PrimaryKeyRelatedField(
        queryset=StockBatch.objects.none(),
        required=False,
        allow_null=True,
        help_text="a batch of this pharmacy (outgoing kinds, or transfer_in to a known batch)",
    )
    sale = serializers.PrimaryKeyRelatedField(
        queryset=Movement.objects.none(),
        required=False,
        allow_null=True,
        help_text="sale_return: the cash sale returned",
    )
    insurance_code = serializers.CharField(
        required=False, allow_blank=True, help_text="transfer_in of a new batch: the drug"
    )
    batch_no = serializers.CharField(required=False, allow_blank=True, max_length=40)
    production_date = serializers.DateField(required=False, allow_null=True)
    expiry_date = serializers.DateField(required=False, allow_null=True)
    quantity = serializers.IntegerField(min_value=1)
    occurred_at = serializers.DateTimeField(required=False, help_text="default: now")
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, min_value=0, required=False, allow_null=True
    )
    supplier = serializers.CharField(required=False, allow_blank=True, max_length=100)
    counterparty_kind = serializers.ChoiceField(
        choices=CounterpartyKind.choices, required=False, allow_blank=True
    )
    counterparty = serializers.CharField(required=False, allow_blank=True, max_length=100)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=60)
    traceability_codes = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False
    )

    def __init__(self, *args: Any, pharmacy: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if pharmacy is not None:
            fields: Any = self.fields
            fields["batch"].queryset = StockBatch.objects.filter(pharmacy=pharmacy)
            fields["sale"].queryset = Movement.objects.filter(
                pharmacy=pharmacy, kind=MovementKind.SALE
            )

    def validate_insurance_code(self, value: str) -> Drug | None:
        try:
            return drug_for_code(value)
        except DomainError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class MovementFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MovementKind.choices, required=False)
    drug = serializers.CharField(required=False, allow_blank=True)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class MovementViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The stock ledger (a pharmacy its own, bureau staff their region's), filtered by kind,
    drug and dates; a pharmacy records purchase returns, cash sales and their returns,
    transfers, losses and destruction (HY-E06, HY-B01, HY-B03)."""

    queryset = Movement.objects.none()
    serializer_class = MovementSerializer

    def scope_queryset(self, principal: Principal) -> QuerySet[Movement]:
        movements = movements_for_principal(principal).order_by("-occurred_at", "-id")
        if self.action == "list":
            params = MovementFilterSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            movements = movements_filter(movements, **params.validated_data)
        return movements

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=MovementKind.values),
            OpenApiParameter("drug", str, description="insurance code or part of the name"),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=MovementCreateSerializer, responses={201: MovementSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pharmacy = pharmacy_of_principal(self.principal)
        data = MovementCreateSerializer(data=request.data, pharmacy=pharmacy)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        drug = values.pop("insurance_code", None)
        batch_no = values.pop("batch_no", "")
        production_date = values.pop("production_date", None)
        expiry_date = values.pop("expiry_date", None)
        if drug is not None and values.get("batch") is None:
            values["new_batch"] = NewBatch(
                drug=drug,
                batch_no=batch_no,
                production_date=production_date,
                expiry_date=expiry_date,
            )
        values.setdefault("occurred_at", timezone.now())
        movement = stock_movement_enter(pharmacy=pharmacy, actor=acting_user(request), **values)
        movement = movements_for_principal(self.principal).get(pk=movement.pk)
        return Response(MovementSerializer(movement).data, status=201)
