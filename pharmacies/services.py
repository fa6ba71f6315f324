"""Writes of the pharmacy profile, staff and staff evidence."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from core.errors import DomainError, full_clean_or_refuse
from core.uploads import sniff_upload
from pharmacies.models import EvidenceKind, Pharmacy, StaffEvidence, StaffMember

PROFILE_FIELDS = [
    "address",
    "opened_on",
    "business_licence_no",
    "business_licence_expires_on",
    "drug_licence_no",
    "drug_licence_expires_on",
    "administrative_penalty",
    "quality_system",
    "management_rules",
    "premises_independent",
    "area_billing",
    "area_rest",
    "area_cashier",
    "area_storeroom",
    "insurance_drug_area",
    "premises_tenure",
    "lease_ends_on",
    "network_link",
    "realtime_upload",
    "e_voucher",
    "e_prescription",
    "video_24h",
    "face_recognition",
    "video_retention_days",
    "video_realtime_upload",
]


def pharmacy_update_profile(*, pharmacy: Pharmacy, data: dict[str, Any], actor: User) -> Pharmacy:
    """Record the declared profile (HY-A02–A08, GY-A01–A03 evidence for the eligibility check)."""
    with transaction.atomic():
        locked = Pharmacy.objects.select_for_update().get(pk=pharmacy.pk)
        changed = [f for f in PROFILE_FIELDS if f in data]
        for name in changed:
            setattr(locked, name, data[name])
        full_clean_or_refuse(locked)
        locked._change_reason = f"profile by {actor.username}"  # type: ignore[attr-defined]
        locked.save(update_fields=changed)
    return locked


STAFF_FIELDS = [
    "name",
    "post",
    "resident_id",
    "licensed_pharmacist",
    "certificate_no",
    "registered_here",
    "hired_on",
    "left_on",
    "user",
    "duty_weekdays",
]
# `filed_on` and `filing_status` are the centre's: set by pharmacies.filing only (HY-E01).


def staff_member_save(
    *,
    pharmacy: Pharmacy,
    data: dict[str, Any],
    actor: User,
    staff: StaffMember | None = None,
) -> StaffMember:
    """Add or update a person (HY-A04, HY-A05, GY-A04; resident ID checked per GB 11643)."""
    with transaction.atomic():
        if staff is None:
            staff = StaffMember(pharmacy=pharmacy)
        else:
            staff = StaffMember.objects.select_for_update().get(pk=staff.pk, pharmacy=pharmacy)
        for name in STAFF_FIELDS:
            if name in data:
                setattr(staff, name, data[name])
        staff.resident_id = staff.resident_id.strip().upper()
        if (
            staff.user_id is not None
            and not Membership.objects.filter(
                user_id=staff.user_id, organisation_id=pharmacy.organisation_id, is_active=True
            ).exists()
        ):
            raise DomainError(_("平台账号须是本店在职的账号。"), field="user")
        full_clean_or_refuse(staff)
        staff.save()
    return staff


def staff_evidence_upload(
    *,
    staff: StaffMember,
    kind: str,
    month: date | None,
    upload: UploadedFile,
    actor: User,
) -> StaffEvidence:
    """Store a labour contract, payroll sheet or bank statement (HY-D05, HY-E01)."""
    content_type = sniff_upload(upload)
    if kind not in EvidenceKind.values:
        raise DomainError(_("未知的材料类型。"), field="kind")
    with transaction.atomic():
        return StaffEvidence.objects.create(
            staff=staff,
            kind=kind,
            month=month.replace(day=1) if month else None,
            file=upload,
            original_name=(upload.name or "file")[:200],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=actor,
        )
