"""A designated pharmacy, an enrolled patient who chose it, a drug in scope with stock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import OrganisationKind, Role, User
from accreditation.models import Designation
from inventory.models import DiseaseDrug, Drug, MovementKind, PriceCap, StockBatch
from patients.models import Enrolment, Patient
from patients.services import enrolment_choose_institution
from pharmacies.models import FilingStatus, Pharmacy, StaffMember, StaffPost
from prescriptions.models import Prescription, PrescriptionSource
from prescriptions.services import ItemInput, LineInput, prescription_create
from programmes.models import Programme
from tests.factories import member
from tests.factories.inventory import DrugFactory, at, book
from tests.factories.patients import enrol, hospital, org, patient
from tests.factories.pharmacies import PharmacyFactory

_codes = itertools.count(1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name: str = "list.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def codes(n: int) -> list[str]:
    return [f"{next(_codes) + 10**12:020d}" for _i in range(n)]


@dataclass
class World:
    hy: Programme
    pharmacy: Pharmacy
    pharmacist: User
    physician: User
    patient: Patient
    enrolment: Enrolment
    drug: Drug
    batch: StockBatch

    def prescription(self, *, quantity: int = 30, days: int = 30, **kw: object) -> Prescription:
        return prescription_create(
            programme=self.hy,
            patient=self.patient,
            disease=self.enrolment.disease,
            source=PrescriptionSource.PORTAL,
            items=[ItemInput(self.drug, "片剂", "每日一次，每次一片", quantity, days)],
            issued_on=kw.pop("issued_on", None) or date.today(),  # type: ignore[arg-type]
            valid_days=3,
            actor=self.physician,
            institution=hospital(),
            **kw,  # type: ignore[arg-type]
        )

    def line(self, prescription: Prescription, qty: int, price: str = "9.50") -> LineInput:
        item = prescription.items.get()
        return LineInput(
            item_id=item.pk, quantity=qty, unit_price=Decimal(price), traceability_codes=codes(qty)
        )


_ids = itertools.count(1)


def licensed_pharmacist(
    pharmacy: Pharmacy, user: User | None = None, *, name: str = "", **kw: object
) -> StaffMember:
    """A licensed pharmacist of `pharmacy` (linked to `user`), registered here, filed with the
    centre (HY-E01), hired in 2020 and on duty every day: eligible to review prescriptions."""
    from pharmacies.demo import resident_id

    n = next(_ids)
    fields: dict[str, object] = {
        "pharmacy": pharmacy,
        "user": user,
        "name": name or f"药师{n}",
        "post": StaffPost.PHARMACIST,
        "resident_id": resident_id(f"4304211990{n % 10000:04d}{n % 1000:03d}"),
        "licensed_pharmacist": True,
        "certificate_no": f"执业药师注册证{n:06d}",
        "registered_here": True,
        "filing_status": FilingStatus.FILED,
        "filed_on": date(2020, 6, 1),
        "hired_on": date(2020, 1, 1),
    }
    fields.update(kw)
    return StaffMember.objects.create(**fields)


def world(n: int = 1, *, stock: int = 200) -> World:
    """Enrolled in April 2027 for hypertension (100 元/month) from 1 May 2027, chose the
    pharmacy; designation for the whole of 2027."""
    hy = Programme.objects.get(code="HY-TM")
    org_ph = org(OrganisationKind.PHARMACY, f"衡阳县康民大药房{n}")
    pharmacy = Pharmacy.objects.filter(organisation=org_ph).first() or PharmacyFactory.create(
        organisation=org_ph
    )
    Designation.objects.get_or_create(
        pharmacy=pharmacy,
        programme=hy,
        defaults={"starts_on": date(2027, 1, 1), "ends_on": date(2027, 12, 31)},
    )
    pharmacist = member(Role.PHARMACIST, organisation=org_ph)
    licensed_pharmacist(pharmacy, pharmacist)
    physician = member(Role.PHYSICIAN, organisation=hospital())
    with time_machine.travel("2027-04-10 10:00 +0800", tick=False):
        p = patient(n)
        enrolment = enrol(p, starts_on=date(2027, 5, 1))
        enrolment_choose_institution(enrolment=enrolment, actor=pharmacist, organisation=org_ph)
    drug = Drug.objects.filter(insurance_code="XC09AA0001").first() or DrugFactory.create(
        insurance_code="XC09AA0001"
    )
    DiseaseDrug.objects.get_or_create(disease=enrolment.disease, drug=drug)
    PriceCap.objects.get_or_create(
        drug=drug,
        programme=Programme.objects.get(code="HY-TM"),
        basis="hospital_listed",
        defaults={
            "price": Decimal("10.00"),
            "source": "湖南省挂网",
            "effective_on": date(2027, 1, 1),
        },
    )
    batch = book(pharmacy, drug, MovementKind.PURCHASE, stock, at(date(2027, 4, 1)))
    return World(hy, pharmacy, pharmacist, physician, p, enrolment, drug, batch)
