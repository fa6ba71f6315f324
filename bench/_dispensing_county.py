"""The county the dispensing benchmark (bench/dispensing_bench.py) sells in: pharmacies
(designated, stocked, each with its reviewing pharmacist), patients enrolled for hypertension
who each chose one pharmacy, a year of dispensing history (bulk rows), and today's
prescriptions of the patients the clients will serve."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connections
from django.utils import timezone

PHARMACIES = int(os.environ.get("BENCH_PHARMACIES", 500))
PATIENTS = int(os.environ.get("BENCH_PATIENTS", 50_000))
HISTORY_QUARTERS = 4  # a year of history: one dispensing per patient per past quarter
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 1_600))
WARM_UP = int(os.environ.get("BENCH_WARM_UP", 200))
# Dispensings served in the benchmark's own process through the portal's WSGI application (its
# middleware, no network) to measure Django's own CPU per dispensing.
IN_PROCESS = int(os.environ.get("BENCH_IN_PROCESS", 200))

# A POS call to make: (API key, pharmacist's username, prescription, item, patient number).
Job = tuple[str, str, int, int, int]


def _resident_id(n: int) -> str:
    from stdnum.cn import ric

    born = date(1940, 1, 1) + timedelta(days=n // 1000)
    base = f"430421{born:%Y%m%d}{n % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


@dataclass
class County:
    """What `generate` made that the later steps of the generation use."""

    today: date
    region: Any
    hy: Any
    disease: Any
    drug: Any
    hospital: Any
    clerk: Any
    physician: Any
    orgs: list[Any] = field(default_factory=list)
    pharmacies: list[Any] = field(default_factory=list)
    pharmacists: list[Any] = field(default_factory=list)
    patients: list[Any] = field(default_factory=list)
    enrolments: list[Any] = field(default_factory=list)


def _reference(today: date) -> County:
    """The region's programme and disease, a hospital with a clerk and a physician, one drug
    in the disease's scope with its listed price."""
    from accounts.models import Membership, Organisation, OrganisationKind, Region, Role, User
    from inventory.models import DiseaseDrug, Drug, PriceCap
    from programmes.models import Disease, Programme

    region = Region.objects.get(code="430421")
    hy = Programme.objects.get(code="HY-TM")
    hospital = Organisation.objects.create(
        kind=OrganisationKind.HOSPITAL, name="衡阳县人民医院", region=region, hospital_level="2"
    )
    clerk = User.objects.create_user(username="bench_clerk", password="x")
    physician = User.objects.create_user(username="bench_physician", password="x")
    Membership.objects.create(user=clerk, organisation=hospital, role=Role.WINDOW_CLERK)
    Membership.objects.create(user=physician, organisation=hospital, role=Role.PHYSICIAN)
    county = County(
        today=today,
        region=region,
        hy=hy,
        disease=Disease.objects.get(programme=hy, code="TM101"),
        drug=Drug.objects.create(
            insurance_code="XC09AAA010A001",
            generic_name="卡托普利片",
            dosage_form="片剂",
            approval_number="国药准字H32023750",
        ),
        hospital=hospital,
        clerk=clerk,
        physician=physician,
    )
    DiseaseDrug.objects.create(disease=county.disease, drug=county.drug, is_basic_drug=True)
    PriceCap.objects.create(
        drug=county.drug,
        programme=hy,
        basis="hospital_listed",
        price=Decimal("6.80"),
        source="bench",
        effective_on=date(2020, 1, 1),
    )
    return county


def _pharmacies(county: County) -> None:
    """The pharmacies: designated, stocked, each with its pharmacist (a member and the
    licensed, filed, on-duty staff member who reviews its prescriptions, HY-E01)."""
    from stdnum.cn import uscc

    from accounts.models import Membership, Organisation, OrganisationKind, Role, User
    from accreditation.models import Designation
    from inventory.models import StockBatch
    from pharmacies.models import FilingStatus, Pharmacy, StaffMember, StaffPost

    today = county.today
    county.orgs = orgs = Organisation.objects.bulk_create(
        Organisation(kind=OrganisationKind.PHARMACY, name=f"基准药店{i:04d}", region=county.region)
        for i in range(PHARMACIES)
    )
    county.pharmacies = pharmacies = Pharmacy.objects.bulk_create(
        Pharmacy(organisation=o, credit_code=(b := f"9143042100{i:07d}") + uscc.calc_check_digit(b))
        for i, o in enumerate(orgs)
    )
    Designation.objects.bulk_create(
        Designation(
            pharmacy=p,
            programme=county.hy,
            starts_on=today - timedelta(days=400),
            ends_on=today + timedelta(days=365),
        )
        for p in pharmacies
    )
    StockBatch.objects.bulk_create(
        StockBatch(
            pharmacy=p,
            drug=county.drug,
            batch_no="B1",
            expiry_date=today + timedelta(days=700),
            quantity=100_000,
        )
        for p in pharmacies
    )
    pharmacists = []
    for i in range(len(orgs)):
        u = User(username=f"bench_ph{i:04d}")
        u.set_unusable_password()
        pharmacists.append(u)
    county.pharmacists = User.objects.bulk_create(pharmacists)
    Membership.objects.bulk_create(
        Membership(user=u, organisation=o, role=Role.PHARMACIST)
        for u, o in zip(pharmacists, orgs, strict=True)
    )
    StaffMember.objects.bulk_create(
        StaffMember(
            pharmacy=p,
            user=u,
            name=f"药师{i:04d}",
            post=StaffPost.PHARMACIST,
            resident_id=_resident_id(PATIENTS + i),
            licensed_pharmacist=True,
            certificate_no=f"执业药师注册证{i:06d}",
            registered_here=True,
            filing_status=FilingStatus.FILED,
            filed_on=date(2020, 6, 1),
            hired_on=date(2020, 1, 1),
        )
        for i, (p, u) in enumerate(zip(pharmacies, pharmacists, strict=True))
    )


