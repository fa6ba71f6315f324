"""Staff (GB 11643 IDs, shown masked), evidence uploads, HY-E01 payroll months."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from core.errors import DomainError
from pharmacies import services
from pharmacies.models import EvidenceKind, Pharmacy, StaffMember
from pharmacies.selectors import licences_expiring, missing_payroll_months
from tests.factories import accreditation as h

pytestmark = pytest.mark.django_db


def test_credit_code_is_checked_against_gb_32100() -> None:
    pharmacy = h.pharmacy()
    pharmacy.credit_code = pharmacy.credit_code[:-1] + (
        "0" if pharmacy.credit_code[-1] != "0" else "1"
    )
    with pytest.raises(ValidationError):
        pharmacy.full_clean()


def test_staff_resident_id_is_checked_and_shown_masked() -> None:
    pharmacy = h.pharmacy(pharmacists=0)
    manager = h.manager_of(pharmacy)
    data = {
        "name": "李药师",
        "post": "pharmacist",
        "resident_id": "430421198501011230",
        "hired_on": date(2026, 1, 5),
        "licensed_pharmacist": True,
    }
    with pytest.raises(DomainError) as refused:
        services.staff_member_save(pharmacy=pharmacy, data=data, actor=manager)
    assert refused.value.field == "resident_id" and "居民身份证号" in str(refused.value)
    data["resident_id"] = h.resident_id(123).lower()
    staff = services.staff_member_save(pharmacy=pharmacy, data=data, actor=manager)
    assert staff.masked_resident_id == staff.resident_id[:6] + "********" + staff.resident_id[-4:]


def test_hy_e01_first_three_payroll_months_of_a_new_pharmacist_are_flagged_until_uploaded() -> None:
    pharmacy = h.pharmacy(pharmacists=0)
    manager = h.manager_of(pharmacy)
    staff = StaffMember.objects.create(
        pharmacy=pharmacy,
        name="新药师",
        post="pharmacist",
        resident_id=h.resident_id(77),
        licensed_pharmacist=True,
        hired_on=date(2026, 1, 10),
    )
    missing = missing_payroll_months(months=3, on=date(2026, 3, 1), pharmacy=pharmacy)
    assert [m.month for m in missing if m.staff == staff] == [
        date(2026, 1, 1)
    ]  # January was due end of February
    missing = missing_payroll_months(months=3, on=date(2026, 6, 1), pharmacy=pharmacy)
    assert [m.month for m in missing if m.staff == staff] == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    services.staff_evidence_upload(
        staff=staff,
        kind=EvidenceKind.BANK_STATEMENT,
        month=date(2026, 2, 14),
        upload=h.pdf("feb.pdf"),
        actor=manager,
    )
    missing = missing_payroll_months(months=3, on=date(2026, 6, 1), pharmacy=pharmacy)
    assert [m.month for m in missing if m.staff == staff] == [date(2026, 1, 1), date(2026, 3, 1)]


def test_hy_e01_payroll_months_cover_every_new_hire_not_only_pharmacists() -> None:
    """HY 五(一): "以药店为单位…提供职工入职后近3个月的工资发放银行流水" — all staff (职工)."""
    pharmacy = h.pharmacy(pharmacists=0)
    biller = StaffMember.objects.create(
        pharmacy=pharmacy,
        name="新开票员",
        post="biller",
        resident_id=h.resident_id(78),
        licensed_pharmacist=False,
        hired_on=date(2026, 1, 10),
    )
    missing = missing_payroll_months(months=3, on=date(2026, 3, 1), pharmacy=pharmacy)
    assert [m.month for m in missing if m.staff == biller] == [date(2026, 1, 1)]
    services.staff_evidence_upload(
        staff=biller,
        kind=EvidenceKind.BANK_STATEMENT,
        month=date(2026, 1, 20),
        upload=h.pdf("jan.pdf"),
        actor=h.manager_of(pharmacy),
    )
    missing = missing_payroll_months(months=3, on=date(2026, 3, 1), pharmacy=pharmacy)
    assert [m for m in missing if m.staff == biller] == []


def test_evidence_upload_refuses_other_file_types() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    pharmacy = h.pharmacy()
    staff = pharmacy.staff.first()
    assert staff is not None
    with pytest.raises(DomainError):
        services.staff_evidence_upload(
            staff=staff,
            kind=EvidenceKind.LABOUR_CONTRACT,
            month=None,
            upload=SimpleUploadedFile("c.pdf", b"PK\x03\x04zip"),
            actor=h.manager_of(pharmacy),
        )


def test_licences_expiring_within_the_window() -> None:
    pharmacy = h.pharmacy(drug_licence_expires_on=date(2026, 4, 1))
    found = licences_expiring(on=date(2026, 3, 2), within_days=60)
    assert (pharmacy, "drug", date(2026, 4, 1)) in found
    assert all(p != pharmacy or kind != "business" for p, kind, _d in found)
    assert isinstance(pharmacy, Pharmacy)
