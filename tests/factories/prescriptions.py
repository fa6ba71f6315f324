"""A designated pharmacy, an enrolled patient who chose it, a drug in scope with stock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient
from stdnum.cn import ric

from accounts.models import Organisation, OrganisationKind, Region, Role, User
from accounts.services import api_key_create
from accreditation.models import Designation
from core.crypto import blind_index
from inventory.models import DiseaseDrug, Drug, ItemCategory, MovementKind, PriceCap, StockBatch
from patients.models import Enrolment, Patient
from patients.services import enrolment_choose_institution
from pharmacies.models import FilingStatus, Pharmacy, StaffMember, StaffPost
from prescriptions.models import (
    Dispensing,
    Prescription,
    PrescriptionSource,
)
from prescriptions.services import ItemInput, LineInput, dispensing_submit, prescription_create
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


MAY = "2027-05-10 10:00 +0800"


def dispense_post(c: Client, w: World, prescription_pk: int, qty: int, **extra: Any) -> Any:

    p = Prescription.objects.get(pk=prescription_pk)
    item_pk = p.items.get().pk
    data = {
        f"qty_{item_pk}": str(qty),
        f"price_{item_pk}": "9.50",
        f"codes_{item_pk}": "\n".join(codes(qty)),
        "identity_confirmed": "1",
        "patient_signed": "1",
        **extra,
    }
    return c.post(f"/dispensing/counter/{prescription_pk}/dispense/", data, follow=True)


def gy_id(seq: int) -> str:
    base = f"52010019800101{seq:03d}"
    return base + ric.calc_check_digit(base + "0")


@dataclass
class GY:
    programme: Programme
    pharmacy: Pharmacy
    pharmacist: User
    hospital: Organisation
    physician: User
    employee: Patient
    resident: Patient
    drug: Drug
    device: Drug


def gy(name: str = "贵阳市筑康大药房") -> GY:
    """A Guiyang pharmacy designated for GY-PT in 2027, stocked, with platform price caps."""
    programme = Programme.objects.get(code="GY-PT")
    guiyang = Region.objects.get(code="520100")
    org, _ = Organisation.objects.get_or_create(
        kind=OrganisationKind.PHARMACY, name=name, region=guiyang
    )
    pharmacy = Pharmacy.objects.filter(organisation=org).first() or PharmacyFactory.create(
        organisation=org
    )
    Designation.objects.get_or_create(
        pharmacy=pharmacy,
        programme=programme,
        defaults={"starts_on": date(2027, 1, 1), "ends_on": date(2027, 12, 31)},
    )
    hospital, _ = Organisation.objects.get_or_create(
        kind=OrganisationKind.HOSPITAL,
        name="贵阳市第一人民医院",
        region=guiyang,
        defaults={"hospital_level": "3"},
    )
    drug = Drug.objects.filter(insurance_code="GYDRUG0001").first() or DrugFactory.create(
        insurance_code="GYDRUG0001"
    )
    device = Drug.objects.filter(insurance_code="GYDEV0001").first() or DrugFactory.create(
        insurance_code="GYDEV0001",
        category=ItemCategory.DEVICE,
        approval_number="",
        generic_name="血糖试纸",
    )
    for item in (drug, device):
        PriceCap.objects.get_or_create(
            drug=item,
            programme=Programme.objects.get(code="GY-PT"),
            basis="platform_listed",
            defaults={
                "price": Decimal("8.00"),
                "source": "集采平台",
                "effective_on": date(2027, 1, 1),
            },
        )
    book(pharmacy, drug, MovementKind.PURCHASE, 200, at(date(2027, 4, 1)))
    employee, _ = Patient.objects.get_or_create(
        resident_id_index=blind_index(gy_id(11)),
        defaults={
            "resident_id": gy_id(11),
            "name": "刘晓东",
            "insured_type": "employee",
            "region": guiyang,
        },
    )
    resident, _ = Patient.objects.get_or_create(
        resident_id_index=blind_index(gy_id(22)),
        defaults={
            "resident_id": gy_id(22),
            "name": "赵大伟",
            "insured_type": "resident",
            "region": guiyang,
        },
    )
    pharmacist = member(Role.PHARMACIST, organisation=org)
    licensed_pharmacist(pharmacy, pharmacist)  # reviews prescriptions (GY-A04)
    return GY(
        programme,
        pharmacy,
        pharmacist,
        hospital,
        member(Role.PHYSICIAN, organisation=hospital),
        employee,
        resident,
        drug,
        device,
    )


def paper(g: GY, patient: Patient, qty: int = 10, **kw: Any) -> Prescription:
    return prescription_create(
        programme=g.programme,
        patient=patient,
        disease=None,
        source=PrescriptionSource.PAPER,
        items=[ItemInput(kw.pop("drug", g.drug), "片剂", "每日一次", qty, 10)],
        issued_on=date(2027, 5, 10),
        valid_days=3,
        actor=g.pharmacist,
        institution_name="贵阳市第一人民医院",
        physician_name="罗医生",
        seal_image=png("seal.png"),
        pharmacy=kw.pop("pharmacy", g.pharmacy),
    )


def dispense_form(prescription: Prescription, qty: int, price: str = "8.00") -> dict[str, str]:
    item = prescription.items.get()
    return {
        f"qty_{item.pk}": str(qty),
        f"price_{item.pk}": price,
        f"codes_{item.pk}": "\n".join(codes(qty)),
        "identity_confirmed": "1",
        "patient_signed": "1",
    }


def record_form(g: GY, patient: Patient, drug: Drug, qty: int = 20) -> dict[str, Any]:
    return {
        "resident_id": patient.resident_id,
        "enrolment": "",
        "source": "paper",
        "institution_name": "贵阳市第一人民医院",
        "physician_name": "罗医生",
        "issued_on": "2027-05-10",
        "kind": "normal",
        "valid_days": "3",
        "seal_image": png("seal.png"),
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "10",
        "items-0-drug": str(drug.pk),
        "items-0-dosage_form": "",
        "items-0-dose": "每日一次，每次一片",
        "items-0-quantity": str(qty),
        "items-0-days": "10",
    }


def pos(w: World) -> APIClient:
    _key, raw = api_key_create(organisation=w.pharmacy.organisation, name="POS", actor=w.pharmacist)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def body(w: World, prescription_id: int, item_id: int, qty: int, key: str) -> dict[str, Any]:
    return {
        "prescription": prescription_id,
        "lines": [
            {
                "item": item_id,
                "quantity": qty,
                "unit_price": "9.50",
                "traceability_codes": codes(qty),
            }
        ],
        "identity_confirmed": True,
        "patient_signed": True,
        "pharmacist": w.pharmacist.username,
        "idempotency_key": key,
    }


def items(w: World, *rows: tuple[int, int, int], prefix: str = "items") -> dict[str, str]:
    """Formset data: (drug pk, quantity, days) per row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "10",
    }
    for n, (drug, quantity, days) in enumerate(rows):
        data.update(
            {
                f"{prefix}-{n}-drug": str(drug),
                f"{prefix}-{n}-dosage_form": "",
                f"{prefix}-{n}-dose": "每日一次，每次一片",
                f"{prefix}-{n}-quantity": str(quantity),
                f"{prefix}-{n}-days": str(days),
            }
        )
    return data