def _patients(county: County) -> None:
    """Patients enrolled for hypertension (approved filings), each of whom chose one
    pharmacy; this quarter's quota account of each already open (steady state)."""
    from patients.models import Enrolment, Filing, InstitutionChoice, Patient
    from prescriptions.models import QuotaAccount
    from prescriptions.selectors import quota_period_bounds

    county.patients = patients = Patient.objects.bulk_create(
        (
            Patient(
                resident_id=_resident_id(n),
                name=f"患者{n}",
                insured_type="employee",
                region=county.region,
            )
            for n in range(PATIENTS)
        ),
        batch_size=5000,
    )
    filings = Filing.objects.bulk_create(
        (
            Filing(
                number=f"BF{n:08d}",
                patient=p,
                disease=county.disease,
                path="round",
                window=county.hospital,
                records_hospital="衡阳县人民医院",
                records_hospital_level="2",
                materials_received=[],
                status="approved",
                lodged_by=county.clerk,
                lodged_on=date(2025, 4, 1),
            )
            for n, p in enumerate(patients)
        ),
        batch_size=5000,
    )
    county.enrolments = enrolments = Enrolment.objects.bulk_create(
        (
            Enrolment(
                patient=f.patient, disease=county.disease, filing=f, starts_on=date(2025, 5, 1)
            )
            for f in filings
        ),
        batch_size=5000,
    )
    InstitutionChoice.objects.bulk_create(
        (
            InstitutionChoice(
                enrolment=e, organisation=county.orgs[n % PHARMACIES], chosen_on=date(2025, 5, 1)
            )
            for n, e in enumerate(enrolments)
        ),
        batch_size=5000,
    )
    start, end = quota_period_bounds(programme=county.hy, on=county.today)
    QuotaAccount.objects.bulk_create(
        (
            QuotaAccount(enrolment=e, period_start=start, period_end=end, quota=Decimal("300.00"))
            for e in enrolments
        ),
        batch_size=5000,
    )


def _prescription(county: Any, number: str, patient: Any, issued_on: date) -> Any:
    from prescriptions.models import Prescription

    return Prescription(
        number=number,
        programme=county.hy,
        patient=patient,
        disease=county.disease,
        source="portal",
        institution=county.hospital,
        institution_name="衡阳县人民医院",
        physician=county.physician,
        physician_name="张医生",
        issued_on=issued_on,
        valid_days=30,
        recorded_by=county.physician,
    )


def _history(county: County) -> None:
    """A year of history: one settled prescription per patient per past quarter."""
    from prescriptions.models import Dispensing, Prescription, PrescriptionItem

    past = timezone.now() - timedelta(days=10)
    for q in range(1, HISTORY_QUARTERS + 1):
        when = past - timedelta(days=91 * q)
        prescriptions = Prescription.objects.bulk_create(
            (
                _prescription(county, f"BH{q}{n:08d}", p, when.date())
                for n, p in enumerate(county.patients)
            ),
            batch_size=5000,
        )
        PrescriptionItem.objects.bulk_create(
            (
                PrescriptionItem(
                    prescription=pr,
                    drug=county.drug,
                    dosage_form="片剂",
                    dose="qd",
                    quantity=30,
                    days=30,
                    dispensed_quantity=30,
                )
                for pr in prescriptions
            ),
            batch_size=5000,
        )
        Dispensing.objects.bulk_create(
            (
                Dispensing(
                    number=f"BD{q}{n:08d}",
                    pharmacy=county.pharmacies[n % PHARMACIES],
                    programme=county.hy,
                    patient=pr.patient,
                    disease=county.disease,
                    enrolment=county.enrolments[n],
                    prescription=pr,
                    pharmacist=county.pharmacists[n % PHARMACIES],
                    dispensed_at=when,
                    total=Decimal("193.80"),
                    fund_share=Decimal("135.66"),
                    personal_share=Decimal("58.14"),
                )
                for n, pr in enumerate(prescriptions)
            ),
            batch_size=5000,
        )


def _jobs(county: County) -> list[Job]:
    """Today's prescriptions for the patients the clients will serve (distinct patients),
    each with its pharmacy's POS key: (key, pharmacist, prescription, item, patient number)."""
    from accounts.services import api_key_create
    from prescriptions.models import PrescriptionItem

    served = random.Random(5).sample(  # noqa: S311 — reproducible sample, not a secret
        range(PATIENTS), REQUESTS + WARM_UP + 1 + IN_PROCESS
    )
    jobs = []
    keys: dict[int, str] = {}
    for n in served:
        pharmacy_index = n % PHARMACIES
        pr = _prescription(county, f"BT{n:08d}", county.patients[n], county.today)
        pr.save()
        item = PrescriptionItem.objects.create(
            prescription=pr, drug=county.drug, dosage_form="片剂", dose="qd", quantity=30, days=30
        )
        pharmacist = county.pharmacists[pharmacy_index]
        if pharmacy_index not in keys:
            keys[pharmacy_index] = api_key_create(
                organisation=county.orgs[pharmacy_index], name="POS", actor=pharmacist
            )[1]
        jobs.append((keys[pharmacy_index], pharmacist.username, pr.pk, item.pk, n))
    return jobs


def generate(today: date) -> dict[str, Any]:
    """The county: pharmacies (designated, stocked), patients enrolled for hypertension who
    each chose one pharmacy, and a year of dispensing history (bulk rows)."""
    county = _reference(today)
    _pharmacies(county)
    _patients(county)
    _history(county)
    jobs = _jobs(county)
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"jobs": jobs}
