"""Builders for patients tests: organisations, patients and filings at each stage."""

from __future__ import annotations

from datetime import date

from accounts.models import Organisation, OrganisationKind, Role, User
from patients import reference
from patients.models import Enrolment, Filing, MaterialKind, Patient
from patients.services import (
    filing_assign,
    filing_decide,
    filing_lodge,
    filing_preliminary_review,
    patient_register,
    roster_submit,
)
from programmes.models import Disease
from tests.factories.accounts import member, region
from tests.factories.pharmacies import resident_id as _resident_id

ALL_MATERIALS = list(MaterialKind.values)


def resident_id(n: int, born: str = "19900101") -> str:
    return _resident_id(n, born)


def org(kind: str, name: str, level: str = "") -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        kind=kind, name=name, region=region(), defaults={"hospital_level": level}
    )
    return organisation


def pharmacy_org(name: str) -> Organisation:
    """A county pharmacy designated for HY-TM over the programme's validity (HY-G05: only a
    designated pharmacy may be chosen)."""
    from accreditation.models import Designation
    from pharmacies.models import Pharmacy
    from programmes.models import Programme
    from tests.factories.pharmacies import PharmacyFactory

    organisation = org(OrganisationKind.PHARMACY, name)
    pharmacy = Pharmacy.objects.filter(organisation=organisation).first()
    if pharmacy is None:
        pharmacy = PharmacyFactory.create(organisation=organisation)
        Designation.objects.create(
            pharmacy=pharmacy,
            programme=Programme.objects.get(code="HY-TM"),
            starts_on=date(2024, 10, 1),
            ends_on=date(2029, 10, 1),
        )
    return organisation


def hospital(name: str = "衡阳县人民医院") -> Organisation:
    organisation = org(OrganisationKind.HOSPITAL, name, "2")
    reference.ensure()
    return organisation


def county_window() -> Organisation:
    return org(OrganisationKind.COUNTY_WINDOW, "衡阳县政务服务中心特门窗口")


def township_window() -> Organisation:
    return org(OrganisationKind.TOWNSHIP_WINDOW, "西渡镇政务服务大厅医保窗口")


def clerk(organisation: Organisation, username: str = "") -> User:
    return member(Role.WINDOW_CLERK, organisation=organisation, username=username)


def disease(code: str = "TM101") -> Disease:
    return Disease.objects.get(programme__code="HY-TM", code=code)


def patient(n: int = 1, *, insured_type: str = "employee", name: str = "王建华") -> Patient:
    window = county_window()
    return patient_register(
        resident_id=resident_id(n),
        name=name,
        insured_type=insured_type,
        organisation=window,
        actor=clerk(window),
        phone="13800000000",
    )


def lodge(
    p: Patient, *, at: Organisation | None = None, code: str = "TM101", by: User | None = None
) -> Filing:
    """Lodge at a hospital window (default) — call inside an April/October travel."""
    window = at or hospital()
    return filing_lodge(
        patient=p,
        disease=disease(code),
        window=window,
        records_hospital="衡阳县人民医院",
        records_hospital_level="2",
        materials_received=ALL_MATERIALS,
        actor=by or clerk(window),
        reviewing_hospital=hospital(),
    )


def bureau() -> Organisation:
    return org(OrganisationKind.BUREAU, "衡阳县医疗保障局")


def enrol(p: Patient, *, code: str = "TM101", starts_on: date = date(2027, 5, 1)) -> Enrolment:
    """Drive a filing through the whole flow (inside an April travel)."""
    h = hospital()
    filing = lodge(p, code=code)
    reviewer = clerk(h)
    filing_preliminary_review(filing=filing, passed=True, reason="", actor=reviewer, organisation=h)
    roster_submit(hospital=h, actor=reviewer)
    officer = member(Role.BENEFITS_OFFICER, organisation=bureau())
    expert = member(Role.EXPERT_REVIEWER, organisation=bureau())
    filing_assign(filing=filing, expert=expert, actor=officer, organisation=bureau())
    filing_decide(
        filing=filing, approve=True, actor=expert, organisation=bureau(), starts_on=starts_on
    )
    return Enrolment.objects.get(filing=filing)
