"""REST API for POS systems: stock per batch, purchase-ledger uploads, stocktakes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedViewSetMixin
from accounts.principal import Principal
from inventory.models import PurchaseImport, StockBatch, Stocktake
from inventory.selectors import (
    imports_for_principal,
    pharmacies_for_principal,
    pharmacy_of_principal,
    stocktakes_for_principal,
)
from inventory.services import purchase_import_create


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


class StocktakeViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Quarterly stocktakes (HY-E06) of the caller's pharmacy or region."""

    queryset = Stocktake.objects.none()
    serializer_class = StocktakeSerializer

    def scope_queryset(self, principal: Principal) -> QuerySet[Stocktake]:
        return stocktakes_for_principal(principal).order_by("-period_start", "pk")
