from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from accounts.api import ScopedViewSetMixin
from accounts.principal import Principal
from programmes.models import Programme
from programmes.parameters import EDITABLE_FIELDS
from programmes.selectors import programmes_for_principal


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = ["code", "name", "short_name", "validity_rule_id", *EDITABLE_FIELDS]


class ProgrammeViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Programmes in force in the caller's region, with their parameters."""

    queryset = Programme.objects.none()
    serializer_class = ProgrammeSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9_-]+"

    def scope_queryset(self, principal: Principal) -> QuerySet[Programme]:
        return programmes_for_principal(principal)
