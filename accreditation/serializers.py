"""What the API reads and returns for applications and designations: the output shapes, and
each action's input (accreditation.actions names the serializer of each action; its validated
data has the keys of the page's form for the same action)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api import ScopedSlugRelatedField
from accreditation.models import (
    VIOLATION_RULES,
    Application,
    ApplicationEvent,
    AssessmentResult,
    Designation,
    ViolationDecision,
)
from programmes.models import Programme
from programmes.selectors import programmes_for_principal


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default="")

    class Meta:
        model = ApplicationEvent
        fields = ["old_status", "new_status", "actor", "reason", "rule_id", "acknowledged", "at"]


# The fields an application and a designation both open with.
HEAD = ["id", "pharmacy", "pharmacy_name", "programme", "status", "status_display"]


class _PharmacyStatusSerializer(serializers.ModelSerializer):
    """The pharmacy's name and the status beside its label, on an application or designation."""

    pharmacy_name = serializers.CharField(source="pharmacy.name", read_only=True)
    # Plain strings: two "status" enums would collide in the OpenAPI component names.
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)


class ApplicationSerializer(_PharmacyStatusSerializer):
    # A programme of another region and an unknown code get the same 400 (issue 12.5).
    programme = ScopedSlugRelatedField(
        slug_field="code", queryset=Programme.objects.none(), scope=programmes_for_principal
    )

    class Meta:
        model = Application
        fields = [
            *HEAD,
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


class DesignationSerializer(_PharmacyStatusSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)

    class Meta:
        model = Designation
        fields = [
            *HEAD,
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
    rule_id = serializers.ChoiceField(choices=VIOLATION_RULES)
    major = serializers.BooleanField(default=False)
    decision = serializers.ChoiceField(choices=ViolationDecision.choices)
    refused_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    suspended_until = serializers.DateField(required=False, allow_null=True, default=None)
