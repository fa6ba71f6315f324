from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from accounts.api import ScopedViewSetMixin
from accounts.principal import Principal
from supervision.models import Finding
from supervision.selectors import findings_for_principal


class FindingSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    summary = serializers.CharField(source="display_summary", read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "rule_id",
            "organisation",
            "pharmacy",
            "kind",
            "priority",
            "status",
            "summary",
            "details",
            "raised_at",
        ]
        read_only_fields = fields  # output only: no writable relation


class FindingViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Findings about organisations of the bureau's region (others see none)."""

    queryset = Finding.objects.none()
    serializer_class = FindingSerializer

    def scope_queryset(self, principal: Principal) -> QuerySet[Finding]:
        return findings_for_principal(principal)
