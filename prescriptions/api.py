"""POS API: eligibility and remaining quota, submit a dispensing (idempotent), return, slip."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.fields import SkipField
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedViewSetMixin
from accounts.models import ApiKeyScope, OrganisationKind, User
from accounts.principal import Principal
from core.errors import DomainError
from core.models import AuditAction
from inventory.selectors import pharmacy_of_principal
from patients.selectors import (
    patient_hospitalised_on,
    patient_may_settle_at,
    patients_for_principal,
)
from pharmacies.models import Pharmacy
from prescriptions.documents import audit_patient_record, slip_response
from prescriptions.models import Dispensing, Prescription
from prescriptions.permissions import access_prescription_for_counter
from prescriptions.review import VideoRef
from prescriptions.selectors import (
    CounterChecks,
    CounterLookup,
    counter_lookup,
    counter_read,
    dispensings_for_principal,
    on_duty_memberships,
    open_prescriptions,
    outpatient_status,
    pharmacy_of,
    quota_status,
)
from prescriptions.services import LineInput, ProxyInput, dispensing_return, dispensing_submit

NO_PHARMACIST = "请填写本店在岗药师的账号（pharmacist）。"


def _pharmacist(principal: Principal, username: str) -> User:
    """The pharmacist on duty: the member calling, or for a POS key the named pharmacist of
    the key's pharmacy."""
    if principal.user is not None:
        return principal.user
    member = (
        on_duty_memberships(organisation=principal.organisation, username=username)
        .select_related("user")
        .first()
    )
    if member is None:
        raise DomainError(NO_PHARMACIST, field="pharmacist")
    return member.user


class LineSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text="prescription item id")
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=4)
    traceability_codes = serializers.ListField(child=serializers.CharField(max_length=40))
    drug = serializers.IntegerField(required=False, help_text="scanned drug id (swap check)")


class DispensingCreateSerializer(serializers.Serializer):
    prescription = serializers.IntegerField()
    lines = LineSerializer(many=True)
    identity_confirmed = serializers.BooleanField(help_text="ID checked, person matches")
    patient_signed = serializers.BooleanField(help_text="settlement slip signed (GY-D02)")
    pharmacist = serializers.CharField(required=False, default="", help_text="username on duty")
    personal_paid = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    idempotency_key = serializers.CharField(max_length=80, help_text="unique per POS request")
    proxy_name = serializers.CharField(required=False, default="")
    proxy_resident_id = serializers.CharField(required=False, default="")
    purchase_list_photo_base64 = serializers.CharField(required=False, default="")
    reviewing_pharmacist = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="staff id of the licensed pharmacist who reviewed the prescription (审方, "
        "HY-E01 / GY-A04); omitted: the pharmacist on duty's own staff record",
    )
    video_camera = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=60, help_text="GY-E03"
    )
    video_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    video_until = serializers.DateTimeField(required=False, allow_null=True, default=None)


# Plain (not Model) serializers for the answers: a ModelSerializer rebuilds its fields from
# the model on every instance, a measurable share of a POS call.
class DispensingLineSerializer(serializers.Serializer):
    insurance_code = serializers.CharField(source="drug.insurance_code", read_only=True)
    generic_name = serializers.CharField(source="drug.generic_name", read_only=True)
    quantity = serializers.IntegerField(read_only=True, label=_("数量"))
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, read_only=True, label=_("实际销售价（元）")
    )
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, label=_("金额（元）")
    )


class DispensingSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True, label=_("结算单号"))
    prescription = serializers.IntegerField(source="prescription_id", read_only=True)
    status = serializers.CharField(read_only=True)
    dispensed_at = serializers.DateTimeField(read_only=True, label=_("结算时间"))
    total = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, label=_("费用总额（元）")
    )
    fund_share = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, label=_("统筹基金支付（元）")
    )
    personal_share = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, label=_("个人负担（元）")
    )
    is_proxy = serializers.BooleanField(read_only=True, label=_("代购"))
    reviewing_pharmacist = serializers.IntegerField(
        source="reviewing_pharmacist_id", read_only=True, allow_null=True, label=_("审方药师")
    )
    idempotency_key = serializers.CharField(read_only=True, allow_null=True, label=_("幂等键"))
    lines = DispensingLineSerializer(many=True, read_only=True)


