"""Reads of pharmacy data: staff in post, payroll evidence due, licences expiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from core.calendar import add_months
from pharmacies.models import EvidenceKind, FilingStatus, Pharmacy, StaffEvidence, StaffMember


def pharmacies_for_principal(principal: Principal) -> QuerySet[Pharmacy]:
    """Bureau staff: the pharmacies of their region; a pharmacy: itself."""
    qs = Pharmacy.objects.select_related("organisation", "organisation__region")
    if principal.is_bureau:
        return qs.filter(organisation__region_id__in=region_ids_for_principal(principal))
    return qs.filter(organisation=principal.organisation)


def staff_for_pharmacy(pharmacy: Pharmacy) -> QuerySet[StaffMember]:
    return pharmacy.staff.all().prefetch_related("evidence")


def staff_in_post(pharmacy: Pharmacy, on: date) -> QuerySet[StaffMember]:
    return pharmacy.staff.filter(hired_on__lte=on).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=on)
    )


@dataclass(frozen=True)
class MissingPayroll:
    staff: StaffMember
    month: date
    due_on: date


def missing_payroll_months(
    *,
    months: int,
    on: date,
    pharmacy: Pharmacy | None = None,
    hired_from: dict[int, date] | None = None,
) -> list[MissingPayroll]:
    """HY-E01: the first `months` months after each new hire's start — every staff member
    (职工: "以药店为单位…提供职工入职后近3个月的工资发放银行流水"), not only pharmacists — need
    a bank payroll statement; a month falls due at the end of the following month.
    `hired_from` limits the scan to new hires: {pharmacy id: first day of designation}."""
    qs = StaffMember.objects.select_related("pharmacy", "pharmacy__organisation")
    if pharmacy is not None:
        qs = qs.filter(pharmacy=pharmacy)
    if hired_from is not None:
        qs = qs.filter(pharmacy_id__in=list(hired_from))
    staff_list = [
        s
        for s in qs.prefetch_related("evidence")
        if hired_from is None or s.hired_on >= hired_from[s.pharmacy_id]
    ]
    missing: list[MissingPayroll] = []
    for staff in staff_list:
        have = {
            e.month
            for e in staff.evidence.all()
            if e.kind == EvidenceKind.BANK_STATEMENT and e.month
        }
        first = staff.hired_on.replace(day=1)
        for i in range(months):
            month = add_months(first, i)
            due = add_months(month, 2) - timedelta(days=1)
            if staff.left_on and staff.left_on < month:
                break
            if month not in have and due < on:
                missing.append(MissingPayroll(staff, month, due))
    return missing


def evidence_for_principal(principal: Principal) -> QuerySet[StaffEvidence]:
    return StaffEvidence.objects.filter(
        staff__pharmacy__in=pharmacies_for_principal(principal)
    ).select_related("staff", "staff__pharmacy")


def licences_expiring(*, on: date, within_days: int) -> list[tuple[Pharmacy, str, date]]:
    """Business and drug-trade licences that expire within `within_days` (or have expired)."""
    limit = on + timedelta(days=within_days)
    out: list[tuple[Pharmacy, str, date]] = []
    qs = Pharmacy.objects.select_related("organisation").filter(
        Q(business_licence_expires_on__lte=limit) | Q(drug_licence_expires_on__lte=limit)
    )
    for p in qs:
        if p.business_licence_expires_on and p.business_licence_expires_on <= limit:
            out.append((p, "business", p.business_licence_expires_on))
        if p.drug_licence_expires_on and p.drug_licence_expires_on <= limit:
            out.append((p, "drug", p.drug_licence_expires_on))
    return out


def filings_for_principal(principal: Principal) -> QuerySet[StaffMember]:
    """HY-E01: the pharmacists' filings the principal may see (bureau: its region's)."""
    return (
        StaffMember.objects.filter(pharmacy__in=pharmacies_for_principal(principal))
        .exclude(filing_status=FilingStatus.UNFILED)
        .select_related("pharmacy__organisation")
        .order_by("pharmacy__organisation__name", "name")
    )