def issue(c: Client, w: World, *rows: tuple[int, int, int], kind: str = "normal") -> Any:
    return c.post(
        "/dispensing/prescriptions/issue/",
        {
            "resident_id": w.patient.resident_id,
            "enrolment": str(w.enrolment.pk),
            "kind": kind,
            "valid_days": "3",
            **items(w, *rows),
        },
        follow=True,
    )


def record(c: Client, w: World, **extra: Any) -> Any:
    data = {
        "resident_id": w.patient.resident_id,
        "enrolment": str(w.enrolment.pk),
        "source": "paper",
        "institution_name": "衡阳市第一人民医院",
        "physician_name": "李医生",
        "issued_on": "2027-05-09",
        "kind": "normal",
        "valid_days": "3",
        "trace_code": "",
        **items(w, (w.drug.pk, 20, 20)),
    }
    data.update(extra)
    return c.post("/dispensing/prescriptions/record/", data, follow=True)


def gy_hospital() -> Organisation:
    """A Guiyang hospital: GY-PT prescriptions come from hospitals of its region (GY-D02)."""
    organisation, _ = Organisation.objects.get_or_create(
        kind=OrganisationKind.HOSPITAL,
        name="贵阳市第一人民医院",
        region=Region.objects.get(code="520100"),
        defaults={"hospital_level": "3"},
    )
    return organisation


def gy_world() -> tuple[World, Programme]:
    w = world()
    w.physician = member(Role.PHYSICIAN, organisation=gy_hospital())
    gy = Programme.objects.get(code="GY-PT")
    Designation.objects.create(
        pharmacy=w.pharmacy, programme=gy, starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)
    )
    PriceCap.objects.create(
        drug=w.drug,
        programme=gy,
        basis="platform_listed",
        price=Decimal("8.00"),
        source="国家集采平台",
        effective_on=date(2027, 1, 1),
    )
    return w, gy


def submit(w: World, prescription: Prescription, lines: list[LineInput], **kw: Any) -> Dispensing:
    kw.setdefault("identity_confirmed", True)
    kw.setdefault("patient_signed", True)
    return dispensing_submit(
        pharmacy=w.pharmacy, prescription=prescription, lines=lines, actor=w.pharmacist, **kw
    )