# The POS dispensing call is the hot path: a Serializer instance deep-copies its declared
# fields on every request. The body is validated by the same field objects (taken once from
# one instance), field by field; anything they refuse goes through the whole serializer, so
# a 400 names the fields exactly as DRF does. The answer is built with DispensingSerializer's
# own fields. Both are pinned to the serializers by tests/prescriptions/test_api.py.
_BODY_FIELDS = dict(DispensingCreateSerializer().fields)
_LINE_FIELDS = dict(LineSerializer().fields)
_ANSWER_FIELDS = dict(DispensingSerializer().fields)
_ANSWER_LINE_FIELDS = dict(DispensingLineSerializer().fields)


def _validated(fields: dict[str, serializers.Field], data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    out: dict[str, Any] = {}
    for name, field in fields.items():
        if name == "lines":
            lines = data.get("lines")
            if not isinstance(lines, list):
                return None
            parsed = [_validated(_LINE_FIELDS, line) for line in lines]
            if any(line is None for line in parsed):
                return None
            out[name] = parsed
            continue
        try:
            out[name] = field.run_validation(field.get_value(data))
        except SkipField:
            continue
        except (serializers.ValidationError, DjangoValidationError):
            return None
    return out


def dispensing_body(data: Any) -> dict[str, Any]:
    """DispensingCreateSerializer's validated data for a POS body (its 400 when refused)."""
    lean = _validated(_BODY_FIELDS, data)
    if lean is not None:
        return lean
    body = DispensingCreateSerializer(data=data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


def _represent(fields: dict[str, serializers.Field], obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in fields.items():
        if name == "lines":
            out[name] = [_represent(_ANSWER_LINE_FIELDS, line) for line in obj.lines.all()]
            continue
        value = field.get_attribute(obj)
        out[name] = None if value is None else field.to_representation(value)
    return out


def dispensing_answer(dispensing: Dispensing) -> dict[str, Any]:
    """DispensingSerializer(dispensing).data, without building a serializer per call."""
    return _represent(_ANSWER_FIELDS, dispensing)


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField()


def _counter_sale(
    principal: Principal, pharmacy: Pharmacy, data: dict[str, Any], now: datetime
) -> tuple[Prescription, CounterChecks | None, User]:
    """The prescription (404 when the counter may not open it), the counter checks and the
    pharmacist on duty. A pharmacy's call reads them in one statement (`counter_read`)."""
    if principal.organisation.kind != OrganisationKind.PHARMACY:
        prescription = access_prescription_for_counter(principal, data["prescription"])
        return prescription, None, _pharmacist(principal, data["pharmacist"])
    # One statement: the prescription, the counter's access to it (else 404, as
    # access_prescription_for_counter), the on-duty pharmacist and every check.
    read = counter_read(
        pharmacy=pharmacy,
        prescription_id=data["prescription"],
        on=timezone.localdate(now),
        idempotency_key=data["idempotency_key"],
        pharmacist=data["pharmacist"] if principal.user is None else None,
    )
    if read is None or not read.accessible:
        raise NotFound
    if principal.user is not None:
        return read.prescription, read.checks, principal.user
    if read.pharmacist is None:
        raise DomainError(NO_PHARMACIST, field="pharmacist")
    return read.prescription, read.checks, read.pharmacist


def _proxy(data: dict[str, Any]) -> ProxyInput | None:
    """The proxy buying for the patient (HY-E07), with the signed list's photo in base64."""
    if not (data["proxy_name"] or data["proxy_resident_id"]):
        return None
    photo = None
    if data["purchase_list_photo_base64"]:
        try:
            raw = base64.b64decode(data["purchase_list_photo_base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError(
                _("购药清单照片不是有效的 base64，请重新编码后提交。"),
                field="purchase_list_photo_base64",
            ) from exc
        photo = SimpleUploadedFile("list", raw)
    return ProxyInput(data["proxy_name"], data["proxy_resident_id"], photo)


class DispensingViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Dispensings of the calling pharmacy (bureau staff: their region's)."""

    queryset = Dispensing.objects.none()
    serializer_class = DispensingSerializer
    api_key_scope = ApiKeyScope.POS  # an HIS key cannot dispense (accounts.api_auth)

    def scope_queryset(self, principal: Principal) -> QuerySet[Dispensing]:
        return (
            dispensings_for_principal(principal)
            .prefetch_related("lines__drug")
            .order_by("-dispensed_at", "-id")
        )

    @extend_schema(request=DispensingCreateSerializer, responses=DispensingSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Submit a dispensing; a retry with the same idempotency_key returns the first one."""
        principal = self.principal
        pharmacy = pharmacy_of(principal)
        if pharmacy is None:
            raise NotFound
        data = dispensing_body(request.data)
        now = timezone.now()
        prescription, checks, actor = _counter_sale(principal, pharmacy, data, now)
        dispensing = dispensing_submit(
            pharmacy=pharmacy,
            prescription=prescription,
            lines=[
                LineInput(
                    item_id=line["item"],
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                    traceability_codes=list(line["traceability_codes"]),
                    drug_id=line.get("drug"),
                )
                for line in data["lines"]
            ],
            actor=actor,
            identity_confirmed=data["identity_confirmed"],
            patient_signed=data["patient_signed"],
            proxy=_proxy(data),
            personal_paid=data.get("personal_paid"),
            idempotency_key=data["idempotency_key"],
            checks=checks,
            now=now,
            reviewer_id=data["reviewing_pharmacist"],
            video=VideoRef(data["video_camera"], data["video_from"], data["video_until"]),
        )
        return Response(dispensing_answer(dispensing), status=201)

    @extend_schema(request=ReturnSerializer, responses=DispensingSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """Return the whole dispensing: quota, stock and settlement reversed."""
        dispensing = self.get_object()
        if dispensing.pharmacy.organisation_id != self.principal.organisation.pk:
            raise NotFound
        body = ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = dispensing_return(
            dispensing=dispensing,
            actor=_pharmacist(self.principal, request.data.get("pharmacist", "")),
            reason=body.validated_data["reason"],
        )
        return Response(DispensingSerializer(done).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def slip(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The settlement slip PDF the patient signs (GY-D02)."""
        return slip_response(request, self.get_object(), via="api")


class QuotaSerializer(serializers.Serializer):
    disease_code = serializers.CharField()
    disease_name = serializers.CharField()
    benefit_starts_on = serializers.DateField()
    may_settle_here = serializers.BooleanField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    quota = serializers.DecimalField(max_digits=12, decimal_places=2)
    used = serializers.DecimalField(max_digits=12, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=12, decimal_places=2)


class OpenItemSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    drug = serializers.IntegerField()
    insurance_code = serializers.CharField()
    generic_name = serializers.CharField()
    remaining = serializers.IntegerField()


class OpenPrescriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    issued_on = serializers.DateField()
    valid_days = serializers.IntegerField()
    items = OpenItemSerializer(many=True)


class OutpatientSerializer(serializers.Serializer):
    """GY-PT general outpatient: this calendar year's use against the programme's parameters."""

    programme = serializers.CharField()
    insured_type = serializers.CharField()
    year = serializers.IntegerField()
    spent = serializers.DecimalField(max_digits=12, decimal_places=2)
    deductible = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    deductible_used = serializers.DecimalField(max_digits=12, decimal_places=2)
    fund_share_pct = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    fund_paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    annual_cap = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    cap_left = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    amounts_are_demo = serializers.BooleanField()


class EligibilitySerializer(serializers.Serializer):
    name = serializers.CharField()
    hospitalised = serializers.BooleanField(help_text="HY-G08: no purchase today")
    quotas = QuotaSerializer(many=True)
    outpatient = OutpatientSerializer(
        allow_null=True, help_text="GY-PT general outpatient (no enrolment); null for 特门"
    )
    prescriptions = OpenPrescriptionSerializer(many=True)


class EligibilityQuerySerializer(serializers.Serializer):
    resident_id = serializers.CharField(max_length=18)


class EligibilityViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Patient eligibility and remaining quota at the calling pharmacy. The resident ID goes
    in the POST body: never in a URL, where proxies, logs and histories would keep it
    (issue 12.4); a GET answers 405."""

    queryset = Dispensing.objects.none()
    serializer_class = EligibilitySerializer
    api_key_scope = ApiKeyScope.POS

    def scope_queryset(self, principal: Principal) -> QuerySet[Any]:
        return patients_for_principal(principal)

    @extend_schema(request=EligibilityQuerySerializer, responses=EligibilitySerializer)
    def create(self, request: Request) -> Response:
        principal = self.principal
        pharmacy = pharmacy_of_principal(principal)
        query = EligibilityQuerySerializer(data=request.data)
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        lookup = counter_lookup(
            principal=principal,
            resident_id=query.validated_data["resident_id"],
            on=today,
            pharmacy=pharmacy,
        )
        patient = lookup.patient
        if patient is None:
            # GY-PT: an insured person of the programme's regions whose insured type the
            # programme does not cover is refused with GY-D01; anyone else is not found.
            if lookup.refusal is not None and not lookup.elsewhere:
                raise lookup.refusal
            raise NotFound
        audit_patient_record(
            request,
            patient,
            patient=patient,
            action=AuditAction.RECORD_READ,
            detail="pos eligibility",
        )
        data = {
            "name": patient.name,
            "hospitalised": patient_hospitalised_on(patient=patient, on=today),
            "quotas": _quotas(lookup, pharmacy, today),
            "outpatient": _outpatient(lookup, today),
            "prescriptions": [
                {
                    "id": p.pk,
                    "number": p.number,
                    "issued_on": p.issued_on,
                    "valid_days": p.valid_days,
                    "items": [
                        {
                            "item": i.pk,
                            "drug": i.drug_id,
                            "insurance_code": i.drug.insurance_code,
                            "generic_name": i.drug.generic_name,
                            "remaining": i.remaining,
                        }
                        for i in p.items.all()
                        if i.remaining
                    ],
                }
                for p in open_prescriptions(
                    patient=patient, on=today, pharmacy=pharmacy, outpatient=lookup.outpatient
                )
            ],
        }
        return Response(EligibilitySerializer(data).data)


def _quotas(lookup: CounterLookup, pharmacy: Pharmacy, on: date) -> list[dict[str, Any]]:
    """特门: each active enrolment's quota this period and whether it may settle here."""
    assert lookup.patient is not None
    quotas = []
    for e in lookup.enrolments:
        q = quota_status(enrolment=e, on=on)
        quotas.append(
            {
                "disease_code": e.disease.code,
                "disease_name": e.disease.name,
                "benefit_starts_on": e.starts_on,
                "may_settle_here": patient_may_settle_at(
                    patient=lookup.patient,
                    disease=e.disease,
                    organisation=pharmacy.organisation,
                    on=on,
                ),
                "period_start": q.period_start,
                "period_end": q.period_end,
                "quota": q.quota,
                "used": q.used,
                "remaining": q.remaining,
            }
        )
    return quotas


def _outpatient(lookup: CounterLookup, on: date) -> dict[str, Any] | None:
    """GY-PT: this calendar year's use against the programme's parameters; None for 特门."""
    programme, patient = lookup.outpatient, lookup.patient
    if programme is None or patient is None:
        return None
    st = outpatient_status(patient=patient, programme=programme, on=on)
    return {
        "programme": programme.code,
        "insured_type": patient.insured_type,
        "year": st.year,
        "spent": st.spent,
        "deductible": st.deductible,
        "deductible_used": st.deductible_used,
        "fund_share_pct": st.fund_share_pct,
        "fund_paid": st.fund_paid,
        "annual_cap": st.annual_cap,
        "cap_left": st.cap_left,
        "amounts_are_demo": st.amounts_are_demo,
    }
